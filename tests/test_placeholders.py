"""Placeholders are blank everywhere, and namesakes at a blank company stay two people (issue #21).

Through the pipeline (`run_pipeline` on a small vendor file: ingest, normalise, validate, dedupe, qualify, push
to the local sink and its CRM import file) for the placeholders named in the issue, and through the dedupe
stage's own functions (normalise_frame + resolve) for every spelling in the shared list.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from enrichment.dedupe import resolve
from enrichment.normalise import normalise_frame
from leadpipe.core.placeholders import (
    COMPANY_PLACEHOLDERS,
    EXCEL_ERRORS,
    NAME_PLACEHOLDERS,
    TEXT_PLACEHOLDERS,
    blank_placeholder,
    is_placeholder,
    placeholders_for,
)
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, prospects
from tests.pipeline_checks import assert_ledger_adds_up

APOLLO_HEADER = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City",
                 "State", "Country", "# Employees", "Industry"]
EMPTY = pd.DataFrame(columns=["person_id", "email", "first_name", "last_name", "company_key", "record",
                              "provenance"])
# The examples and every spreadsheet error; the fast test below covers the whole list.
PIPELINE_PLACEHOLDERS = ("#N/A", "N/A", "unknown", "Self-employed", "none", "-", "n/a", "not provided",
                         "freelance", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA",
                         "#SPILL!", "#CALC!")


def _write(home: Path, rows: list[list[str]]) -> None:
    inputs = home / "inputs" / "demo"
    inputs.mkdir(parents=True)
    (inputs / "do_not_contact.csv").write_text("email\n", encoding="utf-8")
    with (inputs / "vendor_apollo_list.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(APOLLO_HEADER)
        w.writerows(rows)


# one pair of namesakes per placeholder, each pair a different name so pairs do not meet each other
NAMES = (("John", "Smith"), ("Maria", "Garcia"), ("Wei", "Zhang"), ("Anna", "Kowalska"), ("Lars", "Jensen"),
         ("Fatima", "Ahmed"), ("Pierre", "Bernard"), ("Sofia", "Rossi"), ("Jan", "Novak"), ("Emma", "Wilson"),
         ("Ahmet", "Yilmaz"), ("Olga", "Ivanova"), ("Lucas", "Silva"), ("Mia", "Hofmann"), ("Noah", "Peeters"),
         ("Sara", "Lindgren"), ("David", "Cohen"), ("Elif", "Demir"))


def test_namesakes_at_a_placeholder_company_both_reach_the_crm(home: Path) -> None:
    # Per placeholder, two different people of one name, private addresses, no phone, the placeholder as company.
    rows, emails = [], []
    for i, (placeholder, (first, last)) in enumerate(zip(PIPELINE_PLACEHOLDERS, NAMES, strict=True)):
        for n, (title, city) in enumerate((("Head of Sales", "Berlin"), ("VP Sales", "Munich"))):
            email = f"{first}.{last}.{i}{n}@gmail.com".lower()
            emails.append(email)
            rows.append([first, last, title, placeholder, email, "", "", city, "", "DE", "250", "Software"])
    _write(home, rows)
    summary = run_pipeline(load_config(), "run-namesakes")
    assert_ledger_adds_up(summary)
    assert summary["outcomes"]["merged"] == 0
    with engine_for(load_config().warehouse_url).connect() as conn:
        pushed = conn.execute(select(prospects.c.email, prospects.c.company)).all()
    assert sorted(e for e, _ in pushed) == sorted(emails)
    assert {c or "" for _, c in pushed} == {""}
    with open(summary["outputs"]["crm_import_csv"], encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert sorted(r["email"] for r in exported) == sorted(emails)
    assert {r["company"] for r in exported} == {""}


def test_excel_errors_never_reach_the_crm_as_company_or_title(home: Path) -> None:
    _write(home, [
        ["Greta", "Lindqvist", "#N/A", "#N/A", "greta.lindqvist@nordlicht.de", "", "https://nordlicht.de", "Berlin",
         "", "DE", "250", "Software"],
        ["Jonas", "Berg", "#VALUE!", "Nordlicht Software GmbH", "jonas.berg@nordlicht.de", "", "", "Berlin", "",
         "DE", "250", "#REF!"],
        ["Ana", "Costa", "CTO", "#REF!", "ana.costa@sol.pt", "", "", "#N/A", "", "PT", "120", "Software"],
    ])
    summary = run_pipeline(load_config(), "run-excel")
    assert_ledger_adds_up(summary)
    with engine_for(load_config().warehouse_url).connect() as conn:
        pushed = [dict(r) for r in conn.execute(select(prospects)).mappings()]
    with open(summary["outputs"]["crm_import_csv"], encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert {r["email"] for r in pushed} == {"greta.lindqvist@nordlicht.de", "jonas.berg@nordlicht.de",
                                            "ana.costa@sol.pt"}
    assert len(exported) == 3
    for record in (*pushed, *exported):
        for value in record.values():
            assert not (isinstance(value, str) and value.strip().upper() in {e.upper() for e in EXCEL_ERRORS}), \
                record
    jonas = next(r for r in exported if r["email"] == "jonas.berg@nordlicht.de")
    assert jonas["company"] == "Nordlicht Software GmbH"


def _batch(rows: list[dict]) -> pd.DataFrame:
    base = {"email": "", "first_name": "", "last_name": "", "company": "", "job_title": "", "phone": "",
            "country": "DE", "source": "v", "source_file": "f.csv", "source_kind": "purchased"}
    raw = pd.DataFrame([{**base, **r, "source_row": i + 1} for i, r in enumerate(rows)])
    out = normalise_frame(raw)
    out["raw_row_id"] = range(1, len(out) + 1)
    return out


def _groups(res) -> list[set[int]]:
    return sorted((set(g) for g in res.membership.groupby("person_id")["raw_row_id"].apply(list)), key=min)


@pytest.mark.parametrize("placeholder", sorted(COMPANY_PLACEHOLDERS))
def test_namesakes_at_any_placeholder_company_stay_apart_in_dedupe(placeholder: str) -> None:
    batch = _batch([
        {"first_name": "John", "last_name": "Smith", "company": placeholder, "job_title": "Sales Manager"},
        {"first_name": "John", "last_name": "Smith", "company": placeholder.upper(), "job_title": "Sales Manager"},
    ])
    assert _groups(resolve(batch, EMPTY)) == [{1}, {2}]
    assert (batch["company"] == "").all() and (batch["company_key"] == "").all()


def test_every_text_placeholder_is_blank_in_company_title_city_and_industry() -> None:
    words = sorted(TEXT_PLACEHOLDERS)
    batch = _batch([{"first_name": "Jane", "last_name": "Doe", "company": w, "job_title": w.upper(),
                     "city": f" {w} ", "industry": w, "postcode": w} for w in words])
    fields = ["company", "company_key", "job_title", "city", "industry", "postcode"]
    kept = {w: row for w, row in zip(words, batch[fields].itertuples(index=False), strict=True) if any(row)}
    assert kept == {}


def test_na_is_namibia_and_navarra_but_blank_elsewhere() -> None:
    batch = _batch([{"first_name": "Na", "last_name": "Yeon", "company": "NA", "job_title": "na",
                     "country": "NA"},
                    {"first_name": "Iker", "last_name": "Goñi", "country": "ES", "state": "NA"},
                    {"first_name": "Iker", "last_name": "Goñi", "country": "N/A", "state": "N/A"}])
    assert batch[["first_name", "company", "job_title", "country"]].iloc[0].tolist() == ["Na", "", "", "NA"]
    assert batch[["country", "state"]].iloc[1].tolist() == ["ES", "ES-NA"]
    assert batch[["country", "state"]].iloc[2].tolist() == ["", ""]
    assert not is_placeholder("Na", "last_name") and is_placeholder("#N/A", "last_name")


def test_real_companies_that_contain_a_placeholder_word_are_kept() -> None:
    batch = _batch([{"first_name": "A", "last_name": "B", "company": "N/A Logistics GmbH", "job_title": "Unknown Ops"},
                    {"first_name": "C", "last_name": "D", "company": "Freelance Media Ltd", "job_title": "None"}])
    assert batch["company"].tolist() == ["N/A Logistics GmbH", "Freelance Media Ltd"]
    assert batch["job_title"].tolist() == ["Unknown Ops", ""]


_FIELDS = ["", "company", "first_name", "country", "state", "job_title"]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.sampled_from(sorted(COMPANY_PLACEHOLDERS | NAME_PLACEHOLDERS | TEXT_PLACEHOLDERS)),
                 st.text(max_size=30)),
       st.sampled_from(["", " ", "  \t", "\u00a0"]), st.sampled_from(["", " ", "\n"]), st.booleans(),
       st.sampled_from(_FIELDS))
def test_placeholder_shortcuts_decide_as_the_key_does(core: str, before: str, after: str, shout: bool,
                                                     field: str) -> None:
    """The length and first-character shortcuts never change an answer: a value is a placeholder exactly when
    its key (trimmed, inner spaces collapsed, case-folded) is one of the field's spellings."""
    value = before + (core.upper() if shout else core) + after
    expected = re.sub(r"\s+", " ", value.strip()).casefold() in placeholders_for(field)
    assert is_placeholder(value, field) == expected, repr(value)
    assert blank_placeholder(value, field) == ("" if expected else value), repr(value)

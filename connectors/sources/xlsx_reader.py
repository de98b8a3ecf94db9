"""Excel .xlsx sheets streamed row by row, with the shared-string table kept on disk.

openpyxl's read-only mode already streams the sheet's XML, but it loads the workbook's shared-string table
(every distinct text of every sheet) into a Python list first: one object per string, ~150 bytes each. A
400 KB file whose table inflates to millions of short strings (deflate packs repeated XML ~1000:1) took
830 MiB before the first row was read. Here the table goes into a temporary file as it is parsed, with
8 bytes per string in memory (its offset), and cells look their text up there (a small cache keeps the
frequent ones). Two more things a file cannot make expensive: the sheet's declared size (`<dimension>`, which
openpyxl pads every row and the sheet to; a lying `A1:XFD1048576` cost 18 s on 8,000 rows) is ignored, and
the rows come out one at a time, so the pipeline takes them in batches like CSV rows.

Values as the sheet shows them: a number with a zero-padded format ("00000": zip codes, customer numbers)
keeps its leading zeros; whole numbers have no ".0" (phones stored as numbers); a date without a time of day
is "YYYY-MM-DD", a date-time ISO 8601; text stays exactly as typed (`'0049...` stays "0049...").
"""

from __future__ import annotations

import re
import tempfile
from array import array
from collections.abc import Iterator
from datetime import date, datetime, time
from functools import lru_cache
from typing import IO, Any

from connectors.sources.base import text

_ZERO_PADDED = re.compile(r"^0+$")
_CACHE = 65_536  # distinct strings kept decoded (countries, titles, companies repeat)


class SpooledStrings:
    """The shared-string table in a temporary file: append while parsing, then index like a list."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the workbook; close() closes it
        self._offsets = array("q", [0])
        self._reading = False
        self.lookup = lru_cache(maxsize=_CACHE)(self._read)

    def append(self, value: str) -> None:
        data = value.encode("utf-8")
        self._file.write(data)
        self._offsets.append(self._offsets[-1] + len(data))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        return self.lookup(index)

    def _read(self, index: int) -> str:
        if not 0 <= index < len(self):
            raise IndexError(f"shared string {index} of {len(self)}")
        if not self._reading:
            self._file.flush()
            self._reading = True
        start = self._offsets[index]
        self._file.seek(start)
        return self._file.read(self._offsets[index + 1] - start).decode("utf-8")

    def close(self) -> None:
        self.lookup.cache_clear()
        self._file.close()


class _StringTableTarget:
    """An XML parser target collecting each <si>'s text: a plain <t> or rich-text runs <r><t>; phonetic
    guides (<rPh>) are not part of the text, as in openpyxl's Text.content. No tree is built, so parsing a
    table of millions of strings holds one string at a time."""

    def __init__(self, strings: SpooledStrings, ns: str) -> None:
        self.strings = strings
        self.si, self.t, self.rph = f"{{{ns}}}si", f"{{{ns}}}t", f"{{{ns}}}rPh"
        self.parts: list[str] = []
        self.in_si = self.in_t = False
        self.in_rph = 0

    def start(self, tag: str, attrib: dict) -> None:
        if tag == self.si:
            self.in_si, self.parts = True, []
        elif tag == self.rph:
            self.in_rph += 1
        elif tag == self.t:
            self.in_t = self.in_si and not self.in_rph

    def end(self, tag: str) -> None:
        if tag == self.t:
            self.in_t = False
        elif tag == self.rph:
            self.in_rph -= 1
        elif tag == self.si:
            self.strings.append("".join(self.parts).replace("x005F_", ""))
            self.in_si = False

    def data(self, chunk: str) -> None:
        if self.in_t:
            self.parts.append(chunk)

    def close(self) -> None:
        return None


def _spooled_string_table(xml_source: IO[bytes]) -> SpooledStrings:
    """openpyxl.reader.strings.read_string_table, into a SpooledStrings instead of a list (same text)."""
    from xml.etree.ElementTree import XMLParser  # expat: entity expansion is bounded (billion laughs)

    from openpyxl.xml.constants import SHEET_MAIN_NS  # only .xlsx sources need openpyxl (~0.1 s to import)

    strings = SpooledStrings()
    parser = XMLParser(target=_StringTableTarget(strings, SHEET_MAIN_NS))
    for block in iter(lambda: xml_source.read(1 << 20), b""):
        parser.feed(block)
    parser.close()
    return strings


def open_workbook(fh: IO[bytes]):
    """The workbook in read-only mode (cached values, not formulas), its shared strings spooled to disk."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader  # only .xlsx sources need openpyxl

    class _Reader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as src:
                    self.shared_strings = _spooled_string_table(src)

    reader = _Reader(fh, read_only=True, keep_vba=False, data_only=True, keep_links=False, rich_text=False)
    reader.read()
    wb = reader.wb
    wb._leadpipe_strings = reader.shared_strings  # closed with the workbook (close_workbook)
    return wb


def close_workbook(wb: Any) -> None:
    wb.close()
    strings = getattr(wb, "_leadpipe_strings", None)
    if isinstance(strings, SpooledStrings):
        strings.close()


def sheet_rows(ws: Any) -> Iterator[list[str]]:
    """Each row of the sheet as text, one at a time; rows with no cells at all come out as []."""
    ws.reset_dimensions()  # never trust the declared size: no padding to it
    for row in ws.iter_rows():
        yield [cell_text(c.value, getattr(c, "number_format", None)) for c in row]


def cell_text(value: Any, number_format: str | None = None) -> str:
    """A cell's value as the sheet shows it (see the module docstring)."""
    if isinstance(value, bool) or value is None:
        return text(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return str(value)
        whole = int(value)
        if number_format and _ZERO_PADDED.match(number_format) and whole >= 0:
            return str(whole).zfill(len(number_format))
        return str(whole)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) and value.tzinfo is None else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return text(value)

"""Readers for purchased-list files: CSV/TSV, Excel .xlsx, JSON and NDJSON, each streamed as RawRecords.

Every reader takes a binary file object and yields rows one at a time, so a 1 GB CSV is read in constant
memory (JSON arrays are the exception: a JSON document is parsed whole; use NDJSON for big lists). A row
that cannot be read cleanly becomes a RawRecord with an error naming the file and line; a file that is not
what its name says, or holds no record at all (a header row only), raises SourceError naming the file and
the problem, so it is not recorded as ingested and is tried again once fixed. The header row is found below
a vendor preamble and repeated column names are kept with a suffix (see `headers`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from itertools import chain
from typing import IO, Any

from connectors.sources.base import RawRecord, SourceError, text
from connectors.sources.encodings import EncodingProbe
from connectors.sources.headers import MAX_PREAMBLE_ROWS, header_index, unique_headers
from connectors.sources.xlsx_reader import close_workbook, open_workbook, sheet_rows

# EncodingProbe moved to `encodings`; importable from here as before
__all__ = ["EXTENSIONS", "FORMATS", "EncodingProbe", "format_for", "read_plain_csv", "read_records", "what_it_is"]

SNIFF_BYTES = 64 * 1024
csv.field_size_limit(16 * 1024 * 1024)  # one huge notes cell must not stop the file

FORMATS = ("csv", "tsv", "xlsx", "json", "ndjson")
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".json": "json",
              ".ndjson": "ndjson", ".jsonl": "ndjson"}

_MAGIC = {b"PK\x03\x04": "a ZIP or Excel (.xlsx) file", b"%PDF": "a PDF document",
          b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file", b"\x1f\x8b": "a gzip archive"}


def format_for(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for ext, fmt in EXTENSIONS.items() if lower.endswith(ext)), None)


def what_it_is(head: bytes) -> str | None:
    """Name a binary format from its first bytes; None when it may be text."""
    for magic, label in _MAGIC.items():
        if head.startswith(magic):
            return label
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if b"\x00" in head[:8192]:
        return "a binary file"
    return None


def read_records(fh: IO[bytes], fmt: str, file_name: str, encoding: str | None, delimiter: str | None = None,
                 sheet: str | None = None, header_row: int | None = None) -> Iterator[RawRecord]:
    """The file's records. `encoding` None: no encoding reads it as text (see `encodings`); `header_row`
    (1-based line of a CSV, row of a sheet) overrides header detection."""
    head = fh.read(8192)
    fh.seek(0)
    if not head.strip():
        raise SourceError(f"{file_name}: the file is empty")
    if fmt == "xlsx":
        yield from _xlsx(fh, file_name, sheet, header_row)
        return
    label = what_it_is(head)
    if label:
        raise SourceError(f"{file_name}: this is {label}, not a {fmt.upper()} file; check the file or its name")
    if encoding is None:
        raise SourceError(f"{file_name}: not readable as text: it is not UTF-8 and no code page reads it cleanly "
                          "(random or binary bytes, or a mix of encodings?); if it is a text file in one encoding, "
                          "set 'encoding' for this source")
    stream = io.TextIOWrapper(fh, encoding=encoding, newline="")
    try:
        if fmt in ("csv", "tsv"):
            yield from _csv(stream, file_name, "\t" if fmt == "tsv" and not delimiter else delimiter, header_row)
        elif fmt == "ndjson":
            yield from _not_empty(_ndjson(stream, file_name), file_name)
        elif fmt == "json":
            yield from _not_empty(_json(stream, file_name), file_name)
        else:
            raise SourceError(f"{file_name}: unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{file_name}: not readable as {encoding} (byte {exc.start} of a block); set 'encoding' for this source"
        ) from None
    finally:
        stream.detach()


def _not_empty(records: Iterator[RawRecord], file_name: str) -> Iterator[RawRecord]:
    empty = True
    for r in records:
        empty = False
        yield r
    if empty:
        raise SourceError(f"{file_name}: no records in the file")


def _csv(stream: io.TextIOBase, file_name: str, delimiter: str | None,
         header_row: int | None = None) -> Iterator[RawRecord]:
    sample = stream.read(SNIFF_BYTES)
    stream.seek(0)
    top = io.StringIO(sample, newline="").readlines()[:MAX_PREAMBLE_ROWS]
    if header_row is not None:
        skip = header_row - 1
    else:
        skip = header_index([_cells(line, delimiter) for line in top])
    delimiter = delimiter or _sniff_delimiter(top[skip] if skip < len(top) else "")
    for _ in range(skip):  # the vendor's preamble: lines above the header, not records
        stream.readline()
    reader = csv.reader(stream, delimiter=delimiter, strict=False)
    try:
        header = next(reader, None)
        if header is None:
            where = f"no line {header_row} (header_row) in the file" if header_row else "the file is empty"
            raise SourceError(f"{file_name}: {where}")
        header = unique_headers(header)
        number, last_line = 0, reader.line_num + skip
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num + skip
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            number += 1
            yield _csv_record(file_name, number, header, row, first_line)
    except csv.Error as exc:
        raise SourceError(f"{file_name} line {reader.line_num + skip}: not a readable CSV file: {exc}") from None
    if number == 0:
        raise SourceError(_header_only(file_name, f"line {skip + 1}", header))


def _header_only(file_name: str, where: str, header: list[str]) -> str:
    shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
    return (f"{file_name}: a header row ({where}: {shown}) but no data rows under it; "
            "nothing was stored, the file is read again once it has rows")


def _cells(line: str, delimiter: str | None) -> list[str]:
    """One physical line as cells, for header detection (a preamble line has no quoted newlines)."""
    try:
        return next(csv.reader([line], delimiter=delimiter or _sniff_delimiter(line)), [])
    except csv.Error:
        return []


def _sniff_delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _csv_record(file_name: str, number: int, header: list[str], row: list[str], line: int) -> RawRecord:
    if len(row) == len(header):
        return RawRecord(number, dict(zip(header, row, strict=True)))
    payload = dict(zip(header, row, strict=False))
    if len(row) > len(header):
        payload["_extra_fields"] = "|".join(row[len(header):])
    return RawRecord(number, payload,
                     error=f"{file_name} line {line}: row has {len(row)} fields but the header has {len(header)}")


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = text(v)
    return out


def _ndjson(stream: io.TextIOBase, file_name: str) -> Iterator[RawRecord]:
    number = 0
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        number += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRecord(number, {"_raw_line": line.rstrip("\r\n")[:10_000]},
                            error=f"{file_name} line {line_no}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield RawRecord(number, {"_raw_line": line.rstrip("\r\n")[:10_000]},
                            error=f"{file_name} line {line_no}: expected a JSON object, got {type(obj).__name__}")
            continue
        yield RawRecord(number, _flatten(obj))


def _json(stream: io.TextIOBase, file_name: str) -> Iterator[RawRecord]:
    try:
        doc = json.load(stream)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{file_name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(doc, dict):  # form-tool exports wrap the list: {"data": [...]} / {"submissions": [...]}
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise SourceError(f"{file_name}: expected a JSON list of records (or an object holding one list)")
        doc = lists[0]
    if not isinstance(doc, list):
        raise SourceError(f"{file_name}: expected a JSON list of records, got {type(doc).__name__}")
    for number, item in enumerate(doc, start=1):
        if isinstance(item, dict):
            yield RawRecord(number, _flatten(item))
        else:
            yield RawRecord(number, {"_raw_value": text(item)[:10_000]},
                            error=f"{file_name} record {number}: expected a JSON object, got {type(item).__name__}")


def _xlsx(fh: IO[bytes], file_name: str, sheet: str | None, header_row: int | None = None) -> Iterator[RawRecord]:
    """The first sheet (or `sheet`), streamed (connectors.sources.xlsx_reader); the header found as for CSV."""
    try:
        wb = open_workbook(fh)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(f"{file_name}: not a readable Excel .xlsx file ({exc})") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise SourceError(f"{file_name}: no sheet named {sheet!r}; sheets: {wb.sheetnames}")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = enumerate(sheet_rows(ws), start=1)
        top: list[tuple[int, list[str]]] = []  # the first non-blank rows, to find the header among
        for row_no, cells in rows:
            if header_row is not None and row_no < header_row:
                continue
            if any(c.strip() for c in cells):
                top.append((row_no, cells))
            if header_row is not None or len(top) >= MAX_PREAMBLE_ROWS:
                break
        if not top:
            where = f"has no row {header_row} (header_row)" if header_row else "is empty"
            raise SourceError(f"{file_name}: the sheet {ws.title!r} {where}")
        at = 0 if header_row is not None else header_index([c for _, c in top])
        header_no, header = top[at][0], unique_headers(top[at][1])
        while header and header[-1].startswith("column_"):
            header.pop()  # trailing empty header cells
        number = 0
        for row_no, cells in chain(top[at + 1:], rows):
            if not any(c.strip() for c in cells):
                continue
            number += 1
            extra = [c for c in cells[len(header):] if c.strip()]
            payload = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))
            if extra:
                payload["_extra_fields"] = "|".join(extra)
                yield RawRecord(number, payload, error=f"{file_name} row {row_no}: values beyond the last header")
            else:
                yield RawRecord(number, payload)
        if number == 0:
            raise SourceError(_header_only(file_name, f"row {header_no}", header))
    finally:
        close_workbook(wb)


PLAIN_ENCODINGS = ("utf-8", "utf-8-sig")


def read_plain_csv(path: str, encoding: str | None, delimiter: str | None = None,
                   header_row: int | None = None) -> tuple[list[str], Any] | None:
    """A plain CSV file at a local `path` read whole by Arrow's multi-threaded parser: (header, table of every
    column as large_string), the same header (`unique_headers`) and cells `read_records` gives, several times
    faster than one dict per record. None when the file is not plain, and then the caller reads it with
    `read_records`, which also gives that file's errors and flagged rows.

    Plain: UTF-8 (with or without BOM), the header on the first line (no preamble, `header_row` unset or 1),
    without quotes, of two or more columns; no NUL byte; every row with as many fields as the header (Arrow
    refuses a ragged row, and then the record reader flags it); no cell over the csv module's field limit.
    Arrow's quoting (doubled quotes, quoted line breaks, text after a closing quote) is the csv module's; a
    test compares both readers on generated files."""
    # Arrow only here: the pipeline's record reader (and a DAG file parsing this module) never needs it
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if encoding not in PLAIN_ENCODINGS or header_row not in (None, 1):
        return None
    with open(path, "rb") as fh:
        data = fh.read()
    if b"\x00" in data or not data[:8192].strip() or what_it_is(data[:8192]):  # read_records' checks
        return None
    sample = io.TextIOWrapper(io.BytesIO(data[:4 * SNIFF_BYTES]), encoding=encoding, newline="")
    try:
        top = io.StringIO(sample.read(SNIFF_BYTES), newline="").readlines()[:MAX_PREAMBLE_ROWS]
    except UnicodeDecodeError:
        return None
    if not top or (header_row is None and header_index([_cells(line, delimiter) for line in top]) != 0):
        return None
    first = top[0]
    delimiter = delimiter or _sniff_delimiter(first)
    if '"' in first or len(delimiter) != 1 or delimiter in "\r\n\"":
        return None
    header = unique_headers(next(csv.reader([first], delimiter=delimiter), []))
    if len(header) < 2:
        return None
    names = [f"c{i}" for i in range(len(header))]  # the real names may repeat before unique_headers; set after
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, encoding="utf8", block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=True))
    except pa.ArrowException:
        return None
    del data
    if table.num_rows == 0:
        return None
    # the parser's blocks stay chunks of each column: joining them copied the whole table (half a second and
    # its size again in memory at 1M rows) for readers that take chunked columns as they are
    columns = [table.column(i) for i in range(table.num_columns)]
    limit = csv.field_size_limit()
    for column in columns:
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is not None and longest > limit:
            return None
    return header, pa.Table.from_arrays(columns, names=header)

"""`leadpipe dedupe` reads every file the pipeline reads, with the pipeline's file source and its messages.

Each input below is one the nightly run ingests (connectors.sources.file_source): Excel's Windows-1252 CSV, a
semicolon CSV with a BOM, an .xlsx workbook, a vendor preamble above the header, JSON lines. The mistakes end
with the reader's own sentence naming the file (and line), exit code 1 and no traceback.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from enrichment import normalise_parallel
from enrichment.dedupe import features
from enrichment.normalise import normalise_frame
from enrichment.normalise_parallel import NormalisePool
from leadpipe.cli import main
from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.core.spreadsheet import neutralise_arrow, neutralise_formula, neutralise_frame
from leadpipe.pipeline import dedupe_file
from leadpipe.pipeline.dedupe_file import _csv_cells, _match_inputs, _write

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


# ----------------------------------------------------------------------------------------------------------
# the fast writer and the parallel normalisation change nothing (hypothesis, hostile cells)

_HOSTILE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "=1+1", " =SUM(A1)", "\u00a0@x", "+49 30 123456", "-", "'", '"', 'a"b', "a,b",
                     "line\nbreak", "\r", "\tx", "＝1", "x,\"y\"\n", "Müller", "😀", "\x00",
                     # phones: plain numbers kept, others prefixed, other scripts' digits (Python's \d) kept
                     "+44 (0)20 7946 0000", "+1-650-253-0000", "+49 30 12\n", "-5", "+", "+ 1", "@", "=",
                     "+\u0663\u0663 1", "+49 \u0663", "-\u00e9",
                     # first bytes that are not ASCII letters or digits: other scripts, multi-byte UTF-8, blanks
                     # and invisible characters before a formula, control bytes, the bytes around 0-9 A-Z a-z
                     "Ärger", "é=1", "\u200b=1", "\u3000+1", "\ufeff=1", "\u2028=1", "İ", "ﬁ", "\x7f", "\x01=1",
                     "\x1b[31m", "“q”", "/", ":", "[", "`", "{", "_x", "~", "9", "Z", "z", "0=1", "a\n=1"]),
)
_TYPES = st.sampled_from([pa.string(), pa.large_string()])


# Cells with a few nulls among them (often none: a column without nulls keeps its slice offset through a cast)
_CELLS = st.builds(lambda values, nulls: [None if i in nulls else v for i, v in enumerate(values)],
                   st.lists(_HOSTILE, max_size=30), st.sets(st.integers(0, 29), max_size=4))


def _per_cell(values: list[str | None]) -> list[str | None]:
    """What `neutralise_arrow` must give: `neutralise_formula` of each cell, nulls staying null."""
    return [None if v is None else neutralise_formula(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(_HOSTILE, max_size=30))
def test_neutralise_arrow_is_neutralise_formula_per_cell(values: list[str]) -> None:
    assert neutralise_arrow(pa.array(values, type=pa.large_string())).to_pylist() == [
        neutralise_formula(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(_CELLS, _TYPES, st.integers(0, 30), st.integers(0, 30))
def test_neutralise_arrow_reads_sliced_arrays_with_nulls_of_both_string_types(
        values: list[str | None], type_: pa.DataType, start: int, length: int) -> None:
    """The first bytes are read from the Arrow buffers: a slice starts inside them (array.offset), nulls and
    empty cells have no first byte, and string and large_string have offsets of two widths."""
    got = neutralise_arrow(pa.array(values, type=type_).slice(start, length))
    assert got.type == type_
    assert got.to_pylist() == _per_cell(values[start:start + length])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), _HOSTILE), max_size=8), max_size=4), _TYPES)
def test_neutralise_arrow_of_a_chunked_column_is_per_cell(chunks: list[list[str | None]],
                                                          type_: pa.DataType) -> None:
    got = neutralise_arrow(pa.chunked_array([pa.array(c, type=type_) for c in chunks], type=type_))
    assert isinstance(got, pa.ChunkedArray)
    assert got.type == type_
    assert got.to_pylist() == _per_cell([v for c in chunks for v in c])


@pytest.mark.parametrize("type_", [pa.string(), pa.large_string()])
def test_neutralise_arrow_keeps_a_null_whose_slot_holds_bytes(type_: pa.DataType) -> None:
    """Arrow lets a null's slot span bytes (here `=1`): the null stays null, whatever those bytes are."""
    width = np.int32 if type_ == pa.string() else np.int64
    offsets = pa.py_buffer(np.array([0, 2, 4, 8], dtype=width).tobytes())
    validity = pa.py_buffer(np.packbits([0, 1, 1], bitorder="little").tobytes())
    values = pa.Array.from_buffers(type_, 3, [validity, offsets, pa.py_buffer(b"=1=2 =3x")])
    assert neutralise_arrow(values).to_pylist() == [None, "'=2", "' =3x"]
    assert neutralise_arrow(values.slice(1)).to_pylist() == _per_cell(["=2", " =3x"])


def _csv_cell(value: str | None) -> str:
    """A cell as Python's csv writer quotes it (QUOTE_MINIMAL) when \r and \n both end lines: what
    `_csv_cells` must give for each cell (a null is an empty cell)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(["" if value is None else value, ""])
    return out.getvalue().removesuffix(",\r\n")


@settings(max_examples=300, deadline=None)
@given(_CELLS, _TYPES, st.integers(0, 30), st.integers(0, 30))
def test_csv_cells_quotes_the_cells_the_csv_writer_quotes(values: list[str | None], type_: pa.DataType,
                                                          start: int, length: int) -> None:
    got = _csv_cells(pa.array(values, type=type_).slice(start, length))
    assert got.type == pa.large_string()
    assert got.to_pylist() == [_csv_cell(v) for v in values[start:start + length]]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_HOSTILE, _HOSTILE), min_size=1, max_size=20),
       st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=20, max_size=20))
def test_the_csv_writer_writes_what_pandas_wrote(tmp_path_factory: pytest.TempPathFactory,
                                                 rows: list[tuple[str, str]], weights: list[float | None]) -> None:
    """Byte for byte what `neutralise_frame(frame).to_csv(index=False)` wrote before (quotes only where needed),
    except that a cell holding a carriage return is quoted too (Python 3.11's csv leaves it bare, which Excel
    reads as a line break); the cells read back are the same either way."""

    folder = tmp_path_factory.mktemp("csv")
    table = pa.table({"=Name": pa.array([r[0] for r in rows], pa.large_string()),
                      "Note, free": pa.array([r[1] for r in rows], pa.large_string())})
    cluster = np.arange(1, len(rows) + 1)
    weight = np.array([np.nan if w is None else w for w in weights[:len(rows)]], dtype=float)
    _write(table, cluster, weight, folder / "new.csv")
    frame = table.to_pandas()
    frame = pd.concat([frame, pd.DataFrame({"cluster_id": cluster, "match_weight": np.round(weight, 2)})], axis=1)
    old = neutralise_frame(frame)
    old.to_csv(folder / "old.csv", index=False)
    if not any("\r" in cell for row in rows for cell in row):
        assert (folder / "new.csv").read_bytes() == (folder / "old.csv").read_bytes()

    with open(folder / "new.csv", newline="", encoding="utf-8") as fh:
        back = list(csv.reader(fh))
    assert back[0] == ["'=Name", "Note, free", "cluster_id", "match_weight"]
    assert [r[:2] for r in back[1:]] == old[["'=Name", "Note, free"]].to_numpy().tolist()


_LEAD_VALUES = {
    "first_name": st.sampled_from(["ANNA", "anna", "Dr. Hans", "o'neil", "", "#N/A", "Jean-Luc", "van der BERG"]),
    "last_name": st.sampled_from(["MÜLLER", "smith", "", "McDonald", "de la cruz", "Test", "N/A"]),
    "full_name": st.sampled_from(["", "Ben Miller", "MILLER, BEN", "Prof. Dr. Anna Schmidt", "李小龍"]),
    "email": st.one_of(st.sampled_from(["a@acme.com", "Info@ACME.com", "x@gmail.com", "bad", "", "#N/A",
                                        "Hans <h@acme-bau.de>", "mailto:z@web.de", "a@mailinator.com"]),
                       st.text(max_size=10)),
    "phone": st.one_of(st.sampled_from(["030 1234567", "+49 30 1234567", "+1 650 253 0000", "555-1234", "",
                                        "0049301234567", "(645) 359-1987", "+4930123456"]), st.text(max_size=8)),
    "country": st.sampled_from(["DE", "Germany", "", "US", "United Kingdom", "uk", "Atlantis"]),
    "company": st.sampled_from(["Acme GmbH", "ACME", "#N/A", "", "The Coca-Cola Company", "Self-employed"]),
    "website": st.sampled_from(["", "https://www.acme.de", "acme.co.uk", "linkedin.com/company/x"]),
    "state": st.sampled_from(["", "Bayern", "CA", "California", "N/A"]),
    "street": st.sampled_from(["", "Hauptstr. 5", "1 Main St", "#REF!"]),
    "postcode": st.sampled_from(["", "10115", "sw1a 1aa", "-"]),
    "employees": st.sampled_from(["", "1,200", "11-50", "2.5k"]),
    "city": st.sampled_from(["", "Berlin", "unknown", "\x1b[31mRed"]),
}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries(_LEAD_VALUES), min_size=1, max_size=60))
def test_normalising_in_worker_processes_is_normalising_here(rows: list[dict[str, str]]) -> None:
    frame = pd.DataFrame(rows * 50)  # enough distinct tuples per field to go to the workers in several chunks
    with NormalisePool(2, chunk=7) as pool:
        was, normalise_parallel.INLINE_BELOW = normalise_parallel.INLINE_BELOW, 0
        try:
            parallel = pool.normalise_frame(frame)
        finally:
            normalise_parallel.INLINE_BELOW = was
    pd.testing.assert_frame_equal(parallel, normalise_frame(frame))


_OTHER_FIELDS = {  # mapped fields matching does not read: normalised or not, the features are the same
    "employees": st.sampled_from(["", "1,200", "11-50"]), "industry": st.sampled_from(["", "Software", "#N/A"]),
    "linkedin_url": st.sampled_from(["", "linkedin.com/in/anna", "https://x.example"]),
    "email_consent": st.sampled_from(["", "yes", "no"]), "annual_revenue": st.sampled_from(["", "1M"]),
    "lawful_basis": st.sampled_from(["", "consent"]), "preferred_channel": st.sampled_from(["", "email"]),
    "submitted_at": st.sampled_from(["", "2026-01-02"]), "consent_evidence": st.sampled_from(["", "form"]),
}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries({**_LEAD_VALUES, **_OTHER_FIELDS,
                                       "address_line2": st.sampled_from(["", "Apt 2", "c/o X"]),
                                       "house_number": st.sampled_from(["", "5", "12a"]),
                                       "domain": st.sampled_from(["", "acme.de", "gmail.com"]),
                                       "job_title": st.sampled_from(["", "CEO", "n/a", "Head of Sales"])}),
                min_size=1, max_size=40))
def test_matching_reads_only_the_match_inputs(rows: list[dict[str, str]]) -> None:
    """The fields left out before normalising (not in MATCH_INPUTS) change no feature the matcher reads."""
    frame = pd.DataFrame(rows)
    assert set(frame.columns) == set(MAPPABLE_FIELDS) - {"company_key"}  # every field a file can map
    every, only = features.build(normalise_frame(frame)), features.build(normalise_frame(_match_inputs(frame)))
    assert list(only.arrow) == list(every.arrow)
    for name, (codes, uniques) in every.arrow.items():
        assert np.array_equal(only.arrow[name][0], codes), name
        assert only.arrow[name][1].equals(uniques), name
    for name in ("email_role", "fn_lo", "fn_hi"):
        assert np.array_equal(getattr(only, name), getattr(every, name)), name


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries(_LEAD_VALUES), min_size=1, max_size=60), st.integers(1, 25),
       st.sampled_from([1, 2]), st.integers(1, 9))
def test_normalising_in_parts_is_normalising_in_one_go(rows: list[dict[str, str]], part_rows: int,
                                                       workers: int, deal_block: int) -> None:
    """Parts cut from the rows grouped by company, normalised here or each by a worker process, put back in the
    file's order: the columns matching reads, as normalise_frame gives them for the whole frame."""
    frame = pd.DataFrame(rows)
    whole = normalise_frame(frame)
    with NormalisePool(workers) as pool:
        was = dedupe_file.NORMALISE_ROWS, dedupe_file.SMALL_FILE, dedupe_file.DEAL_BLOCK
        dedupe_file.NORMALISE_ROWS, dedupe_file.SMALL_FILE, dedupe_file.DEAL_BLOCK = part_rows, 0, deal_block
        try:
            parts = dedupe_file._normalise(pool, frame, stop_pool=workers == 2)
        finally:
            dedupe_file.NORMALISE_ROWS, dedupe_file.SMALL_FILE, dedupe_file.DEAL_BLOCK = was
    assert "company" in frame.columns
    assert list(parts.columns) == [c for c in whole.columns if c in {*features.COLUMNS, "email_role"}]
    pd.testing.assert_frame_equal(parts, whole[list(parts.columns)])


@pytest.mark.parametrize(("rows", "parts", "block"), [(10, 3, 2), (1, 2, 4), (17, 4, 3), (8, 2, 4)])
def test_dealing_gives_every_row_to_one_part_in_blocks(rows: int, parts: int, block: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedupe_file, "DEAL_BLOCK", block)
    order = np.random.default_rng(rows).permutation(np.arange(100, 100 + rows))  # rows in company order
    dealt = dedupe_file._dealt(order, parts)
    assert sorted(np.concatenate(dealt).tolist()) == sorted(order.tolist()) and len(dealt) <= parts
    for k, part in enumerate(dealt):  # part k holds blocks k, k + parts, ... of the order, in file order
        expected = sorted(r for i, r in enumerate(order.tolist()) if (i // block) % parts == k)
        assert part.tolist() == expected


@pytest.mark.parametrize(("rows", "workers", "parts"), [
    (1, 1, 1), (250_000, 1, 1), (250_001, 1, 2), (1_000_000, 1, 4), (1_000_000, 2, 4), (1_000_001, 2, 6),
    (30_000, 2, 2), (30_000, 3, 3), (1_000_000, 3, 6),
])
def test_a_file_is_cut_into_parts_the_workers_share_evenly(rows: int, workers: int, parts: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedupe_file, "NORMALISE_ROWS", 250_000)
    assert dedupe_file._part_count(rows, workers) == parts


# the Arrow reader for plain CSV files reads what the pipeline's record reader reads, or declines

_CELL = st.text(alphabet=st.sampled_from(['a', 'Z', 'é', '1', ' ', ',', ';', '"', '\n', '\r', '\t', '|', '#']),
                max_size=6)


@settings(max_examples=400, deadline=None)
@given(header=st.lists(st.sampled_from(["First Name", "Last Name", "Email", "Company", "Note", "Email", " x ", ""]),
                       min_size=2, max_size=5),
       rows=st.lists(st.lists(_CELL, min_size=5, max_size=5), min_size=0, max_size=6),
       ragged=st.booleans(), quote_all=st.booleans(), delimiter=st.sampled_from([",", ";", "\t"]),
       line_end=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(), raw_tail=st.one_of(st.just(""), _CELL))
def test_the_arrow_reader_reads_what_the_record_reader_reads(tmp_path_factory: pytest.TempPathFactory,
                                                           header: list[str], rows: list[list[str]],
                                                           ragged: bool, quote_all: bool, delimiter: str,
                                                           line_end: str, bom: bool, raw_tail: str) -> None:
    """Generated files (stray and doubled quotes, quoted line breaks, blank and ragged lines, a BOM, repeated
    and blank header names): whenever the Arrow reader reads one, the record reader reads the same."""
    from connectors.sources.base import SourceError, SourceState
    from connectors.sources.file_source import FileSource
    from leadpipe.pipeline.dedupe_file import _read_plain, _read_unit

    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerow(header)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(row if ragged else row[:len(header)] for row in rows)
    text = buffer.getvalue() + raw_tail  # a hand-written last line: stray quotes, ragged, unterminated
    path = tmp_path_factory.mktemp("plain") / "leads.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    source = FileSource("dedupe", str(path), delimiter=None)
    units = source.discover(SourceState())
    if not units:
        return
    fast = _read_plain(path, source, units[0])
    if fast is None:
        return  # declined: the record reader reads it (its errors included)
    try:
        slow = _read_unit(path.name, source, units[0])
    except SourceError as exc:
        raise AssertionError(f"the record reader refuses a file the Arrow reader read: {exc}") from None
    assert fast.columns.column_names == slow.columns.column_names
    assert fast.columns.to_pylist() == slow.columns.to_pylist()
    assert fast.source_rows.tolist() == slow.source_rows.tolist()
    assert fast.problems == slow.problems == {}
    assert fast.mapping == slow.mapping


def test_the_arrow_reader_reads_a_plain_lead_file(tmp_path: Path) -> None:
    """The common case takes the Arrow path (else the comparison above would only ever see it decline)."""
    from connectors.sources.base import SourceState
    from connectors.sources.file_source import FileSource
    from leadpipe.pipeline.dedupe_file import _read_plain

    path = tmp_path / "leads.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *ROWS, ["Jo", "Lee", "", 'Acme "Best", Inc', "multi\nline"]])
    source = FileSource("dedupe", str(path))
    lead_file = _read_plain(path, source, source.discover(SourceState())[0])
    assert lead_file is not None
    assert lead_file.columns.column("Company").to_pylist()[-1] == 'Acme "Best", Inc'
    assert lead_file.columns.column("Note").to_pylist()[-1] == "multi\nline"
    assert lead_file.source_rows.tolist() == [1, 2, 3, 4]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries(_LEAD_VALUES), min_size=1, max_size=40),
       st.sets(st.sampled_from(["company", "company_key", "website", "domain", "email", "email_role", "phone",
                                "first_name", "job_title", "employees", "lead_id"]), min_size=1))
def test_normalising_only_some_columns_gives_those_columns_as_normalising_all(rows: list[dict[str, str]],
                                                                            only: set[str]) -> None:
    """normalise_frame(only=...) skips the fields none of the named columns needs: the named columns are what the
    full normalisation gives them, in its order, and nothing else is returned."""
    frame = pd.DataFrame(rows)
    whole = normalise_frame(frame)
    some = normalise_frame(frame, only=only)
    assert list(some.columns) == [c for c in whole.columns if c in only]
    pd.testing.assert_frame_equal(some, whole[list(some.columns)])


@pytest.mark.parametrize("workers", [1, 2])
def test_rows_are_normalised_by_the_workers_as_normalise_frame_gives_them(workers: int) -> None:
    """normalise_rows: each part of the table's rows, sent to a worker as Arrow (or normalised here with one),
    comes back as normalise_frame gives those rows, with its dtypes."""
    frame = pd.DataFrame({"first_name": ["ANNA", "hans", "Jean-Luc"], "last_name": ["MÜLLER", "smith", "Picard"],
                          "email": ["a@acme.com", "H@Web.DE", "bad"], "phone": ["030 1234567", "", "+1 650 253 0000"],
                          "country": ["DE", "DE", "US"], "company": ["Acme GmbH", "#N/A", "Starfleet Inc."]})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    only = {"first_name", "last_name", "email", "email_role", "phone", "company_key"}
    parts = [np.array([0, 2]), np.array([1])]
    with NormalisePool(workers) as pool:
        got = [part.to_pandas() for part in pool.normalise_rows(table, parts, only)]
    for rows, part in zip(parts, got, strict=True):
        pd.testing.assert_frame_equal(part, normalise_frame(frame.take(rows).reset_index(drop=True), only=only))


def test_a_stopped_pool_normalises_here_and_forks_no_more_workers() -> None:
    frame = pd.DataFrame({"email": ["A@Acme.com", "x@gmail.com"], "last_name": ["Lee", "Kim"]})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with NormalisePool(2) as pool:
        pool.stop()
        got = next(pool.normalise_rows(table, [np.array([1, 0])], {"email", "last_name"})).to_pandas()
        assert pool._pool is None
    pd.testing.assert_frame_equal(got, normalise_frame(frame.take([1, 0]).reset_index(drop=True),
                                                       only={"email", "last_name"}))

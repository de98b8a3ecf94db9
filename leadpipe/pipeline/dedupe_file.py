"""Deduplicate any lead file on its own, outside the pipeline (`leadpipe dedupe IN OUT.csv`).

The file is read by the pipeline's own file source (connectors.sources.file_source), so `leadpipe dedupe`
reads every file the nightly run reads (CSV and TSV in any encoding the source detects, a BOM, a vendor
preamble above the header, .xlsx, JSON and NDJSON) and fails with the same sentences naming the file and line.
Headers are mapped to canonical fields the way ingest maps them (connectors.sources.mapping: a vendor preset
detected from the headers, then fuzzy aliases). The output is every input row with all its original columns
plus `cluster_id` (the row number of the cluster's first row) and `match_weight` (the row's strongest link, in
bits). A row the reader could not read cleanly (more or fewer fields than the header) is written too, alone in
its cluster with no weight, and named in the command's summary: every row ends somewhere, with a reason.

Speed: a 1M-row file is read in batches into Arrow columns (a few hundred MB, not millions of dicts), the
distinct values of each field are normalised once, in worker processes on every core
(enrichment.normalise_parallel), and the CSV is written by Arrow.
"""

from __future__ import annotations

import csv
import gc
import importlib
import io
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import zip_longest
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.sources.base import SourceState, SourceUnit, batched
from connectors.sources.file_formats import FORMATS, format_for, read_plain_csv
from connectors.sources.file_source import FileSource
from connectors.sources.mapping import HeaderMapping, map_headers
from enrichment.dedupe import DedupeConfig, features
from enrichment.dedupe.parallel import thread_map
from enrichment.normalise_parallel import NormalisePool
from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.core.spreadsheet import neutralise_arrow, neutralise_formula, text_buffers

# Without one of these there is nothing to tell people apart by.
NAME_OR_EMAIL = ("email", "last_name", "full_name")
MAPPING_SAMPLE = 1_000  # payloads that tell repeated columns apart, as ingest samples them
READ_BATCH = 50_000  # records turned into Arrow columns at a time
WRITE_BATCH = 200_000  # rows turned into CSV text at a time
WRITE_AHEAD = 2  # batches being turned into text while the one before is written
NORMALISE_ROWS = 125_000  # rows normalised at a time: memory for the bookkeeping of a part, not of the file
DEAL_BLOCK = 8_192  # rows dealt to a part at a time (see _normalise)
SMALL_FILE = 20_000  # rows normalised in one go, their distinct values shared by the workers: parts would cost more
EXAMPLE_PROBLEMS = 5  # unreadable rows named in the summary
QUOTE_BYTES = b',"\r\n'  # a CSV cell holding one of these is quoted (csv.QUOTE_MINIMAL with "," and '"')
EXTRA_FIELDS = "_extra_fields"  # the reader's overflow column (values beyond the last header)
# The mapped fields the matcher's features come from once normalised (enrichment.dedupe.features: names, email,
# phone, company key, domain, title, city, postcode, the address; the phone is read in the country, the domain
# taken from the website or the email). The others (employees, industry, consent...) would be normalised, in
# time and memory, for nothing: the output writes the file's own cells (a test builds features both ways).
MATCH_INPUTS = frozenset({"first_name", "last_name", "full_name", "email", "phone", "country", "company", "website",
                          "domain", "job_title", "city", "postcode", "state", "street", "house_number",
                          "address_line2"})
# The normalised columns features.build reads (and only these are normalised: not the company's display name nor
# the website, whose key and domain it reads).
MATCH_COLUMNS = frozenset({*features.COLUMNS, "email_role"})


class NothingToMatchOn(ValueError):
    """The file has no column recognised as a name or an email."""


class DedupeFileError(ValueError):
    """The command cannot do what was asked (unknown file type, output over the input, unwritable output)."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read the file: the file source's settings (`auto` detects, as in a source's YAML)."""

    format: str = "auto"
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None


@dataclass
class LeadFile:
    """A lead file as read: its columns as text (in file order), the rows the reader flagged, the mapping."""

    name: str
    columns: pa.Table  # every column of the file as strings, one row per record, in file order
    source_rows: np.ndarray  # the reader's record number of each row (1-based, blank lines skipped)
    problems: dict[int, str]  # row position -> why the reader could not read it cleanly
    mapping: HeaderMapping

    @property
    def rows(self) -> int:
        return self.columns.num_rows

    def mapped(self) -> pd.DataFrame:
        """The canonical fields (lead schema names) of every row, as ingest maps them."""
        out = {}
        for fld, header in self.mapping.fields.items():
            if fld not in MAPPABLE_FIELDS or header not in self.columns.column_names:
                continue
            values = self.columns.column(header)
            for backup in self.mapping.fallbacks.get(fld, []):  # a repeated column fills the empty cells
                if backup in self.columns.column_names:
                    values = _fill_blanks(values, self.columns.column(backup))
            out[fld] = pd.Series(values.to_pandas(), dtype="str")
        return pd.DataFrame(out, index=pd.RangeIndex(self.rows))


@dataclass(frozen=True)
class DedupedFile:
    rows: int
    clusters: int
    mapping: dict[str, str]  # canonical field -> header
    out_path: Path
    unreadable: int = 0  # rows written unmatched because the reader flagged them
    problems: list[str] = field(default_factory=list)  # the first few of their reasons
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step: read, normalise, match, write


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Canonical field -> header, as ingest maps a file with no preset or mapping configured."""
    return dict(map_headers(headers).fields)


def read_lead_file(path: Path, options: ReadOptions | None = None) -> LeadFile:
    """Read one lead file with the pipeline's file source. SourceError (naming the file and the problem) when it
    cannot be read at all; DedupeFileError when its type is unknown and no format was given."""
    options = options or ReadOptions()
    if options.format == "auto" and format_for(path.name) is None:
        raise DedupeFileError(f"{path.name}: unknown file type; name it .csv, .tsv, .xlsx, .json or .ndjson, "
                              f"or pass --format (one of {', '.join(FORMATS)})")
    source = FileSource("dedupe", str(path.resolve()), fmt=options.format, encoding=options.encoding,
                        delimiter=options.delimiter, sheet=options.sheet, header_row=options.header_row)
    units = source.discover(SourceState())
    if not units:
        raise DedupeFileError(f"{path.name}: nothing to read")
    plain = _read_plain(path, source, units[0])
    if plain is not None:
        return plain
    with _gc_paused():  # millions of short-lived strings and no cycles: the cyclic GC would only rescan them
        return _read_unit(path.name, source, units[0])


def _read_plain(path: Path, source: FileSource, unit: SourceUnit) -> LeadFile | None:
    """A plain CSV/TSV read by Arrow in one go (connectors.sources.file_formats.read_plain_csv): the same
    columns as `_read_unit` (a test compares both), no record objects. None when the file is not plain."""
    fmt = source.fmt_of(unit)
    if fmt not in ("csv", "tsv"):
        return None
    delimiter = source.delimiter or ("\t" if fmt == "tsv" else None)
    read = read_plain_csv(str(path.resolve()), source.encoding_of(unit), delimiter, source.header_row)
    if read is None:
        return None
    headers, table = read
    pa.default_memory_pool().release_unused()
    sample = table.slice(0, MAPPING_SAMPLE).to_pylist()
    mapping = map_headers([h for h in headers if h != EXTRA_FIELDS], rows=sample)
    return LeadFile(path.name, table, np.arange(1, table.num_rows + 1, dtype=np.int64), {}, mapping)


def _read_unit(name: str, source: FileSource, unit: object) -> LeadFile:
    headers: list[str] = []
    known: set[str] = set()
    getter = None
    chunks: list[tuple[int, list[pa.Array]]] = []
    source_rows: list[int] = []
    problems: dict[int, str] = {}
    sample: list[dict[str, str]] = []
    at = 0
    for batch in batched(source.read(unit), READ_BATCH):
        rows = []
        for record in batch:
            payload = record.payload
            row = None
            if getter is not None and len(payload) == len(headers):
                try:
                    row = getter(payload)  # the header's keys, in header order
                except KeyError:
                    pass
            if row is None:  # other keys than the header (a short or long row, a JSON record): one by one
                new = [k for k in payload if k not in known]
                if new:
                    headers += new
                    known.update(new)
                    getter = _getter(headers)
                row = tuple(payload.get(h, "") for h in headers)
            rows.append(row)
            if record.error:
                problems[at] = record.error
            source_rows.append(record.source_row)
            at += 1
            if len(sample) < MAPPING_SAMPLE:
                sample.append(payload)
        columns = list(zip_longest(*rows, fillvalue=""))
        chunks.append((len(rows), [pa.array(col, type=pa.large_string()) for col in columns]))
    arrays = []
    for i in range(len(headers)):  # a column first seen in a later batch is blank in the earlier ones
        parts = [c[i] if i < len(c) else pa.array([""] * n, type=pa.large_string()) for n, c in chunks]
        arrays.append(pa.chunked_array(parts, type=pa.large_string()).combine_chunks())
    table = pa.Table.from_arrays(arrays, names=headers) if headers else pa.table({})
    mapping = map_headers([h for h in headers if h != EXTRA_FIELDS], rows=sample)
    return LeadFile(name, table, np.asarray(source_rows, dtype=np.int64), problems, mapping)


def _getter(headers: list[str]):
    """Values of a payload in header order as a tuple (itemgetter: one C call per record)."""
    if len(headers) == 1:
        key = headers[0]
        return lambda payload: (payload[key],)
    return itemgetter(*headers)


def _fill_blanks(values: pa.Array, backup: pa.Array) -> pa.Array:
    """`values`, with each blank cell (empty after strip) taken from `backup` where that is not blank
    (HeaderMapping.column, column-wise)."""
    blank = [not (v or "").strip() for v in values.to_pylist()]
    alternative = [bool((b or "").strip()) for b in backup.to_pylist()]
    take = pa.array([a and b for a, b in zip(blank, alternative, strict=True)])
    return pc.if_else(take, backup, values)


@contextmanager
def _gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def dedupe_frame(raw: pd.DataFrame, mapping: dict[str, str] | None = None,
                 cfg: DedupeConfig | None = None, pool: NormalisePool | None = None) -> pd.DataFrame:
    """cluster_id and match_weight for each row of a raw lead table (all columns as text)."""
    mapping = mapping if mapping is not None else auto_mapping(list(raw.columns))
    mapped = pd.DataFrame({f: raw[h] for f, h in mapping.items() if f in MAPPABLE_FIELDS and h in raw.columns},
                          index=raw.index)
    labels, weight = _match(lambda: mapped, cfg, pool)
    return pd.DataFrame({"cluster_id": _first_row(labels, np.arange(1, len(labels) + 1)),
                         "match_weight": np.round(weight.astype(float), 2)})


def _readable_rows(mapped: pd.DataFrame, readable: np.ndarray) -> pd.DataFrame:
    return mapped if readable.all() else mapped[readable].reset_index(drop=True)


def _match(mapped: Callable[[], pd.DataFrame], cfg: DedupeConfig | None, pool: NormalisePool | None,
           seconds: dict[str, float] | None = None, stop_pool: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(labels, weights) of the mapped rows `mapped()` builds. Each table is let go as soon as the next one is
    built (mapped -> normalised -> features), so the peak holds two of them, not all three."""
    seconds = {} if seconds is None else seconds
    pool = pool or NormalisePool(1)
    # the matcher (rapidfuzz, scipy: half a second of imports) is imported while the workers normalise and this
    # process waits for them; the workers, forked before, never carry it
    importing = _in_background(importlib.import_module, "enrichment.dedupe.matching") if pool.workers > 1 else None
    with _timed(seconds, "normalise"):
        # stop_pool: the workers' memory (caches of every distinct value) is freed once their last result is
        # in, not held while the output columns are built and through matching
        normalised = _normalise(pool, _match_inputs(mapped()), stop_pool)
    with _timed(seconds, "match"):
        if importing is not None:
            importing()
        from enrichment.dedupe.matching import match  # imported above on a thread, after the workers forked

        found = features.build(normalised)
        del normalised
        result = match(found, cfg or DedupeConfig())
    return result.labels, result.weight


def _in_background(fn: Callable[[str], object], arg: str) -> Callable[[], object]:
    """fn(arg) started on a thread; the callable returned waits for it (and raises what it raised)."""
    runner = ThreadPoolExecutor(1)
    future = runner.submit(fn, arg)
    runner.shutdown(wait=False)
    return future.result


def _normalise(pool: NormalisePool, mapped: pd.DataFrame, stop_pool: bool) -> pd.DataFrame:
    """The columns features.build reads, normalised in parts of at most NORMALISE_ROWS rows, in the rows' order.

    Normalisation is row by row (each distinct value alone), so the parts put back in order are the frame
    normalised in one go (a test compares both). Each part is normalised whole by one of the pool's workers
    (NormalisePool.normalise_rows), so every core does every step, and a part's bookkeeping (distinct values,
    argument tuples, results as Python objects) lives in a worker while it is needed, not in this process. There
    are at least as many parts as workers, a multiple of them. The parts are dealt from the rows ordered by company
    in blocks of DEAL_BLOCK rows (part k takes blocks k, k + parts, k + 2 * parts...): a company's rows (its
    website, and most of a person's rows: the same email and phone) fall in one part, so few values are normalised
    in two parts, and every part gets its share of the frequent companies first seen early in the file and of the
    rare ones first seen late (more distinct values, more work), so the workers finish together. Of each part only
    what matching reads is normalised and kept (MATCH_COLUMNS)."""
    if len(mapped) <= SMALL_FILE or pool.workers == 1 and len(mapped) <= NORMALISE_ROWS:
        return pool.normalise_frame(mapped, last=stop_pool, only=MATCH_COLUMNS)
    dealt = _dealt(_grouped_order(mapped), _part_count(len(mapped), pool.workers))
    order = np.concatenate(dealt)
    table = pa.Table.from_pandas(mapped, preserve_index=False)  # the columns' own Arrow buffers, not a copy
    normalised = list(pool.normalise_rows(table, dealt, MATCH_COLUMNS))
    del dealt, table
    if stop_pool:  # before the parts are joined: the workers' memory is not held with the joined copy
        pool.stop()
    joined = pa.concat_tables(normalised)
    del normalised
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    # back in the file's order a column at a time, on threads (Arrow's take releases the GIL): each source column
    # is let go as soon as it is taken, so the peak holds one copy of the frame and the columns in flight
    schema = joined.schema
    sources = dict(zip(schema.names, joined.columns, strict=True))
    del joined
    taken = thread_map(lambda name: sources.pop(name).combine_chunks().take(back), schema.names)
    return pa.Table.from_arrays(taken, schema=schema).to_pandas()


def _dealt(order: np.ndarray, parts: int) -> list[np.ndarray]:
    """`order` dealt into `parts` parts, DEAL_BLOCK rows at a time, round the parts in turn; each part's rows in
    file order (which rows a part holds is what matters; taken in file order, its cells are read front to back,
    two to three times faster than in the company order)."""
    blocks = [order[start:start + DEAL_BLOCK] for start in range(0, len(order), DEAL_BLOCK)]
    return [np.sort(np.concatenate(blocks[k::parts])) for k in range(parts) if blocks[k::parts]]


def _part_count(rows: int, workers: int) -> int:
    """Parts of at most NORMALISE_ROWS rows, as many as the workers or a multiple of them."""
    return -(-max(1, -(-rows // NORMALISE_ROWS)) // workers) * workers


def _grouped_order(mapped: pd.DataFrame) -> np.ndarray:
    """Row positions with equal companies together (each company where its first row is), else file order."""
    if "company" not in mapped.columns:
        return np.arange(len(mapped))
    return np.argsort(pd.factorize(mapped["company"])[0], kind="stable")


def _match_inputs(mapped: pd.DataFrame) -> pd.DataFrame:
    """The columns of `mapped` that matching reads (MATCH_INPUTS), in their order."""
    return mapped[[c for c in mapped.columns if c in MATCH_INPUTS]]


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[step] = round(seconds.get(step, 0.0) + time.perf_counter() - start, 2)


def _first_row(labels: np.ndarray, row_numbers: np.ndarray) -> np.ndarray:
    """Each row's cluster named by the row number of its first row."""
    return pd.Series(row_numbers).groupby(labels).transform("min").to_numpy()


def dedupe_file(in_path: Path, out_path: Path, options: ReadOptions | None = None,
                workers: int | None = None) -> DedupedFile:
    """Read a lead file, write it back as CSV with cluster_id and match_weight.

    NothingToMatchOn when no name or email column is recognised; SourceError when the file cannot be read;
    DedupeFileError for an unknown file type or an output path that is the input or cannot be written.
    """
    if out_path.resolve() == in_path.resolve():
        raise DedupeFileError(f"{out_path}: writing there would overwrite the input file; name another output")
    seconds: dict[str, float] = {}
    with NormalisePool(workers) as pool:  # forked before the file is read: small, building their tables meanwhile
        with _timed(seconds, "read"):
            lead_file = read_lead_file(in_path, options)
        mapping = dict(lead_file.mapping.fields)
        if not set(NAME_OR_EMAIL) & set(mapping):
            raise NothingToMatchOn(f"{in_path.name}: no name or email column recognised among headers "
                                   f"{lead_file.columns.column_names}")
        readable = np.ones(lead_file.rows, dtype=bool)
        readable[list(lead_file.problems)] = False
        cluster_id = lead_file.source_rows.copy()
        weight = np.full(lead_file.rows, np.nan)
        if readable.any():
            labels, w = _match(lambda: _readable_rows(lead_file.mapped(), readable), None, pool, seconds,
                               stop_pool=True)
            cluster_id[readable] = _first_row(labels, lead_file.source_rows[readable])
            weight[readable] = w
    with _timed(seconds, "write"):
        _write(lead_file.columns, cluster_id, weight, out_path)
    problems = [lead_file.problems[i] for i in sorted(lead_file.problems)[:EXAMPLE_PROBLEMS]]
    return DedupedFile(lead_file.rows, int(pd.unique(cluster_id).size), mapping, out_path,
                       len(lead_file.problems), problems, seconds)


def dedupe_csv(in_path: Path, out_path: Path) -> DedupedFile:
    """`dedupe_file` with the file source's defaults (kept for callers of the CSV-only version)."""
    return dedupe_file(in_path, out_path)


def _write(columns: pa.Table, cluster_id: np.ndarray, weight: np.ndarray, out_path: Path) -> None:
    """Every column as read (formula-like cells neutralised, leadpipe.core.spreadsheet), then the two results,
    as CSV the way pandas' to_csv writes it (quotes only where a cell needs them, "\\n" line ends, UTF-8), built
    by Arrow WRITE_BATCH rows at a time: only a few batches' text is held besides the table (not a second copy of
    the whole file). A batch's columns are turned into text on threads, and the next batch is built while one is
    joined into lines and written (Arrow's kernels release the GIL)."""
    weights = pa.array(np.round(weight, 2), mask=np.isnan(weight))
    ids, weight_cells = pa.array(cluster_id).cast(pa.large_string()), _weights_text(weights)
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(
        [neutralise_formula(n) for n in columns.column_names] + ["cluster_id", "match_weight"])

    def lines(start: int) -> bytes:
        batch = columns.slice(start, WRITE_BATCH)
        part = thread_map(lambda i: _csv_cells(neutralise_arrow(batch.column(i).combine_chunks())),
                          range(batch.num_columns))
        part += [ids.slice(start, WRITE_BATCH), weight_cells.slice(start, WRITE_BATCH)]
        return _body(pc.binary_join_element_wise(*part, pa.scalar(",", pa.large_string())))

    try:
        with open(out_path, "wb") as fh, ThreadPoolExecutor(WRITE_AHEAD) as builders:
            fh.write(header.getvalue().encode("utf-8"))
            pending: deque[Future[bytes]] = deque()
            for start in range(0, len(cluster_id), WRITE_BATCH):
                pending.append(builders.submit(lines, start))
                if len(pending) >= WRITE_AHEAD:
                    fh.write(pending.popleft().result())
            while pending:
                fh.write(pending.popleft().result())
    except OSError as exc:
        raise DedupeFileError(f"{out_path}: cannot write the output ({exc.strerror or exc})") from None


def _csv_cells(values: pa.Array) -> pa.Array:
    """Cells as CSV text (csv.QUOTE_MINIMAL): quoted, inner quotes doubled, when they hold , " or a line break.
    Most columns have no such cell: they are found from the value bytes at once (`_cells_to_quote`), and only
    the cells found are quoted, not every cell by a regex."""
    values = pc.fill_null(values.cast(pa.large_string()), "")
    needs = _cells_to_quote(values)
    if not needs.any():
        return values
    mask = pa.array(needs)
    quote, nothing = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    cells = pc.replace_substring(pc.filter(values, mask), '"', '""')
    return pc.replace_with_mask(values, mask, pc.binary_join_element_wise(quote, cells, quote, nothing))


def _cells_to_quote(values: pa.Array) -> np.ndarray:
    """A mask of the cells of a large_string array without nulls that hold , " \\r or \\n: the positions of
    those bytes in the value buffer (UTF-8: no other character's bytes equal them) mapped to the cells whose
    offset ranges hold them."""
    needs = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return needs
    offsets, data = text_buffers(values)
    if offsets[-1] == offsets[0]:  # every cell empty
        return needs
    hits = np.flatnonzero(_bytes_in(data[offsets[0]:offsets[-1]], QUOTE_BYTES)) + offsets[0]
    # a byte at position p is in the last cell starting at or before p (empty cells before it start there too)
    needs[np.searchsorted(offsets, hits, side="right") - 1] = True
    return needs


def _bytes_in(data: np.ndarray, wanted: bytes) -> np.ndarray:
    """Where `data` holds one of the `wanted` bytes. One vectorised comparison per wanted byte: for these four,
    2-3x faster than a lookup table (its gather is byte by byte)."""
    found = data == wanted[0]
    for byte in wanted[1:]:
        found |= data == byte
    return found


def _weights_text(weights: pa.Array) -> pa.Array:
    """Weights as pandas writes floats (repr: "12.35", "3.0"), empty for none. Rounded to two decimals they
    take a few thousand distinct values: repr runs once per distinct value, not once per row."""
    numbers = weights.to_numpy(zero_copy_only=False)
    # by bit pattern: -0.0 and 0.0 are equal numbers but two texts
    at, distinct = pd.factorize(np.ascontiguousarray(numbers, dtype=np.float64).view(np.int64))
    text = np.array([repr(float(w)) for w in distinct.view(np.float64)], dtype=object)[at]
    return pc.fill_null(pa.array(text, type=pa.large_string(), mask=np.isnan(numbers)), "")


def _body(lines: pa.Array) -> bytes:
    """The lines, each ended by "\\n", as one block of UTF-8 bytes (Arrow's value buffer, no Python strings)."""
    data = pc.binary_join_element_wise(lines, pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string()))
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64)[data.offset:data.offset + len(data) + 1]
    return data.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]

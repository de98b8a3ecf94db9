"""The dedupe stage: this run's valid rows resolved to people (new or existing), golden records kept current.

Partitioned as the DAG runs it: `dedupe_plan` (one worker) loads the batch and its candidate people, builds
the matching features and fits the model once; `dedupe_score` (one task per partition) compares that
partition's candidate pairs; and `dedupe_merge` (one worker) clusters all partitions' pairs into the same
people one process would find, then stores people and membership, the model, the review list, merged
outcomes and resolved.parquet.

The stage's I/O: golden records and membership into the warehouse, resolved.parquet, the ledger.

A 100k-row run touches ~70k people and 100k membership rows, so everything here works on whole columns:
one upsert per table in large executemany chunks (no delete + re-insert, no IN lists to compile), JSON
encoded by msgspec, reasons for merged rows built as string columns rather than one lookup per row.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import logging
import multiprocessing
import os
import pickle
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, event

from enrichment.dedupe import Model, fit_model, prepare, resolve_from_partitions
from enrichment.dedupe.features import FIELDS, Features
from enrichment.dedupe.matching import candidates
from enrichment.dedupe.partition import score_partition, split_pairs
from leadpipe.core.memory import release_freed_memory
from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.dedupe_candidates import candidate_people, load_model, save_model
from leadpipe.pipeline.rekey import rekey_company_keys
from leadpipe.store.bulk_write import bulk_load, upsert_columns
from leadpipe.store.json_columns import int_texts, json_object_array, value_texts
from leadpipe.store.ledger import OutcomeColumns, write_outcome_columns
from leadpipe.store.run_files import parquet_file, parquet_writer, read_frame, write_frame
from leadpipe.store.warehouse import membership, people

log = logging.getLogger("leadpipe")

WRITE_CHUNK = 20_000
_ENCODER = msgspec.json.Encoder(enc_hook=lambda v: v.isoformat() if hasattr(v, "isoformat") else v.item())


def store_people(engine: Engine, run_id: str, res) -> None:
    """Golden records and row -> person membership of this run, upserted (existing people keep created_run_id).

    Written one chunk at a time as whole columns (leadpipe.store.bulk_write.upsert_columns): no dict per row,
    JSON texts built a column at a time (leadpipe.store.json_columns), evidence built only for the chunk being
    written. At 1M rows the row dicts and JSON texts of the whole run at once were gigabytes. A write as large
    as the table (a first run) goes in with the secondary indexes rebuilt once at the end (bulk_write.bulk_load).
    The stage itself builds the chunks on one thread while another writes them (`_StoreBehind`).
    """
    _write_chunks(engine, _table_sizes(res), _people_writes(res, run_id))


Write = tuple[Table, dict[str, list], dict]  # a table, a chunk of its columns, upsert_columns' options


def _table_sizes(res) -> dict[Table, int]:
    return {people: len(res.golden_frame), membership: len(res.membership)}


def _people_writes(res, run_id: str) -> Iterator[Write]:
    """The chunks store_people writes, in order: people, then membership (a foreign key on PostgreSQL)."""
    yield from _golden_writes(res, run_id)
    yield from _membership_writes(res, run_id)


def _golden_writes(res, run_id: str) -> Iterator[Write]:
    """The people in person_id order: each insert lands at the end of the primary key's B-tree instead of at
    a random page of it (uuids), so the writer needs a small page cache, not one holding the whole key."""
    g, prov = res.golden_frame, res.provenance_frame
    order = pc.sort_indices(pa.array(g.index.to_numpy(dtype=object), pa.string())).to_numpy()
    for lo in range(0, len(g), WRITE_CHUNK):
        rows = order[lo : lo + WRITE_CHUNK]
        cols = _people_columns(g.iloc[rows], prov.iloc[rows], run_id)
        yield people, cols, {"key": "person_id", "keep": ("created_run_id",), "json_text": ("record", "provenance")}


def _membership_writes(res, run_id: str) -> Iterator[Write]:
    m = res.membership
    for lo in range(0, len(m), WRITE_CHUNK):
        cols = _member_columns(m.iloc[lo : lo + WRITE_CHUNK], res.evidence, run_id)
        yield membership, cols, {"key": "raw_row_id", "json_text": ("evidence",)}


Step = Callable[[Connection], object]  # more rows stored in the same transaction (the merged rows' outcomes)


def _write_chunks(engine: Engine, sizes: dict[Table, int], writes: Iterable[Write],
                  after: Iterable[Step] = ()) -> None:
    """All `writes` in one transaction (bulk_load: indexes rebuilt once when the write is as large as the table),
    then `after`'s steps in it, the indexes back by then. The writes come a table at a time: a table's indexes
    are rebuilt as soon as the next table's rows begin (membership's while the people chunks are still built)."""
    with engine.begin() as conn:
        with bulk_load(conn, sizes) as loaded:
            current = None
            for table, cols, opts in writes:
                if current is not None and table is not current:
                    loaded(current)
                current = table
                upsert_columns(conn, table, cols, opts["key"], keep=opts.get("keep", ()),
                               json_text=opts.get("json_text", ()))
        for step in after:
            step(conn)


class _Aborted(Exception):
    """The thread building the chunks failed: the writer rolls back instead of committing part of the run."""


_DONE, _ABORT = object(), object()
_END, _CANCEL = "end", "cancel"  # the same two markers as they travel to the writer process


class _StoreBehind:
    """store_people with the work split in three: the stage's thread builds the people chunks (JSON texts), a
    sender thread here hands them on, and a writer process (forked when the merge starts, while this process
    is still small) writes them in one transaction. The writer used to be a thread of this process: SQLite's
    executemany lets go of the GIL for every row and waits to get it back, so while this process built
    chunks or ran survivorship every row of the write queued behind it (1M people: ~12 s for what takes
    ~4.5 s alone). Its own interpreter writes at full speed, and its page cache is not this process's.
    On SQLite, whose foreign keys are not enforced, membership goes first, built and sent as soon as the
    resolution has decided it (`start`, from resolve_from_partitions' on_membership), while survivorship
    still runs here. One transaction either way, so the stored rows are the same. The pipe to the writer
    holds about one chunk: the stage never gets far ahead of the writer, nor holds the whole run's texts.

    The caller hands over the people (`finish`), then the steps that store more in the same transaction
    (`close`: the merged rows' outcomes, built while the writer rebuilds the indexes; picklable, they run
    in the writer); the transaction commits after `close`."""

    def __init__(self, pool: ThreadPoolExecutor, engine: Engine, run_id: str) -> None:
        self.pool, self.run_id = pool, run_id
        self.q: queue.Queue = queue.Queue(maxsize=3)
        self.written: Future | None = None
        self.members_first = engine.dialect.name == "sqlite"
        self.writer = _WriterProcess(engine)

    def start(self, res, n_people: int) -> None:
        """Open the write (membership decided, golden records not yet); on SQLite, membership is written now."""
        sizes = {people: n_people, membership: len(res.membership)}
        early = _membership_writes(res, self.run_id) if self.members_first else iter(())
        writes = itertools.chain(early, self._queued())
        self.written = self.pool.submit(self.writer.write, sizes, writes, self._queued())

    def finish(self, res) -> Future:
        """Hand over the people chunks (then membership, unless written first); the future is done when committed,
        after `close`."""
        if self.written is None:
            self.start(res, len(res.golden_frame))
        writes = _golden_writes(res, self.run_id)
        if not self.members_first:
            writes = itertools.chain(writes, _membership_writes(res, self.run_id))
        try:
            for item in writes:
                _hand_over(self.q, self.written, item)
        except BaseException:
            self.abort()
            raise
        _hand_over(self.q, self.written, _DONE)
        return self.written

    def close(self, *steps: Step) -> Future:
        """Hand over the steps that store more in the same transaction; then the writer commits."""
        for step in steps:
            _hand_over(self.q, self.written, step)
        _hand_over(self.q, self.written, _DONE)
        return self.written

    def abort(self) -> None:
        """The stage failed before handing everything over: the writer rolls back (nothing of this run stored)."""
        if self.written is not None:
            _hand_over(self.q, self.written, _ABORT, wait=False)
        else:
            self.writer.cancel()

    def _queued(self) -> Iterator:
        """What the stage hands over, up to the next _DONE (the people's writes, then the steps)."""
        while (item := self.q.get()) is not _DONE:
            if item is _ABORT:
                raise _Aborted("the dedupe stage failed while building its writes")
            yield item


class _WriterProcess:
    """A forked process that runs `_write_chunks` on what `write` sends it through a pipe, and reports back.

    Forked with os.fork, not multiprocessing.Process: an Airflow task under the Celery executor is forked from a
    (billiard) pool worker that multiprocessing takes for a daemon, and daemons may not start processes."""

    def __init__(self, engine: Engine) -> None:
        recv_end, self.send_end = multiprocessing.Pipe(duplex=False)
        self.report_recv, report_send = multiprocessing.Pipe(duplex=False)
        self.exitcode: int | None = None
        gc.freeze()  # the child's collector leaves the inherited objects alone: their pages stay shared
        try:
            self.pid = os.fork()
        finally:
            gc.unfreeze()
        if self.pid == 0:  # the writer: never returns into the stage's code
            code = 1
            try:
                self.send_end.close()
                self.report_recv.close()
                _write_received(engine, recv_end, report_send)
                code = 0
            finally:
                os._exit(code)
        report_send.close()  # the child's copy is the only one: its exit ends our recv with EOFError
        recv_end.close()

    def alive(self) -> bool:
        """Whether the writer process is still running (reaps it once it has ended)."""
        if self.exitcode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode is None

    def join(self) -> None:
        """Wait for the writer process to end."""
        if self.exitcode is None:
            _, status = os.waitpid(self.pid, 0)
            self.exitcode = os.waitstatus_to_exitcode(status)

    def write(self, sizes: dict[Table, int], writes: Iterable[Write], after: Iterable[Step]) -> None:
        """Send the writes, then the steps; return once the writer has committed, raise its error if it failed.
        Runs on the sender thread; a failure here (a chunk that could not be built) makes the writer roll back."""
        try:
            self.send_end.send({t.name: n for t, n in sizes.items()})
            for table, cols, opts in writes:
                self.send_end.send((table.name, cols, opts))
            self.send_end.send(_END)
            for step in after:
                self.send_end.send(step)
            self.send_end.send(_END)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the writer stopped: its report says why
        except BaseException:
            self.cancel()
            raise
        self._report()

    def cancel(self) -> None:
        """Nothing more will come: the writer rolls back and exits."""
        try:
            self.send_end.send(_CANCEL)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        self.send_end.close()
        self.join()

    def _report(self) -> None:
        try:
            error = self.report_recv.recv()
        except EOFError:
            self.join()
            error = RuntimeError(f"the dedupe writer process stopped unexpectedly (exit code {self.exitcode})")
        self.send_end.close()
        self.join()
        if error is not None:
            raise error


def _write_received(engine: Engine, recv, report) -> None:
    """The writer process: one transaction of what the stage sends (see _WriterProcess), then a report:
    None once committed, else the error (rolled back)."""
    engine.dispose(close=False)  # the parent's pooled connections stay the parent's: this process opens its own
    if engine.dialect.name == "sqlite":  # keys arrive in order (_golden_writes): 16 MiB of pages do, not 64
        event.listen(engine, "connect", _small_page_cache)
    tables = {t.name: t for t in (people, membership)}

    def received() -> Iterator:
        while (item := recv.recv()) != _END:
            if isinstance(item, str) and item == _CANCEL:
                raise _Aborted("the dedupe stage failed while building its writes")
            yield item

    try:
        first = recv.recv()
        if isinstance(first, str):  # cancelled before the write began: nothing to roll back
            report.send(None)
            return
        sizes = {tables[name]: n for name, n in first.items()}
        writes = ((tables[name], cols, opts) for name, cols, opts in received())
        _write_chunks(engine, sizes, writes, received())
        report.send(None)
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the stage, which raises it
        _send_error(report, exc)


def _small_page_cache(dbapi_conn, _record) -> None:
    dbapi_conn.execute("PRAGMA cache_size=-16384")


def _send_error(report, exc: BaseException) -> None:
    """The writer's error to the stage: itself if it pickles, else its text; nothing if the stage is gone."""
    try:
        pickle.dumps(exc)
    except (pickle.PicklingError, TypeError, AttributeError):
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    with contextlib.suppress(OSError):  # the stage's end of the pipe is closed: it stopped first
        report.send(exc)


def _hand_over(q: queue.Queue, written: Future, item: object, wait: bool = True) -> None:
    """Put `item` on the writer's queue; if the writer has stopped (failed), raise its error instead of waiting
    forever on a full queue."""
    while True:
        if written.done():
            if wait:
                written.result()  # raises the writer's error
            return
        try:
            q.put(item, timeout=0.2)
            return
        except queue.Full:
            continue


def _people_columns(g: pd.DataFrame, prov: pd.DataFrame, run_id: str) -> dict[str, list]:
    n = len(g)
    col = {c: (g[c].tolist() if c in g.columns else [None] * n) for c in
           ("email", "first_name", "last_name", "company", "company_key", "domain")}
    # the JSON texts stay Arrow arrays: pickled to the writer as buffers, made strs there (upsert_columns)
    records = json_object_array([(c, value_texts(col[c] if c in col else g[c].tolist(), _ENCODER))
                                 for c in g.columns], n)
    provs = json_object_array([(c, int_texts(prov[c].to_numpy(dtype=float))) for c in prov.columns], n)
    return {"person_id": g.index.tolist(), "email": [e or None for e in col["email"]],
            "first_name": col["first_name"], "last_name": col["last_name"], "company": col["company"],
            "company_key": col["company_key"], "domain": col["domain"], "record": records, "provenance": provs,
            "created_run_id": [run_id] * n, "updated_run_id": [run_id] * n}


def _member_columns(m: pd.DataFrame, evidence, run_id: str) -> dict[str, list]:
    rids = m["raw_row_id"].astype(np.int64).tolist()
    score = m["match_score"].astype(float).to_numpy()
    texts = getattr(evidence, "json_text_array", None)  # the lazy evidence of enrichment.dedupe: a chunk at once
    evs = texts(rids) if texts is not None else value_texts([evidence.get(r) for r in rids], _ENCODER)
    return {"raw_row_id": rids, "person_id": m["person_id"].tolist(), "run_id": [run_id] * len(rids),
            "rule": m["rule"].tolist(),
            "match_score": np.where(np.isnan(score), None, score.astype(object)).tolist(), "evidence": evs}


def merged_outcomes(batch: pd.DataFrame, res) -> OutcomeColumns:
    """'merged' for every row that is not its person's primary row, saying which row it was merged into."""
    m = res.membership
    primary = pd.Series(_primary_rows(res, m["person_id"].to_numpy(dtype=object)), index=m.index)
    merged = m[primary.to_numpy() != m["raw_row_id"].to_numpy()]
    if merged.empty:
        return OutcomeColumns("merged", [], [], [])
    lineage = batch.set_index("raw_row_id")[["source", "source_file", "source_row"]]
    where = lineage.reindex(primary[merged.index].to_numpy())
    where_txt = (where["source"].astype(str) + "/" + where["source_file"].astype(str) + " row "
                 + where["source_row"].astype(np.int64).astype(str)).to_numpy()
    score = merged["match_score"].astype(float).to_numpy()
    weight = np.where(np.isnan(score), ")", pd.Series(score).map(lambda s: f", match weight {s:.1f})").to_numpy())
    reason = "same person as " + where_txt + " (" + merged["rule"].astype(str).to_numpy() + weight
    return OutcomeColumns("merged", merged["raw_row_id"].astype(np.int64).tolist(), reason.tolist(),
                          merged["person_id"].tolist())


def _primary_rows(res, person_ids: np.ndarray) -> np.ndarray:
    """The primary raw row of each person id (`res.primary`), looked up by Arrow's hash join: mapping a
    million ids through the dict of a million people took pandas about 2 s."""
    keys = pa.array(list(res.primary), pa.string())
    rows = np.fromiter(res.primary.values(), np.int64, len(res.primary))
    at = pc.index_in(pa.array(person_ids, pa.string()), value_set=keys)
    if at.null_count:
        raise KeyError("a person of this run has no primary row")
    return rows[at.to_numpy()]


def resolved_frame(batch: pd.DataFrame, res) -> pd.DataFrame:
    """One row per person touched: golden fields, primary row, lead source, came via a form, is new."""
    g = res.golden_frame
    out = g.reindex(columns=list(MAPPABLE_FIELDS))
    out = out.astype(object).where(out.notna(), None)
    pids = g.index.to_numpy()
    primary = _primary_rows(res, pids)
    out["person_id"] = pids
    out["primary_raw_row_id"] = primary
    out["lead_source"] = batch.set_index("raw_row_id")["source"].reindex(primary).to_numpy()
    forms = batch.loc[batch["source_kind"] == "form", "raw_row_id"].astype(np.int64)
    m = res.membership
    via_form = set(m.loc[m["raw_row_id"].astype(np.int64).isin(forms), "person_id"].tolist())
    # sets: one hash lookup per person (np.isin sorts object arrays; Index.isin converts them to Arrow first)
    out["from_form"] = np.fromiter((p in via_form for p in pids.tolist()), bool, len(pids))
    new = res.new_people
    out["is_new"] = np.fromiter((p in new for p in pids.tolist()), bool, len(pids))
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- partitioned runs: the plan on disk


def write_plan(folder: Path, batch: pd.DataFrame, existing: pd.DataFrame, model, partitions: int) -> None:
    """What every scoring worker and the merge read: the batch (in lineage order: prepare's `batch`), its
    candidate people, the model, n."""
    folder.mkdir(parents=True, exist_ok=True)
    write_frame(batch, folder / "batch.parquet", compression=None)  # read back by the merge: see write_frame
    ex = existing.copy()
    for c in ("record", "provenance"):
        if c in ex.columns:
            ex[c] = [json.dumps(v) for v in ex[c]]
    write_frame(ex, folder / "existing.parquet", compression=None)
    (folder / "plan.json").write_text(json.dumps({"partitions": partitions, "model": model.to_json(),
                                                  "batch_rows": len(batch), "existing_rows": len(existing)}),
                                      encoding="utf-8")


_RECORD_ARRAYS = ("email_role", "fn_lo", "fn_hi")


def write_features(folder: Path, f: Features) -> None:
    """The matching features, built once by the plan, for the scoring workers and the merge: per record the
    code of each field (features.parquet) and each field's distinct values (vocabulary.parquet, the fields
    one after another). Only the fields themselves: prefixes and term frequencies are rebuilt on demand."""
    cols = {name: f.arrow[name][0] for name in FIELDS} | {k: getattr(f, k) for k in _RECORD_ARRAYS}
    table = pa.table({k: pa.array(v) for k, v in cols.items()})
    with parquet_writer(folder / "features.parquet", table.schema, compression=None) as w:
        w.write_table(table)
    vocab = [f.arrow[name][1] for name in FIELDS]
    field_no = np.repeat(np.arange(len(FIELDS), dtype=np.int16), [len(u) for u in vocab])
    table = pa.table({"field": pa.array(field_no),
                      "value": pa.concat_arrays([u.cast(pa.large_string()) for u in vocab])})
    with parquet_writer(folder / "vocabulary.parquet", table.schema, compression=None) as w:
        w.write_table(table)


def read_features(folder: Path) -> Features | None:
    """The features write_features saved; None if the plan has none (written by an older version)."""
    if not (folder / "features.parquet").exists():
        return None
    with parquet_file(folder / "features.parquet") as pf:
        rec = pf.read()
    with parquet_file(folder / "vocabulary.parquet") as pf:
        vocab = pf.read()
    field_no = vocab.column("field").to_numpy()
    bounds = np.searchsorted(field_no, np.arange(len(FIELDS) + 1))
    values = vocab.column("value").combine_chunks().cast(pa.large_string())
    arrow = {name: (rec.column(name).to_numpy().astype(np.int64),
                    values.slice(bounds[i], bounds[i + 1] - bounds[i]))
             for i, name in enumerate(FIELDS)}
    return Features(arrow, *(rec.column(k).to_numpy() for k in _RECORD_ARRAYS))


_PAIRS_META = b"leadpipe.dedupe.candidates"


def write_pairs(folder: Path, left: np.ndarray, right: np.ndarray, partitions: int, records: int) -> None:
    """Each scoring worker's candidate pairs (candidates_<k>.parquet), found once by the plan: at 1M rows the
    blocking took each worker 2-3 s, the same pairs every time. Records k, n, the batch's pairs and records."""
    for k, (lk, rk) in enumerate(split_pairs(left, right, partitions)):
        table = pa.table({"left": lk, "right": rk})
        meta = json.dumps({"k": k, "n": partitions, "total_pairs": len(left), "records": records}).encode()
        table = table.replace_schema_metadata({_PAIRS_META: meta})
        with parquet_writer(folder / f"candidates_{k}.parquet", table.schema, compression=None) as w:
            w.write_table(table)


def read_pairs(folder: Path, k: int, n: int, records: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Partition k's candidate pairs as the plan saved them, with the batch's total; None when the plan has
    none for this partition count and batch (a plan of an older version): the worker runs the blocking."""
    path = folder / f"candidates_{k}.parquet"
    if not path.exists():
        return None
    with parquet_file(path) as pf:
        meta = json.loads((pf.schema_arrow.metadata or {}).get(_PAIRS_META, b"{}"))
        if (meta.get("k"), meta.get("n"), meta.get("records")) != (k, n, records):
            return None
        table = pf.read()
    return table.column("left").to_numpy(), table.column("right").to_numpy(), int(meta["total_pairs"])


def plan_sizes(folder: Path) -> tuple[int, int, int]:
    """(candidate people, batch rows, partitions) of the plan: all a scoring worker needs besides the features."""
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    if "batch_rows" not in plan:  # written by a version that did not record them: count the files' rows
        with parquet_file(folder / "existing.parquet") as ex, parquet_file(folder / "batch.parquet") as b:
            return ex.metadata.num_rows, b.metadata.num_rows, int(plan["partitions"])
    return int(plan["existing_rows"]), int(plan["batch_rows"]), int(plan["partitions"])


def plan_in_lineage_order(folder: Path) -> bool:
    """Whether the plan's batch was saved in lineage order (older versions saved it by raw_row_id)."""
    return "batch_rows" in json.loads((folder / "plan.json").read_text(encoding="utf-8"))


def read_plan(folder: Path):
    """(batch, existing, model, partitions) as written by write_plan (the batch in lineage order)."""
    batch = read_frame(folder / "batch.parquet")
    existing = read_frame(folder / "existing.parquet")
    for c in ("record", "provenance"):
        if c in existing.columns:
            existing[c] = [json.loads(v) for v in existing[c]]
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    return batch, existing, Model.from_json(plan["model"]), int(plan["partitions"])


# ---------------------------------------------------------------- the stage, as the DAG maps it


def dedupe_plan(ctx: RunContext) -> list[int]:
    """Step 1 (one worker): load the batch and its candidate people, fit the model once.

    Returns the partition numbers to score (`dedupe.partitions` of them); the scoring workers and the merge
    read the plan from the run folder, so all of them see the same rows, people and model.
    """
    partitions = list(range(ctx.cfg.dedupe.partitions))
    with ctx.timed("dedupe", "plan"):
        loaded = _inputs(ctx)
        folder = ctx.folder / "dedupe"
        if loaded is None:
            (folder / "plan.json").unlink(missing_ok=True)
            return partitions
        batch, existing, model = loaded
        p = prepare(batch, existing)
        del batch  # p.batch: the same rows in lineage order, saved so that nobody sorts them again
        left, right, _ = candidates(p.features, ctx.cfg.dedupe, p.is_old)  # the blocking, once for all workers
        model = fit_model(p, ctx.cfg.dedupe, model, pairs=(left, right))
        write_features(folder, p.features)  # built once here; the workers and the merge read them
        write_pairs(folder, left, right, ctx.cfg.dedupe.partitions, len(p.features))
        del left, right
        write_plan(folder, p.batch, existing, model, ctx.cfg.dedupe.partitions)
        return partitions


def dedupe_score(ctx: RunContext, partition: int) -> str | None:
    """Step 2 (one worker per partition): compare this partition's candidate pairs."""
    folder = ctx.folder / "dedupe"
    if not (folder / "plan.json").exists():
        return None
    with ctx.timed("dedupe", f"score_{partition}"):
        # the features and which records are candidate people: the batch itself is not read (1M rows: seconds)
        n_old, n_batch, n = plan_sizes(folder)
        f = read_features(folder)
        if f is None or len(f) != n_old + n_batch:
            raise ValueError(f"the dedupe plan in {folder} has no features for its {n_old + n_batch} records: "
                             "run the dedupe task again")
        is_old = np.r_[np.ones(n_old, bool), np.zeros(n_batch, bool)]
        out = folder / f"pairs_{partition}.parquet"
        pairs = read_pairs(folder, partition, n, len(f))
        return str(score_partition(f, ctx.cfg.dedupe, is_old, partition, n, out, pairs))


def dedupe_merge(ctx: RunContext, paths: list[str | None]) -> str | None:
    """Step 3 (one worker): cluster all partitions' pairs, store people and outcomes; resolved.parquet."""
    folder = ctx.folder / "dedupe"
    if not (folder / "plan.json").exists():
        return None
    with ctx.timed("dedupe", "merge"), ThreadPoolExecutor(max_workers=1, thread_name_prefix="dedupe-store") as pool:
        store = _StoreBehind(pool, ctx.engine, ctx.run_id)  # forks the writer now, before the plan is loaded
        try:
            batch, existing, model, _ = read_plan(folder)
            p = prepare(batch, existing, read_features(folder), ordered=plan_in_lineage_order(folder))
            del batch, existing  # p holds the same rows (in lineage order): one copy of a 1M-row batch, not two
            res = resolve_from_partitions(p, ctx.cfg.dedupe, model, [ctx.file(x) for x in paths if x],
                                          on_membership=store.start if store.members_first else None,
                                          keep=_LINEAGE)
            # p.batch holds the rows' lineage only by now (keep=_LINEAGE): all the outputs read of the batch
            batch, existing = p.batch, p.existing
            del p  # the matching features, the candidate rows and the full batch: gone before the writes
            release_freed_memory()  # what clustering and survivorship dropped, not kept for the writes' peak
            return _outputs(ctx, batch, existing, res, store)
        except BaseException:
            store.abort()  # a writer still waiting for chunks must not wait forever (a no-op once all are in)
            raise


_LINEAGE = ("raw_row_id", "source", "source_file", "source_row", "source_kind")  # what _outputs reads of the batch


def _inputs(ctx: RunContext):
    """(validated rows, golden records sharing a key with them, saved model or None); None if no rows."""
    parts = sorted((ctx.folder / "validated").glob("*.parquet"))
    batch = pd.concat([read_frame(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if batch.empty:
        return None
    rekey_company_keys(ctx.engine, ctx.run_id)  # people keyed by an older rule: found by this batch's keys too
    existing = candidate_people(ctx.engine, batch)
    model = load_model(_model_file(ctx)) if not existing.empty else None  # increments reuse m/u
    return batch, existing, model


def _outputs(ctx: RunContext, batch: pd.DataFrame, existing: pd.DataFrame, res, store: _StoreBehind) -> str:
    """Store people and membership, the model, the review list, merged outcomes and resolved.parquet."""
    save_model(_model_file(ctx), res)
    # People (and, on PostgreSQL, membership) are written on the store's thread while this one builds their
    # chunks, then the run files here, then the merged rows' outcomes, which the writer stores in the same
    # transaction (people and outcomes: both or neither): the database's own work (SQLite's B-trees and index
    # rebuilds, PostgreSQL's COPY) runs without the GIL, so the two overlap, and the outcomes are ready
    # before the writer has rebuilt the indexes.
    stored = store.finish(res)
    if not res.review.empty:  # possible matches: kept apart, listed for a human to decide
        write_frame(res.review, ctx.folder / "dedupe_review.parquet")
    resolved = resolved_frame(batch, res)
    out = ctx.folder / "resolved.parquet"
    write_frame(resolved, out)
    touched = len(resolved)
    del resolved
    # The golden records' last reader was resolved_frame (their chunks are all built and queued): ~0.5 GB of
    # objects at 1M rows, not held while the writer rebuilds the indexes and the outcomes are built (built
    # before this, the outcomes' ~0.2 GB raised the merge's peak, which resolved_frame sets).
    res.golden_frame = res.golden_frame.iloc[:0]
    release_freed_memory()
    merged = merged_outcomes(batch, res)
    n_merged = len(merged.raw_row_ids)
    store.close(functools.partial(write_outcome_columns, run_id=ctx.run_id, cols=merged))
    del merged
    stored.result()
    log.info("dedupe: %d rows -> %d people (%d new, %d existing people loaded as candidates), %d rows merged, "
             "%d possible matches for review", len(batch), touched, len(res.new_people), len(existing),
             n_merged, len(res.review))
    return str(out)


def _model_file(ctx: RunContext) -> Path:
    """The fitted m/u model, kept across runs so an increment reuses it."""
    return ctx.cfg.home / "dedupe" / "model.json"

"""The pipeline's stages as plain functions: the DAG, the CLI and the tests call exactly these.

Each stage reads its input from the run folder, writes its output there (Parquet) and returns the path,
so tasks hand each other paths, never data. Rows that leave the flow get their outcome in the ledger at
the stage that decided it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from connectors.sources.base import SourceError
from leadpipe.store import ledger
from leadpipe.pipeline.ingest import build_source
from leadpipe.pipeline.settings import Config, SourceConfig
from leadpipe.store.ledger import QuarantinedRow
from leadpipe.store.run_files import RunPath, at, local_folder, parquet_file, read_frame, write_frame
from leadpipe.core.schema import FIELD_NAMES, OUTCOMES, PROSPECT_FIELDS
from leadpipe.store.warehouse import (
    engine_for,
    lineage_of,
    validation_results,
)

log = logging.getLogger("leadpipe")


class BatchRejected(RuntimeError):
    """A critical data-quality check failed: this source's batch stops here; its rows are quarantined."""


# ---------------------------------------------------------------- run folder


def run_dir(cfg: Config, run_id: str) -> RunPath:
    """The run's folder: local, or on object storage (LEADPIPE_RUNS_URL, see leadpipe.store.run_files)."""
    return cfg.runs_dir / re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)


@contextmanager
def timed(cfg: Config, run_id: str, stage: str, part: str = "") -> Iterator[None]:
    """Record wall time per stage (and per source for mapped stages) for summary.json."""
    start = time.perf_counter()
    try:
        yield
    finally:
        name = f"{stage}.{part}" if part else stage
        ledger.write_json(run_dir(cfg, run_id) / "timings" / f"{name}.json",
                          {"stage": stage, "seconds": round(time.perf_counter() - start, 3)})


def _note(cfg: Config, run_id: str, kind: str, source: str, message: str) -> None:
    """Problems that must reach the summary (a rejected batch, an unreadable file)."""
    path = run_dir(cfg, run_id) / kind / f"{source}.json"
    notes = json.loads(path.read_text()) if path.exists() else []
    ledger.write_json(path, {"messages": sorted(set((notes["messages"] if notes else []) + [message]))})


def _read_notes(cfg: Config, run_id: str, kind: str) -> dict[str, list[str]]:
    folder = run_dir(cfg, run_id) / kind
    return {p.stem: json.loads(p.read_text())["messages"] for p in sorted(folder.glob("*.json"))}


# ---------------------------------------------------------------- stages


def start(cfg: Config, run_id: str) -> list[str]:
    """Migrate the warehouse, register the run, and return the source names to map over."""
    from leadpipe.store.warehouse import migrate

    migrate(cfg.warehouse_url)
    ledger.start_run(engine_for(cfg.warehouse_url), run_id)
    run_dir(cfg, run_id).mkdir(parents=True, exist_ok=True)
    return [s.name for s in cfg.sources]


def ingest_source(cfg: Config, run_id: str, source_name: str) -> str | None:
    """Store every new unit of one source (append-only, with lineage) and hand on this run's readable rows.

    A unit that fails as a whole (unreadable file) and a source that cannot be reached are noted in
    source_errors; the other units and sources go on. See leadpipe/pipeline/ingest.py for the contract.
    """
    from leadpipe.pipeline.ingest import export_run_rows, load_state

    src = _source_cfg(cfg, source_name)
    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "ingest", source_name):
        source = build_source(src, cfg)
        try:
            units = source.discover(load_state(engine, src.name))
        except SourceError as exc:  # SourceUnavailable: nothing of this source can be read now
            log.error("source %s: %s", src.name, exc)
            _note(cfg, run_id, "source_errors", src.name, str(exc))
            units = []
        for unit in units:
            try:
                _ingest_unit(cfg, run_id, src, source, unit)
            except SourceError as exc:
                log.error("source %s: %s", src.name, exc)
                _note(cfg, run_id, "source_errors", src.name, str(exc))
        out = run_dir(cfg, run_id) / "ingested" / f"{src.name}.parquet"
        if not export_run_rows(engine, run_id, src, out):
            out.unlink(missing_ok=True)
            log.info("source %s: nothing new", src.name)
            return None
        return str(out)


def _ingest_unit(cfg: Config, run_id: str, src: SourceConfig, source, unit) -> int:
    """Rows, quarantine, 'seen' and the new cursor of one unit in one transaction; returns rows stored."""
    from leadpipe.pipeline.ingest import store_unit

    return store_unit(engine_for(cfg.warehouse_url), run_id, src, source, unit).rows


def normalise_batch(cfg: Config, run_id: str, path: str | None, source_name: str) -> str | None:
    from enrichment.normalise import normalise_frame

    if path is None:
        return None
    with timed(cfg, run_id, "normalise", source_name):
        df = normalise_frame(read_frame(at(cfg, path)))
        out = run_dir(cfg, run_id) / "normalised" / f"{source_name}.parquet"
        write_frame(df, out)
        log.info("source %s: %d rows normalised", source_name, len(df))
        return str(out)


# ---------------------------------------------------------------- batches of big sources
#
# A big source is normalised in batches, one mapped task each, so that several workers share one big file:
# plan_batches cuts the ingested file into runs of whole Parquet row groups (export_run_rows writes one per
# 5,000 rows), normalise_part normalises one run, and validate_batch reads a source's parts back in batch
# order. The parts' order, not the order the tasks finished in, decides the result.


def plan_batches(cfg: Config, ingested: Sequence[str | None], batch_rows: int | None = None) -> list[dict]:
    """One spec per batch of about `batch_rows` rows (cfg.airflow.batch_rows), over every source's ingested file.

    Specs are plain JSON (they travel through XCom): source, ingested path, batch number, row-group range and
    row count. A source with nothing new (None) has no batch. Sorted by (source, batch): stable map indexes.
    """
    size = batch_rows or cfg.airflow.batch_rows
    specs: list[dict] = []
    for path in sorted(p for p in ingested if p):
        with parquet_file(at(cfg, path)) as pf:
            meta = pf.metadata
        source, first, rows, batch = Path(path).stem, 0, 0, 0
        for group in range(meta.num_row_groups):
            rows += meta.row_group(group).num_rows
            if rows >= size or group == meta.num_row_groups - 1:
                specs.append({"source": source, "path": path, "batch": batch, "row_groups": [first, group + 1],
                              "rows": rows})
                first, rows, batch = group + 1, 0, batch + 1
    return specs


def batch_label(spec: dict) -> str:
    """How a batch is named in logs and the Airflow UI: "vendor_apollo #3"."""
    return f"{spec['source']} #{spec['batch']}"


def normalise_part(cfg: Config, run_id: str, spec: dict) -> str:
    """Normalise one planned batch into normalised/<source>/part-<batch>.parquet; return that path."""
    from enrichment.normalise import normalise_frame

    source, batch = spec["source"], int(spec["batch"])
    with timed(cfg, run_id, "normalise", f"{source}.{batch:05d}"):
        first, stop = spec["row_groups"]
        with parquet_file(at(cfg, spec["path"])) as pf:
            frame = pf.read_row_groups(range(first, stop)).to_pandas()
        df = normalise_frame(frame)
        out = run_dir(cfg, run_id) / "normalised" / source / f"part-{batch:05d}.parquet"
        write_frame(df, out)
        log.info("source %s, batch %d: %d rows normalised", source, batch, len(df))
        return str(out)


def parts_of(source_name: str, planned: Sequence[dict], normalised: Sequence[str | None]) -> list[str] | None:
    """The normalised part files of one source in batch order; None when the source had nothing new.

    Raises when a planned batch has no normalised part (its task failed): validating the rest would let
    that batch's rows vanish without an outcome.
    """
    wanted = sorted(int(s["batch"]) for s in planned if s["source"] == source_name)
    if not wanted:
        return None
    have = {int(Path(p).stem.removeprefix("part-")): p for p in normalised
            if p and Path(p).parent.name == source_name}
    missing = [b for b in wanted if b not in have]
    if missing:
        raise RuntimeError(f"source {source_name}: batch(es) {missing} of {len(wanted)} were not normalised "
                           "(see the normalise task's log); the source is not validated")
    return [have[b] for b in wanted]


def validate_batch(cfg: Config, run_id: str, path: str | Sequence[str] | None, source_name: str) -> str | None:
    """Two GX gates per source: the raw batch (columns, size vs history), then the normalised leads.

    `path` is the source's normalised file, or its normalised parts in batch order (parts_of): GX runs once
    per source either way, so the volume check sees the whole batch and GX's fixed cost is paid once.
    A critical failure in either stops this source's whole batch (quarantined as 'batch stopped');
    row-level failures quarantine just those rows, naming the expectation; warnings are recorded.
    """
    from expectations.gx_runner import run_suite
    from expectations.normalised_leads import NormalisedLeadsThresholds, build_normalised_leads_suite
    from expectations.raw_batch import build_raw_batch_suite
    from leadpipe.pipeline.volume_history import source_volume_history

    if path is None:
        return None
    engine = engine_for(cfg.warehouse_url)
    limits = cfg.validation.for_source(source_name)
    docs_dir = run_dir(cfg, run_id) / "data_docs" / source_name
    with timed(cfg, run_id, "validate", source_name):
        parts = [path] if isinstance(path, str) else list(path)
        if not parts:
            return None
        df = pd.concat([read_frame(at(cfg, p)) for p in parts], ignore_index=True) if len(parts) > 1 \
            else read_frame(at(cfg, parts[0]))
        lineage = df.set_index("raw_row_id")[["source", "source_file", "source_row"]]
        history = source_volume_history(engine, source_name, run_id, limits.history_runs)
        raw = _run_suite(run_suite, _mapped_batch(cfg, run_id, source_name, df),
                         build_raw_batch_suite(limits, history), docs_dir)
        _record_validation(cfg, run_id, raw, source_name)
        if raw.critical_failures:
            _stop_batch(cfg, run_id, source_name, lineage,
                        [*raw.critical_failures, f"usual size of {source_name}: {history.describe()}"])
        suite = build_normalised_leads_suite(NormalisedLeadsThresholds(
            min_valid_email_share=limits.min_valid_email_share, min_job_title_share=limits.min_job_title_share))
        result = _run_suite(run_suite, df, suite, docs_dir)
        _record_validation(cfg, run_id, result, source_name)
        if result.critical_failures:
            _stop_batch(cfg, run_id, source_name, lineage, result.critical_failures)
        failed = _quarantine_row_failures(cfg, run_id, lineage, result.row_failures)
        valid = df[~df["raw_row_id"].isin(failed)]
        out = run_dir(cfg, run_id) / "validated" / f"{source_name}.parquet"
        write_frame(valid, out)
        log.info("source %s: %d rows valid, %d quarantined", source_name, len(valid), len(failed))
        return str(out)


def validate_prospects(cfg: Config, run_id: str, path: str | None) -> str | None:
    """The gate between qualify and push: stop the push on a critical failure, hold back failing prospects.

    Rows held back (or the whole list, when stopped) are quarantined on the person's primary source row,
    so the ledger still adds up and `leadpipe explain` names the expectation.
    """
    from leadpipe.pipeline.suppression_files import load_lists
    from expectations.gx_runner import run_suite
    from expectations.prospects import DoNotContact, build_prospects_suite, crm_fields, max_possible_score

    if path is None:
        return None
    with timed(cfg, run_id, "validate_prospects"):
        df = read_frame(at(cfg, path))
        if df.empty:
            return path
        lists = load_lists([cfg.resolve(p) for p in cfg.suppression.do_not_contact_files])
        suite = build_prospects_suite(
            crm_fields(cfg.sink.type), score_min=cfg.scoring.qualify_at, score_max=max_possible_score(cfg.scoring),
            do_not_contact=DoNotContact(frozenset(lists.emails), frozenset(lists.domains), frozenset(lists.phones)),
        )
        frame = df.assign(raw_row_id=df["primary_raw_row_id"].astype("int64"))
        result = _run_suite(run_suite, frame, suite, run_dir(cfg, run_id) / "data_docs" / PROSPECTS_GATE)
        _record_validation(cfg, run_id, result, PROSPECTS_GATE)
        lineage = _lineage(cfg, frame["raw_row_id"].tolist())
        if result.critical_failures:
            _stop_batch(cfg, run_id, PROSPECTS_GATE, lineage, result.critical_failures,
                        label=f"{PROSPECTS_GATE}: push of {len(df)} prospects", check_name="push stopped")
        failed = _quarantine_row_failures(cfg, run_id, lineage, result.row_failures)
        out = run_dir(cfg, run_id) / "prospects_validated.parquet"
        _to_parquet(df[~frame["raw_row_id"].isin(failed)], out)
        log.info("prospects gate: %d prospects go on to push, %d held back", len(df) - len(failed), len(failed))
        return str(out)


PROSPECTS_GATE = "prospects_before_push"  # key of the prospects gate in data_docs / rejected_batches


def _run_suite(run_suite, df: pd.DataFrame, suite, docs_dir: RunPath):
    """run_suite with Data Docs under docs_dir; GX builds them in a local folder, so on object storage
    they are built in a scratch folder and copied there (the docs path then names the copy)."""
    from dataclasses import replace

    with local_folder(docs_dir) as local:
        result = run_suite(df, suite, docs_dir=local)
        if result.docs_path and local != docs_dir:
            result = replace(result, docs_path=str(docs_dir / Path(result.docs_path).relative_to(local).as_posix()))
    return result


def _mapped_batch(cfg: Config, run_id: str, source_name: str, normalised: pd.DataFrame) -> pd.DataFrame:
    """The batch as mapped, before normalising (the raw suite judges what the vendor sent); the
    normalised frame stands in when ingest left no mapped file behind."""
    mapped = run_dir(cfg, run_id) / "ingested" / f"{source_name}.parquet"
    return read_frame(mapped) if mapped.exists() else normalised


def _record_validation(cfg: Config, run_id: str, result, source_name: str) -> None:
    """Keep every suite run in the warehouse and its warnings and Data Docs in the run summary."""
    with engine_for(cfg.warehouse_url).begin() as conn:
        conn.execute(insert(validation_results).values(
            run_id=run_id, suite=f"{result.suite_name}:{source_name}", source=source_name, success=result.success,
            statistics=result.statistics, failures=result.critical_failures, warnings=result.warnings,
            created_at=ledger.now(),
        ))
    for warning in result.warnings:
        log.warning("%s, %s: %s", source_name, result.suite_name, warning)
        _note(cfg, run_id, "validation_warnings", source_name, f"{result.suite_name}: {warning}")
    if result.docs_path:
        log.info("%s: Data Docs at %s", source_name, result.docs_path)
        _note(cfg, run_id, "data_docs", source_name, result.docs_path)


def _stop_batch(cfg: Config, run_id: str, name: str, lineage: pd.DataFrame, failures: list[str], *,
                label: str = "", check_name: str = "batch stopped") -> None:
    """Quarantine every row of the batch with the failed expectations, note it for the summary, and raise."""
    why = "; ".join(failures)
    ledger.record_quarantine(engine_for(cfg.warehouse_url), run_id, [
        QuarantinedRow(int(rid), r.source, r.source_file, int(r.source_row), check_name, why)
        for rid, r in lineage.iterrows()
    ])
    _note(cfg, run_id, "rejected_batches", name, why)
    label = label or f"source {name}: batch of {len(lineage)} rows"
    raise BatchRejected(f"{label} stopped before any CRM write: {why}")


def _quarantine_row_failures(cfg: Config, run_id: str, lineage: pd.DataFrame,
                             row_failures: dict[int, list[str]]) -> set[int]:
    """Quarantine rows that failed row-level checks under the first check's name; return their ids."""
    failed = {int(k): v for k, v in row_failures.items()}
    ledger.record_quarantine(engine_for(cfg.warehouse_url), run_id, [
        QuarantinedRow(rid, lineage.at[rid, "source"], lineage.at[rid, "source_file"],
                       int(lineage.at[rid, "source_row"]), checks[0], ", ".join(checks),
                       field=_field_of(checks[0]))
        for rid, checks in failed.items()
    ])
    return set(failed)


def _lineage(cfg: Config, raw_row_ids: list[int]) -> pd.DataFrame:
    """source, source_file, source_row per raw_row_id, from the warehouse (prospects carry only the id)."""
    with engine_for(cfg.warehouse_url).connect() as conn:
        found = list(lineage_of(conn, raw_row_ids).values())
    frame = pd.DataFrame(found, columns=["raw_row_id", "source", "source_file", "source_row"])
    return frame.set_index("raw_row_id")


def _field_of(check: str) -> str | None:
    """The lead field a check is about ("...(phone)" -> "phone"); None for helper columns like has_name."""
    m = re.search(r"\((\w+)\)", check)
    return m.group(1) if m and m.group(1) in FIELD_NAMES + ("email_status",) else None


def dedupe(cfg: Config, run_id: str) -> str | None:
    """Resolve this run's valid rows to people (new or existing) and keep golden records current."""
    from enrichment.dedupe import resolve

    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "dedupe"):
        loaded = _dedupe_inputs(cfg, run_id, engine)
        if loaded is None:
            return None
        batch, existing, model = loaded
        return _dedupe_outputs(cfg, run_id, batch, existing, resolve(batch, existing, cfg.dedupe, model))


def dedupe_plan(cfg: Config, run_id: str) -> list[int]:
    """Partitioned dedupe, step 1 (one worker): load the batch and its candidate people, fit the model once.

    Returns the partition numbers to score (`dedupe.partitions` of them); the scoring workers and the merge
    read the plan from the run folder, so all of them see the same rows, people and model.
    """
    from enrichment.dedupe import fit_model, prepare
    from leadpipe.pipeline.dedupe import write_plan

    engine = engine_for(cfg.warehouse_url)
    with timed(cfg, run_id, "dedupe", "plan"):
        loaded = _dedupe_inputs(cfg, run_id, engine)
        folder = run_dir(cfg, run_id) / "dedupe"
        if loaded is None:
            (folder / "plan.json").unlink(missing_ok=True)
            return list(range(cfg.dedupe.partitions))
        batch, existing, model = loaded
        model = fit_model(prepare(batch, existing), cfg.dedupe, model)
        write_plan(folder, batch, existing, model, cfg.dedupe.partitions)
        return list(range(cfg.dedupe.partitions))


def dedupe_score(cfg: Config, run_id: str, partition: int) -> str | None:
    """Partitioned dedupe, step 2 (one worker per partition): compare this partition's candidate pairs."""
    from enrichment.dedupe import prepare
    from enrichment.dedupe.partition import score_partition
    from leadpipe.pipeline.dedupe import read_plan

    folder = run_dir(cfg, run_id) / "dedupe"
    if not (folder / "plan.json").exists():
        return None
    with timed(cfg, run_id, "dedupe", f"score_{partition}"):
        batch, existing, _, n = read_plan(folder)
        p = prepare(batch, existing)
        return str(score_partition(p.features, cfg.dedupe, p.is_old, partition, n, folder / f"pairs_{partition}.parquet"))


def dedupe_merge(cfg: Config, run_id: str, paths: list[str | None]) -> str | None:
    """Partitioned dedupe, step 3 (one worker): cluster all partitions' pairs; then as `dedupe` does."""
    from enrichment.dedupe import prepare, resolve_from_partitions
    from leadpipe.pipeline.dedupe import read_plan

    folder = run_dir(cfg, run_id) / "dedupe"
    if not (folder / "plan.json").exists():
        return None
    with timed(cfg, run_id, "dedupe", "merge"):
        batch, existing, model, _ = read_plan(folder)
        p = prepare(batch, existing)
        res = resolve_from_partitions(p, cfg.dedupe, model, [at(cfg, x) for x in paths if x])
        return _dedupe_outputs(cfg, run_id, batch, existing, res)


def _dedupe_inputs(cfg: Config, run_id: str, engine):
    """(validated rows, golden records sharing a key with them, saved model or None); None if no rows."""
    from leadpipe.pipeline.dedupe_candidates import candidate_people, load_model

    parts = sorted((run_dir(cfg, run_id) / "validated").glob("*.parquet"))
    batch = pd.concat([read_frame(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()
    if batch.empty:
        return None
    batch = batch.sort_values("raw_row_id", kind="stable").reset_index(drop=True)
    existing = candidate_people(engine, batch)
    model = load_model(cfg.home / "dedupe" / "model.json") if not existing.empty else None  # increments reuse m/u
    return batch, existing, model


def _dedupe_outputs(cfg: Config, run_id: str, batch: pd.DataFrame, existing: pd.DataFrame, res) -> str:
    """Store people and membership, the model, the review list, merged outcomes and resolved.parquet."""
    from leadpipe.pipeline.dedupe_candidates import save_model
    from leadpipe.pipeline.dedupe import merged_outcomes, resolved_frame, store_people

    engine = engine_for(cfg.warehouse_url)
    save_model(cfg.home / "dedupe" / "model.json", res)
    store_people(engine, run_id, res)
    if not res.review.empty:  # possible matches: kept apart, listed for a human to decide
        _to_parquet(res.review, run_dir(cfg, run_id) / "dedupe_review.parquet")
    merged = merged_outcomes(batch, res)
    ledger.record_outcomes(engine, run_id, merged)
    resolved = resolved_frame(batch, res)
    out = run_dir(cfg, run_id) / "resolved.parquet"
    _to_parquet(resolved, out)
    log.info("dedupe: %d rows -> %d people (%d new, %d existing people loaded as candidates), %d rows merged, "
             "%d possible matches for review", len(batch), len(resolved), len(res.new_people), len(existing),
             len(merged), len(res.review))
    return str(out)


def enrich(cfg: Config, run_id: str, path: str | None) -> str | None:
    """Fill empty company fields of the resolved people from their company's website.

    Also the optional email deliverability check. Both are off by default (the input path is then handed on
    unchanged, so `make run` stays offline). Fetch and DNS failures are recorded, never fail the run.
    """
    if path is None or not (cfg.enrichment.web.enabled or cfg.enrichment.deliverability.enabled):
        return path
    from leadpipe.pipeline.enrich import enrich_resolved

    with timed(cfg, run_id, "enrich"):
        return enrich_resolved(cfg, run_id, path, run_dir(cfg, run_id) / "enriched.parquet")


def qualify(cfg: Config, run_id: str, path: str | None) -> str | None:
    """Segment, classify titles, score, check compliance (suppression, GDPR, DNC) and route every person.

    Writes prospects.parquet; suppressed and disqualified people get their outcome with the reason.
    The work lives in leadpipe.pipeline.qualify (issue 7) to keep this file a list of stages.
    """
    from leadpipe.pipeline.qualify import qualify as _qualify

    return _qualify(cfg, run_id, path)




def push(cfg: Config, run_id: str, path: str | None) -> dict[str, int]:
    """Send new and changed prospects to the configured sink (local by default); the ledger gets only what the
    CRM confirmed, batch by batch, and refused or deferred records are quarantined with the CRM's reason."""
    from leadpipe.pipeline.push import make_sink, run_push

    engine = engine_for(cfg.warehouse_url)
    counts = {"create": 0, "update": 0, "skip": 0, "failed": 0}
    if path is None:
        return counts
    with timed(cfg, run_id, "push"):
        df = read_frame(at(cfg, path))
        records = [{f: (None if _missing(r.get(f)) else _plain(r.get(f))) for f in PROSPECT_FIELDS}
                   for r in df.to_dict("records")]
        primary = dict(zip(df["person_id"], df["primary_raw_row_id"].astype(int), strict=True))
        # re-qualified after a config change: no raw row of this run, so no outcome (leadpipe.pipeline.requalify)
        again = set(df.loc[df["requalified"].fillna(False).astype(bool), "person_id"]) \
            if "requalified" in df.columns else set()
        sink = make_sink(cfg.sink, engine, run_dir(cfg, run_id))
        return run_push(engine, run_id, sink, records, primary, requalified=again)


def summarise(cfg: Config, run_id: str) -> dict:
    """Count outcomes, check the ledger adds up, write summary.json; fail loudly if a source had problems."""
    from leadpipe.pipeline import requalify

    engine = engine_for(cfg.warehouse_url)
    folder = run_dir(cfg, run_id)
    by_source = ledger.outcome_counts(engine, run_id)
    ledger.check_adds_up(by_source)
    totals = {o: sum(c[o] for c in by_source.values()) for o in OUTCOMES}
    raw = sum(c["raw_rows"] for c in by_source.values())
    stage_seconds: dict[str, float] = {}
    for p in sorted((folder / "timings").glob("*.json")):
        t = json.loads(p.read_text())
        stage_seconds[t["stage"]] = round(stage_seconds.get(t["stage"], 0) + t["seconds"], 3)
    n_people = _rows(folder / "resolved.parquet")
    prospects = folder / "prospects.parquet"
    n_prospects = _rows(prospects)
    if n_prospects:  # this run's people only: re-qualified ones are counted under "requalification"
        with parquet_file(prospects) as pf:
            has_flag = "requalified" in pf.schema_arrow.names
        if has_flag:
            flag = read_frame(prospects, columns=["requalified"])["requalified"]
            n_prospects = int((~flag.fillna(False).astype(bool)).sum())
    summary = {
        "run_id": run_id,
        "raw_rows": raw,
        "outcomes": totals,
        "by_source": by_source,
        "funnel": {
            "rows_in": {s: c["raw_rows"] for s, c in by_source.items()},
            "valid": raw - totals["quarantined"],
            "unique_people": n_people,
            "qualified": n_prospects,
            "pushed": totals["pushed"],
        },
        "stage_seconds": stage_seconds,
        "requalification": requalify.run_counts(engine, run_id),
        "source_errors": _read_notes(cfg, run_id, "source_errors"),
        "rejected_batches": _read_notes(cfg, run_id, "rejected_batches"),
        "validation_warnings": _read_notes(cfg, run_id, "validation_warnings"),
        "data_docs": {s: m[0] for s, m in _read_notes(cfg, run_id, "data_docs").items()},
        "outputs": {
            "run_folder": str(folder),
            "crm_import_csv": str(folder / "crm_import.csv") if (folder / "crm_import.csv").exists() else None,
            "warehouse": cfg.warehouse_url.split("@")[-1],  # never the password part of a URL
        },
    }
    from leadpipe.pipeline.report import write_run_report

    summary["outputs"]["report_html"] = str(folder / "report.html")  # linked before writing: one summary.json
    write_run_report(cfg, run_id, summary)
    path = ledger.write_json(folder / "summary.json", summary)
    failed = summary["source_errors"] or summary["rejected_batches"]
    ledger.finish_run(engine, run_id, summary, "failed" if failed else "success")
    summary["summary_path"] = str(path)
    return summary


# ---------------------------------------------------------------- helpers


def _source_cfg(cfg: Config, name: str) -> SourceConfig:
    for s in cfg.sources:
        if s.name == name:
            return s
    raise KeyError(f"no source named {name!r}; configured: {[s.name for s in cfg.sources]}")


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _plain(v: object) -> object:
    return v.item() if hasattr(v, "item") else v


def _jsonable(rec: dict) -> dict:
    return {k: (None if _missing(v) else (v.isoformat() if hasattr(v, "isoformat") else _plain(v)))
            for k, v in rec.items()}


def _to_parquet(df: pd.DataFrame, out: RunPath) -> None:
    write_frame(df, out)


def _rows(path: RunPath) -> int:
    """Rows of a run file from its Parquet footer (0 when absent), without reading the data."""
    if not path.exists():
        return 0
    with parquet_file(path) as pf:
        return pf.metadata.num_rows

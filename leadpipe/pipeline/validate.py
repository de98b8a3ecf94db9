"""The validate stage: two Great Expectations gates per source, before any row can reach a person or a CRM.

The raw batch (columns, size against the source's history), then the normalised leads. A critical failure
in either stops the source's whole batch (quarantined as 'batch stopped'); row-level failures quarantine just
those rows, naming the expectation; warnings are recorded. The helpers that record suite results and
quarantine rows are shared with the prospects gate (leadpipe.pipeline.gate).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from expectations.messages import SUITE_TITLES
from expectations.normalised_leads import NormalisedLeadsThresholds, build_normalised_leads_suite
from expectations.raw_batch import build_raw_batch_suite
from leadpipe.core.schema import FIELD_NAMES
from leadpipe.pipeline.context import BatchRejected, RunContext
from leadpipe.pipeline.normalise import parts_of
from leadpipe.pipeline.volume_history import source_volume_history
from leadpipe.store import ledger
from leadpipe.store.ledger import QuarantinedRow
from leadpipe.store.run_files import local_folder, read_frame, write_frame
from leadpipe.store.run_paths import RunPath
from leadpipe.store.warehouse import lineage_of, validation_results

log = logging.getLogger("leadpipe")


def validate_source(ctx: RunContext, source_name: str, planned: Sequence[dict],
                    normalised: Sequence[str | None]) -> str | None:
    """The stage as the DAG maps it: one source's normalised batches (in batch order), validated together."""
    return validate_batch(ctx, parts_of(source_name, planned, normalised), source_name)


def validate_batch(ctx: RunContext, path: str | Sequence[str] | None, source_name: str) -> str | None:
    """Validate one source's normalised file, or its normalised parts in batch order.

    GX runs once per source either way, so the volume check sees the whole batch and GX's fixed cost is paid
    once. Returns the validated file, or None when the source had nothing new.
    """
    if path is None:
        return None
    limits = ctx.cfg.validation.for_source(source_name)
    docs_dir = ctx.folder / "data_docs" / source_name
    with ctx.timed("validate", source_name):
        parts = [path] if isinstance(path, str) else list(path)
        if not parts:
            return None
        df = pd.concat([read_frame(ctx.file(p)) for p in parts], ignore_index=True) if len(parts) > 1 \
            else read_frame(ctx.file(parts[0]))
        lineage = df.set_index("raw_row_id")[["source", "source_file", "source_row"]]
        history = source_volume_history(ctx.engine, source_name, ctx.run_id, limits.history_runs)
        mapped = _mapped_batch(ctx, source_name, df)
        raw = run_suite_with_docs(mapped, build_raw_batch_suite(limits, history), docs_dir)
        record_validation(ctx, raw, source_name)
        if raw.stop_batch:
            usual = [f"{source_name} usually sends {history.describe()}"] if _volume_failed(raw) else []
            stop_batch(ctx, source_name, lineage, [*raw.critical_failures, *usual], [*raw.critical_for_logs(), *usual])
        suite = build_normalised_leads_suite(NormalisedLeadsThresholds(
            min_valid_email_share=limits.min_valid_email_share, min_job_title_share=limits.min_job_title_share))
        result = run_suite_with_docs(df, suite, docs_dir, given=mapped)
        record_validation(ctx, result, source_name)
        if result.stop_batch:
            stop_batch(ctx, source_name, lineage, result.critical_failures, result.critical_for_logs())
        failed = quarantine_row_failures(ctx, lineage, result)
        valid = df[~df["raw_row_id"].isin(failed)]
        out = ctx.folder / "validated" / f"{source_name}.parquet"
        write_frame(valid, out)
        log.info("source %s: %d rows valid, %d quarantined", source_name, len(valid), len(failed))
        return str(out)


def run_suite_with_docs(df: pd.DataFrame, suite, docs_dir: RunPath,  # noqa: ANN001, ANN201 - GX types
                        given: pd.DataFrame | None = None):
    """Run a suite with Data Docs under docs_dir; GX builds them in a local folder, so on object storage
    they are built in a scratch folder and copied there (the docs path then names the copy). `given`: the
    rows as the source gave them, for the values messages quote (see expectations.gx_runner.run_suite)."""
    # Great Expectations takes seconds to import: only the tasks that validate pay for it.
    from expectations.gx_runner import run_suite

    with local_folder(docs_dir) as local:
        result = run_suite(df, suite, docs_dir=local, given=given)
        if result.docs_path and local != docs_dir:
            result = replace(result, docs_path=str(docs_dir / Path(result.docs_path).relative_to(local).as_posix()))
    return result


def _volume_failed(result) -> bool:  # noqa: ANN001 - a SuiteResult
    """Did a batch-size check stop the batch (then the source's usual size belongs in the reason)?"""
    return any(f.expectation == "expect_table_row_count_to_be_between" and f.severity == "critical"
               and (f.observed or 0) > 0 for f in result.findings)


def _mapped_batch(ctx: RunContext, source_name: str, normalised: pd.DataFrame) -> pd.DataFrame:
    """The batch as mapped, before normalising (the raw suite judges what the vendor sent); the
    normalised frame stands in when ingest left no mapped file behind."""
    mapped = ctx.folder / "ingested" / f"{source_name}.parquet"
    return read_frame(mapped) if mapped.exists() else normalised


def record_validation(ctx: RunContext, result, source_name: str) -> None:  # noqa: ANN001 - a SuiteResult
    """Keep every suite run in the warehouse and its warnings and Data Docs in the run summary.

    The warehouse and the summary get the sentences with the offending values (their readers see the data
    anyway); the log gets them without (row numbers only).
    """
    with ctx.engine.begin() as conn:
        conn.execute(insert(validation_results).values(
            run_id=ctx.run_id, suite=f"{result.suite_name}:{source_name}", source=source_name,
            success=result.success, statistics={**result.statistics, "verdict": result.verdict},
            failures=result.critical_failures, warnings=result.warnings, created_at=ledger.now(),
        ))
    for warning, logged in zip(result.warnings, result.warnings_for_logs(), strict=True):
        log.warning("%s, %s: %s", source_name, SUITE_TITLES.get(result.suite_name, result.suite_name), logged)
        ctx.note("validation_warnings", source_name, f"{SUITE_TITLES.get(result.suite_name, result.suite_name)}: {warning}")
    if result.docs_path:
        log.info("%s: Data Docs at %s", source_name, result.docs_path)
        ctx.note("data_docs", source_name, result.docs_path)


def stop_batch(ctx: RunContext, name: str, lineage: pd.DataFrame, failures: list[str], failures_for_logs: list[str],
               *, label: str = "", check_name: str = "batch stopped") -> None:
    """Quarantine every row of the batch with the failed checks' sentences, note it for the summary, and raise.

    `failures` (with the offending values) go to the quarantine and the run summary; the exception, which
    ends up in the task log, carries `failures_for_logs` (row numbers, no values).
    """
    why = "; ".join(failures)
    stopped = f"the whole {'push' if check_name == 'push stopped' else 'batch'} was stopped: {why}"
    ledger.record_quarantine(ctx.engine, ctx.run_id, [
        QuarantinedRow(int(rid), r.source, r.source_file, int(r.source_row), check_name, stopped)
        for rid, r in lineage.iterrows()
    ])
    logged = "; ".join(failures_for_logs)
    ctx.note("rejected_batches", name, why)
    ctx.note("rejected_batches_for_logs", name, logged)
    label = label or f"source {name}: batch of {len(lineage)} rows"
    raise BatchRejected(f"{label} stopped before any CRM write: {logged}")


def quarantine_row_failures(ctx: RunContext, lineage: pd.DataFrame, result) -> set[int]:  # noqa: ANN001 - SuiteResult
    """Quarantine rows that failed row-level checks, under the first check's name with the plain reason
    (the file's row number and the offending value); return their ids."""
    failed = {int(k): v for k, v in result.row_failures.items()}
    reasons = {int(k): v for k, v in result.row_reasons.items()}
    ledger.record_quarantine(ctx.engine, ctx.run_id, [
        QuarantinedRow(rid, lineage.at[rid, "source"], lineage.at[rid, "source_file"],
                       int(lineage.at[rid, "source_row"]), checks[0], reasons.get(rid) or ", ".join(checks),
                       field=_field_of(checks[0]))
        for rid, checks in failed.items()
    ])
    return set(failed)


def lineage(ctx: RunContext, raw_row_ids: list[int]) -> pd.DataFrame:
    """source, source_file, source_row per raw_row_id, from the warehouse (prospects carry only the id)."""
    with ctx.engine.connect() as conn:
        found = list(lineage_of(conn, raw_row_ids).values())
    frame = pd.DataFrame(found, columns=["raw_row_id", "source", "source_file", "source_row"])
    return frame.set_index("raw_row_id")


def _field_of(check: str) -> str | None:
    """The lead field a check is about ("...(phone)" -> "phone"); None for helper columns like has_name."""
    m = re.search(r"\((\w+)\)", check)
    return m.group(1) if m and m.group(1) in FIELD_NAMES + ("email_status",) else None

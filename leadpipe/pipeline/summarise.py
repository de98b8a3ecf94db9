"""The summarise stage: every raw row's outcome counted, the ledger checked, summary.json and report.html.

It runs whatever happened upstream (the DAG gives it trigger rule ALL_DONE), so a run that stopped half-way
still says what happened to each row. summary.json says `status` ("succeeded" / "failed") and, when failed,
the `reasons` in plain words: a source that could not be read, a batch or push a critical check stopped, a
step that failed. `reasons_for_logs` are the same sentences without the offending values (row numbers only).
"""

from __future__ import annotations

import json

from sqlalchemy import Engine, func, select

from expectations.messages import title_of_check_name
from leadpipe.core.redact import mask_secrets, mask_url
from leadpipe.core.schema import OUTCOMES
from leadpipe.pipeline import requalify
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.crm_feedback import crm_label, run_result
from leadpipe.pipeline.report import write_run_report
from leadpipe.store import ledger
from leadpipe.store.run_files import parquet_file, read_frame
from leadpipe.store.run_paths import RunPath
from leadpipe.store.warehouse import quarantine

# leadpipe.pipeline.gate.PROSPECTS_GATE; not imported from there, which would load Great Expectations here
PROSPECTS_GATE = "prospects_before_push"


def summarise(ctx: RunContext) -> dict:
    """Count outcomes, check the ledger adds up, write summary.json; fail loudly if a source had problems."""
    engine, folder, run_id = ctx.engine, ctx.folder, ctx.run_id
    by_source = ledger.outcome_counts(engine, run_id)
    ledger.check_adds_up(by_source)
    totals = {o: sum(c[o] for c in by_source.values()) for o in OUTCOMES}
    raw = sum(c["raw_rows"] for c in by_source.values())
    requalification = requalify.run_counts(engine, run_id)
    status, reasons, reasons_for_logs = run_status(ctx)
    released = sum(c["released"] for c in by_source.values())
    summary = {
        "run_id": run_id,
        "status": status,
        "reasons": reasons,
        "reasons_for_logs": reasons_for_logs,
        "raw_rows": raw,
        # rows of this run's files an earlier run had stored (a grown export): skipped, outcome in that run
        "already_ingested": sum(c["already_ingested"] for c in by_source.values()),
        # rows of stopped batches released (`leadpipe release`) and carried on by this run; outcome in this run
        "released_rows": released,
        "outcomes": totals,
        "by_source": by_source,
        "funnel": {
            "rows_in": {s: c["raw_rows"] for s, c in by_source.items()},
            "already_ingested": {s: c["already_ingested"] for s, c in by_source.items() if c["already_ingested"]},
            "released": {s: c["released"] for s, c in by_source.items() if c["released"]},
            "valid": raw + released - totals["quarantined"],
            "unique_people": _rows(folder / "resolved.parquet"),
            "qualified": _prospects_of_this_run(folder / "prospects.parquet"),
            "pushed": totals["pushed"],
            # people a config change qualified anew bring no raw row into this run: their pushes have their own line
            "pushed_requalified": requalify.pushed_count(requalification),
        },
        "stage_seconds": _stage_seconds(folder),
        "requalification": requalification,
        "crm_feedback": (run_result(ctx) or {}).get("crms"),  # per CRM: facts read, new ones by kind, errors
        "source_errors": ctx.notes("source_errors"),
        "source_warnings": ctx.notes("source_warnings"),  # shown, not failing: a glob matching no file yet
        "rejected_batches": ctx.notes("rejected_batches"),
        "validation_warnings": ctx.notes("validation_warnings"),
        "quarantine": quarantine_summary(engine, run_id),
        "data_docs": {s: m[0] for s, m in ctx.notes("data_docs").items()},
        "outputs": {
            "run_folder": str(folder),
            "crm_import_csv": str(folder / "crm_import.csv") if (folder / "crm_import.csv").exists() else None,
            "warehouse": mask_url(ctx.cfg.warehouse_url),  # password and secret query parameters as ***
            "report_html": str(folder / "report.html"),  # linked before writing: one summary.json
        },
    }
    summary = mask_secrets(summary)  # URLs in paths and error messages too: summary, report and warehouse
    write_run_report(ctx.cfg, run_id, summary)
    path = ledger.write_json(folder / "summary.json", summary)
    ledger.finish_run(engine, run_id, summary, "failed" if status == "failed" else "success")
    summary["summary_path"] = str(path)
    return summary


def run_status(ctx: RunContext) -> tuple[str, list[str], list[str]]:
    """("succeeded" | "failed", the reasons with values, the reasons for logs), from the run's notes."""
    reasons: list[str] = []
    logged: list[str] = []
    for source, messages in ctx.notes("source_errors").items():
        for m in messages:  # file-level problems (unreadable, empty, no such table): no personal data
            reasons.append(f"{source} could not be read: {m}")
            logged.append(reasons[-1])
    stopped = ctx.notes("rejected_batches")
    stopped_for_logs = ctx.notes("rejected_batches_for_logs")
    for name, messages in stopped.items():
        what = "the push to the CRM was stopped" if name == PROSPECTS_GATE else f"{name}: the batch was stopped"
        reasons += [f"{what} before any CRM write: {m}" for m in messages]
        logged += [f"{what} before any CRM write: {m}" for m in stopped_for_logs.get(name, [])]
    for crm, messages in ctx.notes("crm_feedback_errors").items():  # the rest of the run went on
        reasons += [f"CRM feedback could not be read from {crm_label(crm)}: {m}" for m in messages]
        logged += [f"CRM feedback could not be read from {crm_label(crm)}" for _ in messages]
    for step, messages in ctx.notes("stage_errors").items():
        reasons += [f"the step {step} failed: {m}" for m in messages]
        logged += [f"the step {step} failed: {m}" for m in messages]
    return ("failed" if reasons else "succeeded"), reasons, logged


def quarantine_summary(engine: Engine, run_id: str, examples: int = 5) -> list[dict]:
    """Why rows were quarantined in this run, most frequent first: the check, its plain title, how many rows,
    and the first rows' reasons (each with the file's row number and the offending value)."""
    with engine.connect() as conn:
        counts = conn.execute(select(quarantine.c.check_name, func.count()).where(quarantine.c.run_id == run_id)
                              .group_by(quarantine.c.check_name).order_by(func.count().desc(),
                                                                          quarantine.c.check_name)).all()
        out = []
        for check, n in counts:
            first = conn.execute(select(quarantine.c.reason).where(quarantine.c.run_id == run_id,
                                                                   quarantine.c.check_name == check)
                                 .order_by(quarantine.c.source, quarantine.c.source_file, quarantine.c.source_row)
                                 .limit(examples)).scalars().all()
            out.append({"check": check, "title": title_of_check_name(check), "rows": n, "examples": list(first)})
    return out


def _stage_seconds(folder: RunPath) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for p in sorted((folder / "timings").glob("*.json")):
        t = json.loads(p.read_text())
        seconds[t["stage"]] = round(seconds.get(t["stage"], 0) + t["seconds"], 3)
    return seconds


def _prospects_of_this_run(prospects: RunPath) -> int:
    """This run's people only: re-qualified ones are counted under "requalification"."""
    n = _rows(prospects)
    if not n:
        return 0
    with parquet_file(prospects) as pf:
        has_flag = "requalified" in pf.schema_arrow.names
    if not has_flag:
        return n
    flag = read_frame(prospects, columns=["requalified"])["requalified"]
    return int((~flag.fillna(False).astype(bool)).sum())


def _rows(path: RunPath) -> int:
    """Rows of a run file from its Parquet footer (0 when absent), without reading the data."""
    if not path.exists():
        return 0
    with parquet_file(path) as pf:
        return pf.metadata.num_rows

"""The summarise stage: every raw row's outcome counted, the ledger checked, summary.json and report.html.

It runs whatever happened upstream (the DAG gives it trigger rule ALL_DONE), so a run that stopped half-way
still says what happened to each row; the run is marked failed when a source had problems.
"""

from __future__ import annotations

import json

from leadpipe.core.redact import mask_secrets, mask_url
from leadpipe.core.schema import OUTCOMES
from leadpipe.pipeline import requalify
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.report import write_run_report
from leadpipe.store import ledger
from leadpipe.store.run_files import parquet_file, read_frame
from leadpipe.store.run_paths import RunPath


def summarise(ctx: RunContext) -> dict:
    """Count outcomes, check the ledger adds up, write summary.json; fail loudly if a source had problems."""
    engine, folder, run_id = ctx.engine, ctx.folder, ctx.run_id
    by_source = ledger.outcome_counts(engine, run_id)
    ledger.check_adds_up(by_source)
    totals = {o: sum(c[o] for c in by_source.values()) for o in OUTCOMES}
    raw = sum(c["raw_rows"] for c in by_source.values())
    summary = {
        "run_id": run_id,
        "raw_rows": raw,
        "outcomes": totals,
        "by_source": by_source,
        "funnel": {
            "rows_in": {s: c["raw_rows"] for s, c in by_source.items()},
            "valid": raw - totals["quarantined"],
            "unique_people": _rows(folder / "resolved.parquet"),
            "qualified": _prospects_of_this_run(folder / "prospects.parquet"),
            "pushed": totals["pushed"],
        },
        "stage_seconds": _stage_seconds(folder),
        "requalification": requalify.run_counts(engine, run_id),
        "source_errors": ctx.notes("source_errors"),
        "rejected_batches": ctx.notes("rejected_batches"),
        "validation_warnings": ctx.notes("validation_warnings"),
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
    failed = summary["source_errors"] or summary["rejected_batches"]
    ledger.finish_run(engine, run_id, summary, "failed" if failed else "success")
    summary["summary_path"] = str(path)
    return summary


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

"""One pipeline run in-process, stage by stage as `leadpipe.pipeline.stages.STAGES` lists them.

Used by `leadpipe run` and by tests that do not need Airflow; the DAG maps the same functions over sources,
batches and partitions. A source whose batch is rejected or whose file is unreadable does not stop the others;
the summary says what happened to it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from leadpipe.pipeline.context import BatchRejected, RunContext
from leadpipe.pipeline.settings import Config
from leadpipe.pipeline.stages import STAGE
from leadpipe.store.ledger import RunIdTaken

__all__ = ["RunIdTaken", "new_run_id", "run_pipeline"]

log = logging.getLogger("leadpipe")


def new_run_id() -> str:
    return "cli__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def run_pipeline(cfg: Config, run_id: str | None = None) -> dict:
    """Run every stage once; raises RunIdTaken (before anything is written) if `run_id` was used before."""
    ctx = RunContext(cfg, run_id or new_run_id())
    sources = STAGE["start"](ctx, new=True)
    ingested = [STAGE["ingest"](ctx, s) for s in sources]
    planned = STAGE["plan_batches"](ctx, ingested)
    normalised = [STAGE["normalise"](ctx, batch) for batch in planned]
    for source in sources:
        try:
            STAGE["validate"](ctx, source, planned, normalised)
        except BatchRejected as exc:
            log.error("%s", exc)
    pairs = [STAGE["score_pairs"](ctx, p) for p in STAGE["dedupe"](ctx)]
    resolved = STAGE["enrich"](ctx, STAGE["cluster_people"](ctx, pairs))
    STAGE["crm_feedback"](ctx)  # a CRM that cannot be read is noted for the summary, never raised
    prospects = STAGE["qualify"](ctx, resolved)
    try:
        prospects = STAGE["validate_prospects"](ctx, prospects)
    except BatchRejected as exc:  # nothing reaches the CRM; the summary says why
        log.error("%s", exc)
        prospects = None
    STAGE["push"](ctx, prospects)
    return STAGE["summarise"](ctx)

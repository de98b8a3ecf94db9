"""One pipeline run in-process, calling the same stage functions as the `leads_nightly` DAG.

Used by `leadpipe run` and by tests that do not need Airflow. A source whose batch is rejected or whose
file is unreadable does not stop the others; the summary says what happened to it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from leadpipe.pipeline import stages
from leadpipe.pipeline.settings import Config

log = logging.getLogger("leadpipe")


def new_run_id() -> str:
    return "cli__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def run_pipeline(cfg: Config, run_id: str | None = None) -> dict:
    run_id = run_id or new_run_id()
    for source in stages.start(cfg, run_id):
        try:
            ingested = stages.ingest_source(cfg, run_id, source)
            normalised = stages.normalise_batch(cfg, run_id, ingested, source)
            stages.validate_batch(cfg, run_id, normalised, source)
        except stages.BatchRejected as exc:
            log.error("%s", exc)
    resolved = stages.enrich(cfg, run_id, stages.dedupe(cfg, run_id))
    prospects = stages.qualify(cfg, run_id, resolved)
    try:
        prospects = stages.validate_prospects(cfg, run_id, prospects)
    except stages.BatchRejected as exc:  # nothing reaches the CRM; the summary says why
        log.error("%s", exc)
        prospects = None
    stages.push(cfg, run_id, prospects)
    return stages.summarise(cfg, run_id)

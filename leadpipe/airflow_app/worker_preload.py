"""Imported once by each Celery worker before it forks its pool: every task inherits these modules.

Airflow 3 runs each task in a fork of the worker's pool process (BaseExecutor.run_workload -> supervise ->
os.fork). Whatever the worker imported first, the task has for free, shared copy-on-write; without this
every task re-imports pandas, SQLAlchemy and our stages (~1 s) and every validation task Great
Expectations too (~3.5 s), which at 100k leads is a fifth of the run. Wired in by
leadpipe.airflow_app.celery_config.CELERY_CONFIG (Celery's `imports`, run in the worker's main process before the
pool starts).

Imports only: no connection, thread or open file is made here, none of which would survive a fork.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time

log = logging.getLogger(__name__)

MODULES = (
    # third-party libraries first: the bulk of the time
    "numpy", "pandas", "pyarrow", "pyarrow.compute", "pyarrow.parquet", "sqlalchemy", "psycopg2", "msgspec",
    "rapidfuzz", "phonenumbers", "tldextract", "scipy.sparse.csgraph", "great_expectations",
    "great_expectations.expectations",
    # what the stages import lazily
    "leadpipe.pipeline.stages", "leadpipe.pipeline.ingest", "leadpipe.pipeline.dedupe", "leadpipe.pipeline.qualify",
    "leadpipe.pipeline.requalify", "leadpipe.pipeline.report", "leadpipe.pipeline.erasure_guard", "connectors.registry",
    "connectors.sources.file_source", "leadpipe.pipeline.push", "connectors.sinks.local",
    "enrichment.normalise", "enrichment.dedupe", "leadpipe.pipeline.dedupe_candidates", "enrichment.personas",
    "enrichment.segment", "enrichment.score", "enrichment.suppress", "expectations.gx_runner",
    "expectations.raw_batch", "expectations.normalised_leads", "expectations.prospects",
)


def preload(modules: tuple[str, ...] = MODULES) -> tuple[int, float]:
    """Import `modules`; returns (modules newly in sys.modules, seconds). A missing optional one is skipped."""
    start, before = time.perf_counter(), len(sys.modules)
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # e.g. psycopg2 on an image without PostgreSQL: the task imports it later
            log.warning("leadpipe preload: %s not imported (%s)", name, exc)
    return len(sys.modules) - before, time.perf_counter() - start


_COUNT, _SECONDS = preload()
log.info("leadpipe preload: %d modules imported in %.1f s; tasks forked from this worker inherit them",
         _COUNT, _SECONDS)

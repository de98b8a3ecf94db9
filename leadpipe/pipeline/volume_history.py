"""How many rows a source delivered in its earlier runs: the baseline of the raw-batch volume check.

Read from `source_files` (ingest records every file with its row count), so the history starts with the
first run ever, not with the first run that had this check.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from expectations.raw_batch import VolumeHistory
from leadpipe.store.warehouse import source_files


def source_volume_history(engine: Engine, source: str, current_run_id: str, runs: int,
                          before: datetime | None = None) -> VolumeHistory:
    """Rows per earlier run of `source` (all its files in that run together), newest first; with `before`,
    only files ingested before then (the history a stopped batch was judged on, for `leadpipe release`)."""
    latest = func.max(source_files.c.ingested_at).label("latest")
    where = [source_files.c.source == source, source_files.c.run_id != current_run_id]
    if before is not None:
        where.append(source_files.c.ingested_at < before)
    query = (
        select(source_files.c.run_id, func.sum(source_files.c.rows).label("rows"), latest)
        .where(*where)
        .group_by(source_files.c.run_id)
        .order_by(latest.desc())
        .limit(runs)
    )
    with engine.connect() as conn:
        return VolumeHistory(tuple(int(row.rows) for row in conn.execute(query)))

"""The normalise stage: each source's ingested rows, cut into batches, normalised one batch per task.

A big source is normalised in batches, one mapped task each, so that several workers share one big file:
plan_batches cuts the ingested file into runs of whole Parquet row groups (export_run_rows writes one per
5,000 rows), normalise_part normalises one run, and the validate stage reads a source's parts back in batch
order. The parts' order, not the order the tasks finished in, decides the result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from enrichment.normalise import normalise_frame
from leadpipe.pipeline.context import RunContext
from leadpipe.store.run_files import parquet_file, write_frame

log = logging.getLogger("leadpipe")


def plan_batches(ctx: RunContext, ingested: Sequence[str | None], batch_rows: int | None = None) -> list[dict]:
    """One spec per batch of about `batch_rows` rows (airflow.batch_rows), over every source's ingested file.

    Specs are plain JSON (they travel through XCom): source, ingested path, batch number, row-group range and
    row count. A source with nothing new (None) has no batch. Sorted by (source, batch): stable map indexes.
    """
    size = batch_rows or ctx.cfg.airflow.batch_rows
    specs: list[dict] = []
    for path in sorted(p for p in ingested if p):
        with parquet_file(ctx.file(path)) as pf:
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


def normalise_part(ctx: RunContext, spec: dict) -> str:
    """Normalise one planned batch into normalised/<source>/part-<batch>.parquet; return that path."""
    source, batch = spec["source"], int(spec["batch"])
    with ctx.timed("normalise", f"{source}.{batch:05d}"):
        first, stop = spec["row_groups"]
        with parquet_file(ctx.file(spec["path"])) as pf:
            frame = pf.read_row_groups(range(first, stop)).to_pandas()
        df = normalise_frame(frame)
        out = ctx.folder / "normalised" / source / f"part-{batch:05d}.parquet"
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

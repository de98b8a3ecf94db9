"""Big sources in batches (the DAG's mapped normalise): the plan covers every row once, and a run whose
batches finish in any order ends exactly like the embedded run that normalises each source whole."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from leadpipe.pipeline import ingest as source_ingest
from leadpipe.pipeline import stages
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, outcomes, quarantine, raw_rows
from tests.homes import demo_home_at
from tests.pipeline_checks import assert_ledger_adds_up

SMALL_ROW_GROUPS = 40  # demo sources have 165-208 rows: several row groups, so several batches


def test_plan_covers_every_row_once_in_whole_row_groups(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_ingest, "BATCH_ROWS", SMALL_ROW_GROUPS)
    cfg = load_config()
    ctx = stages.RunContext(cfg, "r1")
    stages.start(ctx)
    path = stages.ingest_source(ctx, "vendor_apollo")
    total = pq.ParquetFile(path).metadata.num_rows
    groups = pq.ParquetFile(path).metadata.num_row_groups
    assert groups > 3

    plan = stages.plan_batches(ctx, [None, path], batch_rows=100)
    assert len(plan) >= 2 and {b["source"] for b in plan} == {"vendor_apollo"}
    assert [b["batch"] for b in plan] == list(range(len(plan)))
    ranges = [b["row_groups"] for b in plan]
    assert ranges[0][0] == 0 and ranges[-1][1] == groups
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # contiguous, no overlap
    assert sum(b["rows"] for b in plan) == total
    assert all(b["rows"] >= 100 for b in plan[:-1])
    # one batch when the source is smaller than a batch
    assert len(stages.plan_batches(ctx, [path], batch_rows=10_000)) == 1


def test_parts_of_refuses_a_source_with_a_missing_batch() -> None:
    plan = [{"source": "a", "batch": 0}, {"source": "a", "batch": 1}, {"source": "b", "batch": 0}]
    done = ["/r/normalised/a/part-00001.parquet", "/r/normalised/b/part-00000.parquet",
            "/r/normalised/a/part-00000.parquet"]
    assert stages.parts_of("a", plan, done) == [done[2], done[0]]  # batch order, not finishing order
    assert stages.parts_of("c", plan, done) is None
    with pytest.raises(RuntimeError, match=r"source a: batch\(es\) \[1\] of 2 were not normalised"):
        stages.parts_of("a", plan, [done[2], None])


def _outcomes(cfg) -> dict:
    with engine_for(cfg.warehouse_url).connect() as conn:
        rows = conn.execute(select(raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row,
                                   outcomes.c.outcome, outcomes.c.reason, outcomes.c.person_id)
                            .join(outcomes, outcomes.c.raw_row_id == raw_rows.c.id)).all()
        held = conn.execute(select(quarantine.c.raw_row_id, quarantine.c.check_name)).all()
    return {"outcomes": {(r.source, r.source_file, r.source_row): (r.outcome, r.reason, r.person_id) for r in rows},
            "quarantine": sorted(held)}


def _batched_run(cfg, run_id: str) -> dict:
    """The DAG's prepare group by hand, with the batches finishing in reverse order."""
    ctx = stages.RunContext(cfg, run_id)
    sources = stages.start(ctx)
    ingested = [stages.ingest_source(ctx, s) for s in sources]
    plan = stages.plan_batches(ctx, ingested, batch_rows=100)
    assert len(plan) > len(sources)  # some source really is split
    normalised = [stages.normalise_part(ctx, spec) for spec in reversed(plan)]
    for source in sources:
        try:
            stages.validate_source(ctx, source, plan, normalised)
        except stages.BatchRejected:
            pass
    pairs = [stages.dedupe_score(ctx, p) for p in reversed(stages.dedupe_plan(ctx))]
    resolved = stages.enrich(ctx, stages.dedupe_merge(ctx, pairs))
    prospects = stages.validate_prospects(ctx, stages.qualify(ctx, resolved))
    stages.push(ctx, prospects)
    return stages.summarise(ctx)


def test_batched_run_ends_like_the_embedded_run(tmp_path: Path, demo_inputs: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_ingest, "BATCH_ROWS", SMALL_ROW_GROUPS)
    monkeypatch.delenv("LEADPIPE_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("LEADPIPE_CONFIG", raising=False)
    results = {}
    for mode in ("embedded", "batched"):
        home = demo_home_at(tmp_path / mode, demo_inputs, monkeypatch)
        cfg = load_config()
        summary = run_pipeline(cfg, "run-1") if mode == "embedded" else _batched_run(cfg, "run-1")
        assert_ledger_adds_up(summary)
        prospects = pd.read_parquet(home / "runs" / "run-1" / "prospects.parquet")
        results[mode] = {**_outcomes(cfg), "funnel": summary["funnel"],
                         "prospects": prospects.sort_values("person_id").reset_index(drop=True)}
    embedded, batched = results["embedded"], results["batched"]
    assert len(embedded["outcomes"]) > 500 and embedded["funnel"]["pushed"] > 0
    assert batched["funnel"] == embedded["funnel"]
    assert batched["quarantine"] == embedded["quarantine"]
    differ = {k: (v, batched["outcomes"].get(k)) for k, v in embedded["outcomes"].items()
              if batched["outcomes"].get(k) != v}
    assert not differ, f"{len(differ)} rows differ, e.g. {list(differ.items())[:3]}"
    pd.testing.assert_frame_equal(batched["prospects"], embedded["prospects"])

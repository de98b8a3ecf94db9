"""Property: `release` changes nothing but the one release row of the batch named exactly, and only when that
batch is stopped, not released yet, passes, and it is not a dry run. Other batches, raw rows, quarantine and
outcomes are never touched; every refused id leaves the warehouse as it was.

The judging step is handed in (release_batch's `evaluate`) as a verdict drawn by Hypothesis: what is under
test here is which rows the command may change; tests/test_release.py judges real batches with the suites.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select

from leadpipe.pipeline.release import ReleaseRefused, StoppedBatch, release_batch
from leadpipe.pipeline.settings import Config, load_config
from leadpipe.store import ledger
from leadpipe.store.warehouse import (
    batch_releases,
    engine_for,
    migrate,
    outcomes,
    quarantine,
    raw_rows,
    runs,
)
from tests.homes import write_config

SOURCES = ("vendor", "vendor_b", "forms")
RUNS = ("r1", "r2", "manual__2026-12-01T02:00:00+00:00")
TABLES = (runs, raw_rows, quarantine, outcomes, batch_releases)

batch_keys = st.sets(st.tuples(st.sampled_from(SOURCES), st.sampled_from(RUNS)), max_size=6)
ids = st.one_of(
    st.tuples(st.sampled_from(SOURCES), st.sampled_from(RUNS)).map(lambda k: f"{k[0]}@{k[1]}"),
    st.sampled_from(["", " ", "vendor", "forms", "@", "vendor@", "@r1", "VENDOR@r1", "vendor@R1", "vendor@r",
                     "vendor @r1", "vendor@r1@r1", "vendor%@r1", "*@r1", "vendor@*", "'; DROP TABLE raw_rows; --"]),
    st.text(max_size=20),
)


def _snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table release could touch, as text (payloads are dicts)."""
    with engine.connect() as conn:
        return {t.name: sorted(repr(tuple(r)) for r in conn.execute(select(t))) for t in TABLES}


def _seed(engine: Engine, stopped: set, released: set) -> None:
    with engine.begin() as conn:
        for t in reversed(TABLES):
            conn.execute(delete(t))
        for run_id in RUNS:
            conn.execute(insert(runs).values(run_id=run_id, started_at=ledger.now(), status="failed"))
        for n, (source, run_id) in enumerate(sorted(stopped)):
            ids = [conn.execute(insert(raw_rows).values(
                run_id=run_id, source=source, source_file=f"{source}.csv", source_row=i + 1, payload={"Email": "x"},
                ingested_at=ledger.now())).inserted_primary_key[0] for i in range(n % 3 + 1)]
            # a row of the same batch quarantined for another reason is not part of the stop
            conn.execute(insert(quarantine), [
                {"run_id": run_id, "raw_row_id": rid, "source": source, "source_file": f"{source}.csv",
                 "source_row": i + 1, "field": None, "check_name": "batch stopped" if i else "ingest.parse",
                 "reason": "valid email share 0.5 < 0.9"} for i, rid in enumerate(ids)] if len(ids) > 1 else [
                {"run_id": run_id, "raw_row_id": ids[0], "source": source, "source_file": f"{source}.csv",
                 "source_row": 1, "field": None, "check_name": "batch stopped", "reason": "volume"}])
            conn.execute(insert(outcomes), [{"run_id": run_id, "raw_row_id": rid, "outcome": "quarantined",
                                             "reason": "batch stopped", "person_id": None} for rid in ids])
            if (source, run_id) in released:
                conn.execute(insert(batch_releases).values(source=source, run_id=run_id, rows=len(ids), checks={},
                                                           released_at=ledger.now(), carried_run_id=None))


@pytest.fixture
def cfg(home: Path) -> Config:
    config = load_config(write_config(home / "leadpipe.yaml"))
    migrate(config.warehouse_url)
    return config


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stopped=batch_keys, released_share=st.integers(0, 3), batch_id=ids, passes=st.booleans(),
       dry_run=st.booleans())
def test_release_changes_only_the_named_batch(cfg: Config, stopped: set, released_share: int, batch_id: str,
                                              passes: bool, dry_run: bool) -> None:
    released = {k for i, k in enumerate(sorted(stopped)) if i % 4 < released_share}
    engine = engine_for(cfg.warehouse_url)
    _seed(engine, stopped, released)
    before = _snapshot(engine)
    judged = []

    def evaluate(_cfg: Config, _engine: Engine, batch: StoppedBatch) -> list[str]:
        judged.append(batch.batch_id)
        return [] if passes else ["valid email share 0.5, at least 0.9 needed"]

    exact = {f"{s}@{r}" for s, r in stopped}
    try:
        verdict = release_batch(cfg, batch_id, dry_run=dry_run, evaluate=evaluate)
    except ReleaseRefused:
        assert batch_id.strip() not in exact or tuple(batch_id.strip().split("@", 1)) in released
        assert _snapshot(engine) == before
        assert judged == []
        return
    key = tuple(batch_id.strip().split("@", 1))
    assert batch_id.strip() in exact and key not in released and judged == [batch_id.strip()]
    assert verdict.passes is passes
    after = _snapshot(engine)
    assert {t: after[t] for t in after if t != "batch_releases"} == {t: before[t] for t in before
                                                                   if t != "batch_releases"}
    new = set(after["batch_releases"]) - set(before["batch_releases"])
    assert set(before["batch_releases"]) <= set(after["batch_releases"])
    if passes and not dry_run:
        assert len(new) == 1
        with engine.connect() as conn:
            [row] = conn.execute(select(batch_releases).where(batch_releases.c.source == key[0],
                                                              batch_releases.c.run_id == key[1])).all()
        assert row.carried_run_id is None and row.rows >= 1  # released, not yet carried on
    else:
        assert new == set()

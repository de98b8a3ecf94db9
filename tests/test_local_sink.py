"""The local CRM sink: idempotent plans and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from connectors.sinks.base import content_hash, plan_pushes
from connectors.sinks.local import LocalSink, neutralise_formula
from leadpipe.store.warehouse import engine_for, migrate, prospects


def test_formula_cells_are_neutralised() -> None:
    for value in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_formula(value) == "'" + value
    assert neutralise_formula("Jane") == "Jane"
    assert neutralise_formula(None) == ""
    assert neutralise_formula("+4930123456".lstrip("+")) == "4930123456"


def test_plan_creates_updates_and_skips() -> None:
    a = {"person_id": "a", "email": "a@x.com", "score": 50}
    b = {"person_id": "b", "email": "b@x.com", "score": 60}
    c = {"person_id": "c", "email": "c@x.com", "score": 70}
    done = {"a": content_hash(a), "b": content_hash({**b, "score": 10})}
    actions = {p.person_id: p.action for p in plan_pushes([a, b, c], done)}
    assert actions == {"a": "skip", "b": "update", "c": "create"}
    assert content_hash({"x": 1, "y": 2}) == content_hash({"y": 2, "x": 1})


def test_local_sink_writes_table_and_csv(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    sink = LocalSink(engine_for(url), prospects, tmp_path / "crm_import.csv")
    rec = {"person_id": "p1", "email": "a@x.com", "first_name": "=cmd|' /C calc'!A0", "score": 55, "tier": "B"}
    results = sink.write(plan_pushes([rec], {}), "run1")
    assert [(r.person_id, r.action, r.crm_id) for r in results] == [("p1", "create", "p1")]
    with engine_for(url).connect() as conn:
        row = conn.execute(select(prospects)).mappings().one()
    assert row["email"] == "a@x.com" and row["score"] == 55
    with (tmp_path / "crm_import.csv").open(encoding="utf-8") as fh:
        [out] = list(csv.DictReader(fh))
    assert out["first_name"] == "'=cmd|' /C calc'!A0"


def test_local_sink_refuses_a_record_without_a_required_field_and_writes_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    sink = LocalSink(engine_for(url), prospects, tmp_path / "crm_import.csv")
    good = {"person_id": "p1", "email": "a@x.com", "score": 55}
    bad = {"person_id": "p2", "email": "b@x.com", "score": None}
    results = {r.person_id: r for r in sink.write(plan_pushes([good, bad], {}), "run1")}
    assert results["p1"].outcome == "confirmed"
    assert results["p2"].outcome == "refused" and "score" in (results["p2"].error or "")
    with engine_for(url).connect() as conn:
        assert conn.execute(select(prospects.c.person_id)).scalars().all() == ["p1"]

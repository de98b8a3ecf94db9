"""The dedupe stage stores exactly what the resolution decided: golden records, provenance, membership, evidence.

Checked against the Resolution's own dict views (`golden`, `provenance`, `evidence`), on SQLite and PostgreSQL,
for a first run and for an increment that updates existing people. bench/dedupe_stage_check.py compares the
stage's whole output with an earlier commit's on generated leads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from enrichment.dedupe import resolve
from leadpipe.pipeline.dedupe import WRITE_CHUNK, store_people
from leadpipe.pipeline.dedupe_candidates import candidate_people
from leadpipe.store.warehouse import engine_for, membership, migrate, people, raw_rows

FIRST = ["Jane", "Tab\tby", "Zoë", "Ann\\e", "Otto", "Eva"]
LAST = ["Müller", "Schmidt", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Meier", "Lehmann", "Huber", "Kaiser", "Fuchs", "Peters", "Scholz", "Möller", "Jung"]


def _batch(start: int, n: int, shift: int = 0) -> pd.DataFrame:
    """n rows from raw row id `start`, two per person (same email; person i // 2 - shift), some fields blank,
    text that needs escaping."""
    rows = []
    for i in range(start, start + n):
        p = i // 2 - shift
        rows.append({"raw_row_id": i, "source": "v", "source_file": "f.csv", "source_row": i, "source_kind": "purchased",
                     "email": f"p{p}@acme{p % 7}.com", "first_name": FIRST[p % len(FIRST)], "last_name": LAST[p],
                     "company": f"Acme {p % 7}" if i % 3 else "", "company_key": f"acme {p % 7}",
                     "job_title": "CTO" if i % 2 else None, "employees": 50 + p if i % 4 else None,
                     "city": "Köln\nNord" if p % 5 == 0 else "Berlin", "submitted_at": None})
    return pd.DataFrame(rows)


def _store(url: str, batch: pd.DataFrame, run_id: str):
    engine = engine_for(url)
    with engine.begin() as conn:  # membership rows point at raw rows (a foreign key on PostgreSQL)
        conn.execute(insert(raw_rows), [{"id": int(r), "run_id": run_id, "source": "v", "source_file": "f.csv",
                                         "source_row": int(r), "payload": {}, "ingested_at": datetime.now(UTC)}
                                        for r in batch["raw_row_id"]])
    res = resolve(batch, candidate_people(engine, batch))
    store_people(engine, run_id, res)
    return res


def _check(url: str, res, run_id: str) -> None:
    with engine_for(url).connect() as conn:
        got = {r.person_id: r for r in conn.execute(select(people))}
        member = {r.raw_row_id: r for r in conn.execute(select(membership))}
    for pid, record in res.golden.items():
        row = got[pid]
        as_json = lambda v: json.loads(v) if isinstance(v, str) else v
        assert as_json(row.record) == json.loads(json.dumps(record))
        assert as_json(row.provenance) == res.provenance[pid]
        assert (row.email, row.first_name, row.last_name) == (record.get("email"), record.get("first_name"),
                                                              record.get("last_name"))
        assert row.updated_run_id == run_id
    m = res.membership.set_index("raw_row_id")
    for rid, r in m.iterrows():
        row = member[rid]
        assert (row.person_id, row.rule, row.run_id) == (r["person_id"], r["rule"], run_id)
        assert (row.match_score is None) == bool(np.isnan(r["match_score"]))
        ev = row.evidence if not isinstance(row.evidence, str) else json.loads(row.evidence)
        assert ev == (json.loads(json.dumps(res.evidence[rid])) if rid in res.evidence else None)


def test_the_stage_stores_what_the_resolution_decided(warehouse_url: str, monkeypatch) -> None:
    migrate(warehouse_url)
    monkeypatch.setattr("leadpipe.pipeline.dedupe.WRITE_CHUNK", 7)  # several write chunks, a partial last one
    first = _store(warehouse_url, _batch(1, 40), "run_1")
    assert len(first.golden) == 21 and len(first.evidence) == 38 and WRITE_CHUNK > 7  # rows 2i, 2i+1: one person
    _check(warehouse_url, first, "run_1")
    # an increment: rows of known people (their ids are kept, created_run_id too) and of new ones
    second = _store(warehouse_url, _batch(41, 20, shift=5), "run_2")  # people 15-20 known, 21-25 new
    _check(warehouse_url, second, "run_2")
    known = set(first.golden) & set(second.golden)
    assert known and set(second.new_people) == set(second.golden) - known
    assert any(ev["matched_with"].get("person_id") in known for ev in second.evidence.values())
    with engine_for(warehouse_url).connect() as conn:
        created = dict(conn.execute(select(people.c.person_id, people.c.created_run_id)).all())
    assert {created[p] for p in known} == {"run_1"} and {created[p] for p in second.new_people} == {"run_2"}

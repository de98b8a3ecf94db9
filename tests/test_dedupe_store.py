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


def test_evidence_texts_are_the_json_of_the_evidence_dicts() -> None:
    """The stage stores LinkEvidence.json_texts, built a column at a time: byte for byte msgspec's JSON of the
    dicts `many` builds, for rows matched to another row, to an existing person and with swapped names."""
    import msgspec

    first = resolve(_batch(1, 40), pd.DataFrame())
    existing = pd.DataFrame([{"person_id": pid, "email": rec.get("email"), "first_name": rec.get("first_name"),
                              "last_name": rec.get("last_name"), "company_key": rec.get("company_key"),
                              "record": rec, "provenance": first.provenance[pid]} for pid, rec in first.golden.items()])
    more = _batch(41, 20, shift=5)
    swap = more.index[::3]  # every third row has first and last name the wrong way round
    more.loc[swap, ["first_name", "last_name"]] = more.loc[swap, ["last_name", "first_name"]].to_numpy()
    second = resolve(more, existing)
    for res in (first, second):
        rids = res.membership["raw_row_id"].tolist()
        want = [None if ev is None else msgspec.json.encode(ev).decode() for ev in res.evidence.many(rids)]
        assert res.evidence.json_texts(rids) == want
        assert res.evidence.json_texts([]) == [] and res.evidence.json_texts([10**9]) == [None]
    texts = [t for t in second.evidence.json_texts(second.membership["raw_row_id"].tolist()) if t]
    assert any('"note":"first and last name swapped"' in t for t in texts)
    assert any('"matched_with":{"person_id":' in t for t in texts)
    assert any('"matched_with":{"raw_row_id":' in t for t in texts)


def test_json_objects_are_what_msgspec_writes_for_the_rows() -> None:
    """Records and provenance built a column at a time: each row's object as msgspec encodes the dict of its
    values that are not None (fields in column order), text that needs escaping included; {} for no value."""
    import msgspec

    from leadpipe.store.json_columns import int_texts, json_objects, value_texts

    enc = msgspec.json.Encoder()
    cols = {"name": ["Zoë", None, 'say "hi"\n\ttab\\', "null", None],
            "n": [1, None, 2.5, True, None], "when": [None, None, "2025-01-01", "", None]}
    rows = [{k: v[i] for k, v in cols.items() if v[i] is not None} for i in range(5)]
    got = json_objects([(k, value_texts(v, enc)) for k, v in cols.items()], 5)
    assert got == [enc.encode(r).decode() for r in rows] and got[4] == "{}"
    prov = {"a": np.array([1.0, np.nan, 30.0]), "b": np.array([np.nan, np.nan, 2.0**40])}
    want = [{k: int(v[i]) for k, v in prov.items() if not np.isnan(v[i])} for i in range(3)]
    assert json_objects([(k, int_texts(v)) for k, v in prov.items()], 3) == [enc.encode(r).decode() for r in want]
    assert json_objects([], 0) == []

"""The dedupe merge's speedups give what the code they replaced gave.

Person ids built for many rows at once must be the uuid5 `person_id_for` makes one row at a time (uuid's own
implementation, not ours); survivorship aligned to the people directly must equal the union frame reindexed;
the stage's store (chunks built here, written by a forked writer process) must roll back when the chunk builder
fails, the writer dies or a step fails, and store what store_people stores
when membership is handed to the writer before the golden records exist. bench/dedupe_stage_check.py compares
the whole stage's output with an earlier commit's on generated leads.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from enrichment.dedupe.matching import match
from enrichment.dedupe.resolution import PERSON_NAMESPACE, _build, _person_ids, prepare, resolve
from enrichment.dedupe.settings import DedupeConfig, SurvivorshipConfig
from enrichment.dedupe.survivorship import (
    _BLANK_STARTS,
    SPACE_CLASS,
    _first_of_each,
    _not_blank,
    choose,
    filled,
)
from leadpipe.pipeline import dedupe as stage
from leadpipe.pipeline.dedupe_candidates import candidate_people
from leadpipe.store.warehouse import engine_for, membership, migrate, people
from tests.test_dedupe_store import _batch

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(text, text, st.integers(0, 2**40)), max_size=30))
def test_person_ids_are_uuid5_of_the_lineage(rows):
    src, fil, srow = (np.array([r[i] for r in rows], dtype=object) for i in range(3))
    assert _person_ids(src, fil, srow) == [str(uuid.uuid5(PERSON_NAMESPACE, f"{a}|{b}|{c}")) for a, b, c in rows]


values = st.one_of(st.none(), st.sampled_from(["", " ", "x", "Köln", "y z"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), values, values, st.one_of(st.none(), st.integers(1, 9)),
                          st.sampled_from(["a", "b"])), min_size=1, max_size=25),
       st.sampled_from(["fill_blanks", "most_complete", "most_recent", "source_priority"]))
def test_survivorship_aligned_to_the_people_is_the_union_frame_reindexed(rows, strategy):
    fields = ["first_name", "city", "employees"]
    cand = pd.DataFrame(rows, columns=["label", "first_name", "city", "employees", "source"])
    cand["first_name"] = cand["first_name"].astype("str")
    cand["employees"] = cand["employees"].astype(float)
    for f in fields:
        cand[f"prov_{f}"] = np.arange(len(cand), dtype=np.int64) + 100
    present = filled(cand[fields])
    cand = cand.assign(is_old=[i % 4 == 3 for i in range(len(cand))], completeness=present.sum(axis=1).to_numpy(),
                       raw_row_id=np.arange(len(cand)), order=np.arange(len(cand)),
                       recency=[str(i % 3) for i in range(len(cand))])
    cfg = SurvivorshipConfig(default=strategy, source_priority=["b"])
    people_labels = np.arange(8)  # every label of the rows, and labels no row gave a value for
    want_v, want_p = choose(cand, fields, cfg, present.to_numpy())
    got_v, got_p = choose(cand, fields, cfg, present.to_numpy(), index=people_labels)
    pd.testing.assert_frame_equal(got_v, want_v.reindex(people_labels), check_names=False)
    pd.testing.assert_frame_equal(got_p, want_p.reindex(people_labels), check_names=False)


spacey = st.text(alphabet=st.sampled_from([" ", "\t", "\x1c", "\x85", "\xa0", "\u2000", "\u3000", "\u200b",
                                          "\ufeff", "x", "é", "中"]), max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), spacey), max_size=40))
def test_a_blank_text_is_what_str_strip_empties_on_arrow_and_object_columns(vals):
    """Arrow-backed text is judged by a regular expression: it must agree with str.strip() (zero-width
    space and BOM are not whitespace to Python), as the object path does."""
    want = np.array([v is None or v.strip() != "" for v in vals], dtype=bool)
    assert (_not_blank(pd.Series(vals, dtype="str")) == want).all()
    assert (_not_blank(pd.Series(vals, dtype=object)) == want).all()


def test_the_blank_pattern_holds_every_character_python_strips():
    import re

    ranges = re.findall(r"\\x\{([0-9a-f]+)\}(?:-\\x\{([0-9a-f]+)\})?", SPACE_CLASS)
    listed = {c for lo, hi in ranges for c in range(int(lo, 16), int(hi or lo, 16) + 1)}
    assert listed == {c for c in range(0x110000) if chr(c).isspace()}
    assert set(_BLANK_STARTS.to_pylist()) == {chr(c) for c in listed} | {""}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), values, st.integers(0, 9), st.booleans()), min_size=1, max_size=25),
       st.sampled_from(["fill_blanks", "most_complete", "most_recent", "source_priority"]), st.randoms())
def test_survivorship_for_sorted_people_equals_the_general_path(rows, strategy, rnd):
    """Sorted, unique people labels take the binary-search path; any other order takes reindex: both give
    the same values, provenance and dtypes (ints widened to float, booleans to object, where a person
    has no value)."""
    fields = ["city", "n", "flag"]
    cand = pd.DataFrame(rows, columns=["label", "city", "n", "flag"])
    cand["city"] = cand["city"].astype("str")
    present = filled(cand[fields])
    cand = cand.assign(is_old=False, completeness=present.sum(axis=1).to_numpy(), raw_row_id=np.arange(len(cand)),
                       order=np.arange(len(cand)), recency="", source="a")
    cfg = SurvivorshipConfig(default=strategy)
    people_labels = np.arange(9)
    shuffled = people_labels.copy()
    rnd.shuffle(shuffled)
    if (shuffled == people_labels).all():
        shuffled = shuffled[::-1].copy()
    fast_v, fast_p = choose(cand, fields, cfg, present.to_numpy(), index=people_labels)
    slow_v, slow_p = choose(cand, fields, cfg, present.to_numpy(), index=shuffled)
    pd.testing.assert_frame_equal(fast_v, slow_v.loc[people_labels])
    pd.testing.assert_frame_equal(fast_p, slow_p.loc[people_labels])


def test_a_failed_chunk_build_writes_nothing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/w.db"
    migrate(url)
    engine = engine_for(url)
    batch = pd.DataFrame({"raw_row_id": range(1, 41), "source": "v", "source_file": "f.csv",
                          "source_row": range(1, 41), "email": [f"p{i // 2}@x.com" for i in range(40)],
                          "first_name": "Ann", "last_name": [f"L{i // 2}" for i in range(40)]})
    res = resolve(batch, candidate_people(engine, batch))
    real = stage._member_columns
    calls = []

    def failing(*args):
        calls.append(1)
        if len(calls) == 2:  # people are queued (some written) when the second membership chunk fails
            raise RuntimeError("boom")
        return real(*args)

    monkeypatch.setattr(stage, "WRITE_CHUNK", 7)
    monkeypatch.setattr(stage, "_member_columns", failing)
    with pytest.raises(RuntimeError, match="boom"), ThreadPoolExecutor(1) as pool:
        store = stage._StoreBehind(pool, engine, "r1")
        store.members_first = False  # membership chunks built here, after the people
        store.finish(res)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(membership)).scalar() == 0


def _tables(url: str) -> tuple[list, list]:
    with engine_for(url).connect() as conn:
        return (conn.execute(select(people).order_by(people.c.person_id)).all(),
                conn.execute(select(membership).order_by(membership.c.raw_row_id)).all())


def test_membership_written_first_stores_what_store_people_stores(tmp_path, monkeypatch):
    """The stage on SQLite: membership handed to the writer before the golden records exist, then people."""
    batch = _batch(1, 40)  # two rows per person, blanks, text that needs escaping (tests/test_dedupe_store.py)
    monkeypatch.setattr(stage, "WRITE_CHUNK", 7)
    urls = []
    for name in ("one", "two"):
        url = f"sqlite:///{tmp_path}/{name}.db"
        migrate(url)
        urls.append(url)
    engine = engine_for(urls[0])
    stage.store_people(engine, "r1", resolve(batch, candidate_people(engine, batch)))
    engine = engine_for(urls[1])
    with ThreadPoolExecutor(1) as pool:
        store = stage._StoreBehind(pool, engine, "r1")
        assert store.members_first
        built = []

        def early(res, n_people):
            built.append(len(res.golden_frame))  # golden records not built yet
            store.start(res, n_people)

        p = prepare(batch, candidate_people(engine, batch))
        res = _build(p.batch, p.existing, p.old_rows, match(p.features, DedupeConfig(), p.is_old), DedupeConfig(),
                     on_membership=early)
        store.finish(res)
        store.close().result()
    assert built == [0]
    one, two = _tables(urls[0]), _tables(urls[1])
    assert len(one[1]) == 40 and len(one[0]) == 21  # rows 2i, 2i+1: one person
    assert one == two


def _failing_step(conn):
    """A step after the people (it runs in the writer process, so it is a module-level function)."""
    assert conn.execute(select(func.count()).select_from(people)).scalar() == 21  # written (as in the test above), not committed
    raise RuntimeError("outcomes refused")


def _dying_step(conn):
    """The writer process ends without a word (as if killed) after writing the people, before committing."""
    os._exit(3)


@pytest.mark.parametrize(("step", "error"), [(_failing_step, "outcomes refused"),
                                             (_dying_step, "writer process stopped unexpectedly")])
def test_a_failed_or_lost_writer_after_the_people_stores_nothing(tmp_path, step, error):
    """The merged rows' outcomes go in the people's transaction: if storing them fails, no person is stored
    either (both or neither), and the writer's error reaches the stage. The writer is a forked process: if it
    vanishes mid-transaction, the stage says so (no hang, no silent success) and SQLite keeps nothing."""
    url = f"sqlite:///{tmp_path}/w.db"
    migrate(url)
    engine = engine_for(url)
    batch = _batch(1, 40)
    with ThreadPoolExecutor(1) as pool:
        store = stage._StoreBehind(pool, engine, "r1")
        store.finish(resolve(batch, candidate_people(engine, batch)))
        with pytest.raises(RuntimeError, match=error):
            store.close(step).result()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(membership)).scalar() == 0


def test_a_stage_failing_before_any_write_ends_its_writer(tmp_path):
    """The writer is forked when the merge starts; a failure before anything is handed over (an unreadable
    plan, say) must end it too, not leave a process waiting on its pipe."""
    url = f"sqlite:///{tmp_path}/w.db"
    migrate(url)
    with ThreadPoolExecutor(1) as pool:
        store = stage._StoreBehind(pool, engine_for(url), "r1")
        assert store.writer.alive()
        store.abort()
        assert not store.writer.alive()
        assert store.writer.exitcode == 0


def _store_in_a_daemon(url: str) -> None:
    """What cluster_people does under the Celery executor: the task is forked from a billiard pool worker,
    which multiprocessing takes for a daemon (and a daemon may not start a multiprocessing.Process)."""
    engine = engine_for(url)
    batch = _batch(1, 40)
    with ThreadPoolExecutor(1) as pool:
        store = stage._StoreBehind(pool, engine, "r1")
        store.finish(resolve(batch, candidate_people(engine, batch)))
        store.close().result()


def test_the_writer_starts_inside_a_celery_style_daemon_worker(tmp_path):
    import billiard

    url = f"sqlite:///{tmp_path}/w.db"
    migrate(url)
    worker = billiard.Process(target=_store_in_a_daemon, args=(url,), daemon=True)
    worker.start()
    worker.join(120)
    assert worker.exitcode == 0
    with engine_for(url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar() == 21
        assert conn.execute(select(func.count()).select_from(membership)).scalar() == 40


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-3, 40), max_size=60))
def test_first_row_of_each_label_as_np_unique_finds_it(labels):
    """Survivorship's first row per label, on labels in sorted order (every strategy sorts by label first):
    the positions np.unique(return_index=True) gives, in the order the rows come."""
    arr = np.sort(np.array(labels, dtype=np.int64))
    _, first = np.unique(arr, return_index=True)
    assert _first_of_each(arr).tolist() == np.sort(first).tolist()

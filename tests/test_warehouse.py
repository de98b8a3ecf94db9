"""The warehouse on SQLite and on the real PostgreSQL server: migrations, append-only raw rows, ledger."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, inspect, select, text

from leadpipe.store import ledger
from leadpipe.store.ledger import LedgerMismatch, Outcome, QuarantinedRow
from leadpipe.store.row_hashes import row_hash
from leadpipe.store.warehouse import (
    RetiredRevision,
    engine_for,
    head_revision,
    metadata,
    migrate,
    outcomes,
    quarantine,
    raw_rows,
)

HEAD = head_revision()  # the newest migration, whichever it is
REQUIRED_TABLES = {"raw_rows", "people", "membership", "outcomes", "quarantine", "push_ledger", "runs",
                   "source_files", "prospects", "validation_results"}


def test_migrations_create_the_schema_the_code_expects(warehouse_url: str) -> None:
    migrate(warehouse_url)
    migrate(warehouse_url)  # running again on an up-to-date warehouse is a no-op
    engine = engine_for(warehouse_url)
    assert REQUIRED_TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"tables in warehouse.py differ from the migrations: {diff}"


def _stamped(url: str) -> set[str]:
    with engine_for(url).connect() as conn:
        return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _restamp(url: str, revision: str) -> None:
    """Pretend the warehouse was made by the pre-release chain (0001 ... 0009), which is no longer shipped."""
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def _migrate_to(url: str, revision: str) -> None:
    """The warehouse as an older leadpipe left it: migrated up to `revision` only."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", "leadpipe/store/migrations")
    with engine_for(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_a_dev_warehouse_at_the_retired_head_is_restamped_to_the_baseline(warehouse_url: str) -> None:
    _migrate_to(warehouse_url, "0001_baseline")
    ids = _store_rows(engine_for(warehouse_url), "r1", 3)
    _restamp(warehouse_url, "0009")  # the old chain's head produced exactly the baseline schema
    migrate(warehouse_url)
    assert _stamped(warehouse_url) == {HEAD}  # re-stamped to the baseline, then upgraded from there
    with engine_for(warehouse_url).connect() as conn:
        assert conn.execute(select(raw_rows.c.id).order_by(raw_rows.c.id)).scalars().all() == ids
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


@pytest.mark.parametrize("revision", ["0001", "0008"])
def test_an_older_dev_warehouse_is_refused_with_how_to_start_afresh(warehouse_url: str, revision: str) -> None:
    migrate(warehouse_url)
    _restamp(warehouse_url, revision)
    with pytest.raises(RetiredRevision, match=f"revision {revision}.*make clean-run"):
        migrate(warehouse_url)
    assert _stamped(warehouse_url) == {revision}  # left as it was


def _store_rows(engine, run_id: str, n: int) -> list[int]:  # noqa: ANN001
    with engine.begin() as conn:
        result = conn.execute(
            insert(raw_rows).returning(raw_rows.c.id, sort_by_parameter_order=True),
            [{"run_id": run_id, "source": "s", "source_file": "f.csv", "source_row": i + 1,
              "payload": {"Email": f"p{i}@example.com", "Name": "Ünïcødé 名前"}, "ingested_at": ledger.now()}
             for i in range(n)],
        )
        return [r[0] for r in result]


def test_raw_rows_keep_the_payload_and_order(warehouse_url: str) -> None:
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    ids = _store_rows(engine, "r1", 50)
    assert len(set(ids)) == 50
    with engine.connect() as conn:
        rows = conn.execute(select(raw_rows.c.id, raw_rows.c.source_row, raw_rows.c.payload)
                            .order_by(raw_rows.c.id)).all()
    # ids come back in the order the rows were given, so lineage maps row -> id correctly
    assert [r.source_row for r in rows] == list(range(1, 51))
    assert [r.id for r in rows] == ids
    assert rows[7].payload == {"Email": "p7@example.com", "Name": "Ünïcødé 名前"}


def test_ledger_adds_up_only_when_every_row_has_one_outcome(warehouse_url: str) -> None:
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    ledger.start_run(engine, "r1")
    ledger.start_run(engine, "r1")  # a retried first task
    ids = _store_rows(engine, "r1", 4)
    ledger.record_quarantine(engine, "r1", [QuarantinedRow(ids[0], "s", "f.csv", 1, "ingest.parse", "bad row")])
    ledger.record_outcomes(engine, "r1", [Outcome(ids[1], "pushed", "created"), Outcome(ids[2], "merged", "dup")])
    counts = ledger.outcome_counts(engine, "r1")
    with pytest.raises(LedgerMismatch, match="4 rows in, 3 outcomes"):
        ledger.check_adds_up(counts)
    ledger.record_outcomes(engine, "r1", [Outcome(ids[3], "disqualified", "score 10 below 40")])
    # re-recording a row (a retried task) replaces, never double counts
    ledger.record_outcomes(engine, "r1", [Outcome(ids[1], "pushed", "created")])
    counts = ledger.outcome_counts(engine, "r1")
    ledger.check_adds_up(counts)
    assert counts["s"] == {"raw_rows": 4, "released": 0, "already_ingested": 0, "pushed": 1, "merged": 1, "suppressed": 0, "disqualified": 1,
                           "quarantined": 1}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(outcomes)).scalar() == 4


def test_unknown_outcome_is_refused(warehouse_url: str) -> None:
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    ids = _store_rows(engine, "r1", 1)
    with pytest.raises(ValueError, match="unknown outcome"):
        ledger.record_outcomes(engine, "r1", [Outcome(ids[0], "lost", "?")])


def test_the_row_hash_migration_hashes_rows_stored_before_it(warehouse_url: str) -> None:
    """A warehouse upgraded from the baseline skips the old rows of a grown file from the first run on."""
    _migrate_to(warehouse_url, "0001_baseline")
    engine = engine_for(warehouse_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO raw_rows (run_id, source, source_file, source_row, payload, ingested_at) "
                          "VALUES ('r0', 's', 'f.csv', 1, :p, CURRENT_TIMESTAMP), "
                          "('r0', 's', 'f.csv', 2, :e, CURRENT_TIMESTAMP)"),
                     {"p": '{"Name": "Ünïcødé 名前", "Email": "p@example.com"}',
                      "e": '{"erased": "2026-01-01", "reason": "erased on request (GDPR Art. 17)"}'})
    migrate(warehouse_url)
    with engine.connect() as conn:
        hashes = conn.execute(select(raw_rows.c.row_hash).order_by(raw_rows.c.source_row)).scalars().all()
    assert hashes == [row_hash({"Email": "p@example.com", "Name": "Ünïcødé 名前"}), None]


_RECORDINGS = st.lists(st.lists(st.tuples(st.integers(0, 11), st.sampled_from(["merged", "pushed"]),
                                          st.text("ab \t\n'\\é", max_size=6), st.none() | st.sampled_from(["p1", "p2"])),
                                max_size=8, unique_by=lambda t: t[0]), min_size=1, max_size=4)


def test_outcomes_written_as_columns_store_what_record_outcomes_stores(warehouse_url: str) -> None:
    """The dedupe stage's column path (ledger.write_outcome_columns, one outcome per call, in the caller's
    transaction) against record_outcomes, over random sequences of recordings where rows are recorded again
    (a retried task: the last recording wins) and other runs' outcomes must stay as they are."""
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    ledger.start_run(engine, "other")
    ids = _store_rows(engine, "other", 12)
    ledger.record_outcomes(engine, "other", [Outcome(i, "suppressed", "kept") for i in ids])
    runs_done = iter(range(10_000))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_RECORDINGS)
    def check(recordings: list[list[tuple[int, str, str, str | None]]]) -> None:
        n = next(runs_done)
        ref, new = f"ref-{n}", f"new-{n}"
        for recording in recordings:
            ledger.record_outcomes(engine, ref, [Outcome(ids[i], o, r, p) for i, o, r, p in recording])
            for outcome in ("merged", "pushed"):
                chosen = {ids[i]: (r, p) for i, o, r, p in recording if o == outcome}
                with engine.begin() as conn:
                    ledger.write_outcome_columns(conn, new, ledger.OutcomeColumns(
                        outcome, list(chosen), [r for r, _ in chosen.values()], [p for _, p in chosen.values()]))
        with engine.connect() as conn:
            def stored(run_id: str) -> list:
                return conn.execute(select(outcomes.c.raw_row_id, outcomes.c.outcome, outcomes.c.reason,
                                           outcomes.c.person_id).where(outcomes.c.run_id == run_id)
                                    .order_by(outcomes.c.raw_row_id)).all()
            assert stored(new) == stored(ref)
            assert stored("other") == [(i, "suppressed", "kept", None) for i in ids]

    check()
    with engine.begin() as conn, pytest.raises(ValueError, match="unknown outcome"):
        ledger.write_outcome_columns(conn, "r", ledger.OutcomeColumns("lost", [ids[0]], ["?"], [None]))


def test_a_new_sqlite_warehouse_gets_16k_pages_and_an_old_one_keeps_its_own(tmp_path):
    """New files are made with SQLITE_PAGE_SIZE (the bulk loads go faster); a warehouse made with SQLite's
    default 4 KiB pages is opened, migrated and written as it is, never half-converted."""
    import sqlite3

    from leadpipe.store.warehouse import SQLITE_PAGE_SIZE, engine_for, migrate

    assert SQLITE_PAGE_SIZE == 16384
    new_url = f"sqlite:///{tmp_path}/new.db"
    migrate(new_url)
    old_file = tmp_path / "old.db"
    raw = sqlite3.connect(old_file)
    raw.execute("PRAGMA page_size=4096")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE kept (x INTEGER)")
    raw.execute("INSERT INTO kept VALUES (1)")
    raw.commit()
    raw.close()
    old_url = f"sqlite:///{old_file}"
    migrate(old_url)
    for url, size in ((new_url, 16384), (old_url, 4096)):
        with engine_for(url).begin() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == size
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            conn.exec_driver_sql("INSERT INTO runs (run_id, started_at, status) VALUES ('r1', '2026-12-05', 'running')")
    with engine_for(old_url).connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM kept").scalar() == 1

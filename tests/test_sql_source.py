"""The SQL source against the real PostgreSQL and MariaDB servers: incremental by watermark, streamed."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlalchemy import create_engine, select, text

from connectors.sources.base import SourceState, SourceUnavailable
from connectors.sources.sql_source import SqlSource
from connectors.testkit import ConnectorCase, check_connector
from leadpipe.pipeline import stages
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, raw_rows
from tests.conftest import require_service

MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
T0 = datetime(2026, 1, 1, 9, 0, 0)


@pytest.fixture
def mariadb_url():  # noqa: ANN201
    try:
        admin = create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        require_service("MariaDB", str(exc).splitlines()[0])
    name = f"leadpipe_src_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    yield f"{MARIADB_ADMIN}{name}?charset=utf8mb4"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    admin.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def source_db(request) -> str:  # noqa: ANN001
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "mariadb_url")


def _create_contacts(url: str, rows: list[tuple]) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email VARCHAR(200), first_name VARCHAR(100),"
                          " last_name VARCHAR(100), company VARCHAR(200), updated_at TIMESTAMP NULL)"))
    _insert(url, rows)
    eng.dispose()


def _insert(url: str, rows: list[tuple]) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO contacts VALUES (:id, :email, :fn, :ln, :co, :ts)"),
                     [dict(zip(("id", "email", "fn", "ln", "co", "ts"), r, strict=True)) for r in rows])
    eng.dispose()


def _row(i: int, minutes: int) -> tuple:
    return (i, f"p{i}@acme-{i}.de", f"First{i}", f"Last{i}", "Acme GmbH", T0 + timedelta(minutes=minutes))


def _airflow_conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn_type = "postgres" if u.drivername.startswith("postgresql") else "mysql"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(
        {"conn_type": conn_type, "host": u.host, "port": u.port, "login": u.username, "schema": u.database}))


def _config(home: Path, sources: list[dict]):  # noqa: ANN202
    path = home / "leadpipe.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}))
    return load_config(path)


def test_sql_source_is_incremental_by_watermark(home: Path, source_db: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _create_contacts(source_db, [_row(1, 0), _row(2, 1), _row(3, 2)])
    _airflow_conn(monkeypatch, "crm_db", source_db)
    cfg = _config(home, [{"name": "crm", "type": "sql", "connection": "crm_db", "table": "contacts",
                          "watermark": "updated_at", "chunk_size": 100}])
    stages.start(stages.RunContext(cfg, "r1"))
    first = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r1"), "crm"))
    assert sorted(first["email"]) == ["p1@acme-1.de", "p2@acme-2.de", "p3@acme-3.de"]
    assert set(first["first_name"]) == {"First1", "First2", "First3"}  # auto-mapped from column names
    assert first["source_file"].str.startswith("contacts (updated_at <= 2026-01-01 09:02").all()

    stages.start(stages.RunContext(cfg, "r2"))
    assert stages.ingest_source(stages.RunContext(cfg, "r2"), "crm") is None  # nothing new

    _insert(source_db, [_row(4, 10), _row(5, 11)])
    eng = create_engine(source_db)
    with eng.begin() as conn:  # an edited row moves past the watermark and comes again
        conn.execute(text("UPDATE contacts SET company = 'Acme AG', updated_at = :ts WHERE id = 2"),
                     {"ts": T0 + timedelta(minutes=12)})
    eng.dispose()
    stages.start(stages.RunContext(cfg, "r3"))
    third = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r3"), "crm"))
    assert sorted(third["email"]) == ["p2@acme-2.de", "p4@acme-4.de", "p5@acme-5.de"]
    assert third.loc[third["email"] == "p2@acme-2.de", "company"].item() == "Acme AG"
    with engine_for(cfg.warehouse_url).connect() as conn:
        assert conn.execute(select(raw_rows.c.id).where(raw_rows.c.source == "crm")).all().__len__() == 6


def test_sql_query_source_and_contract_kit(source_db: str) -> None:
    _create_contacts(source_db, [_row(1, 0), _row(2, 1)])
    query = "SELECT id, email, company, updated_at FROM contacts WHERE company LIKE 'Acme%'"

    def make() -> SqlSource:
        return SqlSource("crm", source_db, query=query, watermark="updated_at", chunk_size=100)

    def add() -> None:
        _insert(source_db, [_row(3, 5)])

    check_connector(ConnectorCase(make, add_new_data=add, min_records=2))


def test_sql_without_watermark_reads_a_changed_table_once(source_db: str) -> None:
    _create_contacts(source_db, [_row(1, 0)])
    src = SqlSource("crm", source_db, table="contacts")
    [unit] = src.discover(SourceState())
    assert [r.payload["email"] for r in src.read(unit)] == ["p1@acme-1.de"]
    assert src.discover(SourceState(seen=frozenset({unit.fingerprint}))) == []
    _insert(source_db, [_row(2, 1)])
    [changed] = src.discover(SourceState(seen=frozenset({unit.fingerprint})))
    assert changed.fingerprint != unit.fingerprint


def test_a_database_that_is_down_fails_its_source_only(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadpipe.pipeline.run import run_pipeline

    monkeypatch.setenv("AIRFLOW_CONN_DOWN_DB", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": 1, "login": "postgres", "password": "s3cr3t-pw",
         "schema": "nope"}))
    cfg = _config(demo_home, [
        {"name": "vendor_apollo", "type": "file", "path": "{home}/inputs/demo/vendor_apollo*.csv",
         "preset": "apollo"},
        {"name": "crm", "type": "sql", "connection": "down_db", "table": "contacts", "watermark": "updated_at"},
    ])
    summary = run_pipeline(cfg, "run-down")
    [message] = summary["source_errors"]["crm"]
    assert message.startswith("contacts: cannot connect to the database") and "s3cr3t-pw" not in message
    assert summary["by_source"]["vendor_apollo"]["raw_rows"] > 0
    assert summary["rejected_batches"] == {}
    assert summary["funnel"]["unique_people"] > 0  # the other source went on through dedupe and qualify


def test_unknown_connection_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.sources.sql_source import url_from_connection

    monkeypatch.delenv("AIRFLOW_CONN_NOT_THERE", raising=False)
    with pytest.raises(SourceUnavailable, match="AIRFLOW_CONN_NOT_THERE"):
        url_from_connection("not_there")


def test_reading_holds_one_chunk_not_the_table(source_db: str) -> None:
    """Python allocations while streaming 60k rows stay near one chunk's worth, far below the whole result."""
    import tracemalloc

    eng = create_engine(source_db)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE wide (id INTEGER PRIMARY KEY, note VARCHAR(300), updated_at TIMESTAMP NULL)"))
        for start in range(0, 60_000, 10_000):
            conn.execute(text("INSERT INTO wide VALUES (:id, :note, :ts)"),
                         [{"id": i, "note": "x" * 250, "ts": T0 + timedelta(seconds=i)}
                          for i in range(start, start + 10_000)])
    eng.dispose()
    src = SqlSource("big", source_db, table="wide", watermark="updated_at", chunk_size=500)
    [unit] = src.discover(SourceState())
    tracemalloc.start()
    n = sum(1 for _ in src.read(unit))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 60_000
    assert peak < 5_000_000, f"peak {peak} bytes: the rows are being buffered (60k x 250 B = 15 MB of notes)"

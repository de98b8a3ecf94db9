"""Many processes migrating one fresh warehouse at once (API-server workers starting together, a CLI run next
to Airflow tasks): every one succeeds, the schema ends at head, and a failed migration leaves nothing behind.

And the form webhook migrates once, at start-up, never in a request; a warehouse that is not there yet at
start-up gives 503 (retry later) until it is, then posts are stored.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, event, inspect, text

from leadpipe.store.warehouse import engine_for, head_revision, metadata, migrate
from tests.webhook_server import (
    REPO,
    form_env,
    fresh_warehouse,
    inbox_count,
    post,
    serve_in_thread,
    webhook_on,
)

HEAD = head_revision()  # the newest migration, whichever it is


def _migrate_after(url: str, barrier: threading.Barrier | None) -> str:
    if barrier is not None:
        barrier.wait()
    try:
        migrate(url)
    except Exception as exc:  # noqa: BLE001 - the test reports every failure, whatever its type
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return "ok"


def _at_head(url: str) -> None:
    """Every table of the schema is there and the warehouse is stamped at the newest revision."""
    engine = engine_for(url)
    with engine.connect() as conn:
        assert set(metadata.tables) <= set(inspect(conn).get_table_names())
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    migrate(url)  # and a later run still works


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    pg = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    with fresh_warehouse(request.param, tmp_path, pg) as url:
        yield url


def test_threads_migrating_a_fresh_warehouse_at_once_all_succeed(fresh_url: str) -> None:
    barrier = threading.Barrier(8)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_migrate_after(fresh_url, barrier)), daemon=True)
               for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert results == ["ok"] * 8, results  # (an unfinished thread is a hang: two migrations waiting on each other)
    _at_head(fresh_url)


def test_processes_migrating_a_fresh_warehouse_at_once_all_succeed(fresh_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    child = ("import pathlib, sys, time\n"
             "from leadpipe.store.warehouse import migrate\n"
             "pathlib.Path(sys.argv[3]).touch()\n"
             "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.005)\n"
             "migrate(sys.argv[1])\n")
    procs = [subprocess.Popen([sys.executable, "-c", child, fresh_url, str(go), str(tmp_path / f"ready{i}")],
                              cwd=REPO, stderr=subprocess.PIPE, text=True) for i in range(4)]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{i}").exists() for i in range(4)):  # all at the start line
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.02)
    go.touch()
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, "\n".join(e[-1500:] for e in errors)
    _at_head(fresh_url)


def test_a_migration_that_fails_half_way_leaves_sqlite_untouched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = engine_for(url)

    def crash(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("CREATE TABLE PEOPLE"):
            raise OSError("disk full (simulated)")

    event.listen(engine, "before_cursor_execute", crash)
    try:
        with pytest.raises(Exception, match="disk full"):
            migrate(url)
    finally:
        event.remove(engine, "before_cursor_execute", crash)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []  # all or nothing: the next run starts clean
    migrate(url)
    _at_head(url)


def test_the_webhook_migrates_at_start_up_and_never_in_a_request(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import leadpipe.airflow_app.forms_webhook as webhook

    calls: list[str] = []
    real = webhook.migrate
    monkeypatch.setattr(webhook, "migrate", lambda url: (calls.append(url), real(url))[1])
    with webhook_on("sqlite", tmp_path) as (base, url):
        assert len(calls) == 1
        with engine_for(url).connect() as conn:  # before any post: the schema is there
            assert "form_inbox" in inspect(conn).get_table_names()
        for i in range(10):
            assert post(base, b'{"email": "p%d@acme.de"}' % i).status_code == 201
        assert len(calls) == 1
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}


def test_a_warehouse_missing_at_start_up_gets_503_then_posts_are_stored(pg_server: str, tmp_path: Path) -> None:
    name = f"leadpipe_late_{uuid.uuid4().hex[:10]}"
    url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with pytest.MonkeyPatch.context() as mp:
            for k, v in form_env(url).items():
                mp.setenv(k, v)
            with serve_in_thread() as base:  # the server starts although the database does not exist
                early = post(base, b'{"email": "early@acme.de"}')
                assert early.status_code == 503 and int(early.headers["Retry-After"]) > 0
                assert httpx.get(f"{base}/health").status_code == 503
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                for _ in range(100):
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                    threading.Event().wait(0.2)
                assert post(base, b'{"email": "early@acme.de"}').status_code == 201  # the sender's retry
                assert inbox_count(url) == 1
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

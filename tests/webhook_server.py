"""Running the form webhook for real in tests: uvicorn in a thread (one process) or a subprocess (workers).

Shared by tests/test_forms_webhook*.py and tests/hostile/test_webhook_*.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select

from leadpipe.airflow_app.forms_webhook import SIGNATURE_HEADER, sign
from leadpipe.store.warehouse import engine_for, form_inbox

REPO = Path(__file__).resolve().parents[1]
SECRET = "form-secret-for-tests"
FORM = "contact"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def form_env(url: str, forms: tuple[str, ...] = (FORM,), **settings: str) -> dict[str, str]:
    """The environment the webhook reads: warehouse, one secret per form, and LEADPIPE_FORM_* settings."""
    env = {"LEADPIPE_WAREHOUSE_URL": url, "LEADPIPE_TOMBSTONE_KEY": "tombstone-key-for-webhook-tests"}
    for form in forms:
        env[f"AIRFLOW_CONN_LEADPIPE_FORM_{form.upper()}"] = json.dumps({"conn_type": "generic", "password": SECRET})
    env.update({f"LEADPIPE_FORM_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def serve_in_thread() -> Iterator[str]:
    """A fresh app under uvicorn in this process (its lifespan runs: settings read, warehouse migrated)."""
    import uvicorn

    from leadpipe.airflow_app.forms_webhook import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(600):
        if srv.started:
            break
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@contextmanager
def serve_workers(env: dict[str, str], workers: int, log_path: Path) -> Iterator[str]:
    """The module-level app as Airflow's API server loads it, under uvicorn with several worker processes."""
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "leadpipe.airflow_app.forms_webhook:app",
                                 "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                                 "--log-level", "warning"], env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while True:  # listening: the first worker's lifespan has finished
                assert proc.poll() is None, log_path.read_text()[-3000:]
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "webhook workers did not start:\n" + log_path.read_text()
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def post(base: str, body: bytes, secret: str | None = SECRET, form: str = FORM,
         content_type: str | None = "application/json", client: httpx.Client | None = None) -> httpx.Response:
    """One post as a form vendor sends it: raw body, signed with the form's secret (None: unsigned)."""
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret.encode(), body)
    send = client.post if client is not None else httpx.post
    return send(f"{base}/forms/{form}", content=body, headers=headers, timeout=120)


def inbox_count(url: str) -> int:
    with engine_for(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(form_inbox)).scalar_one()


def inbox_payloads(url: str) -> list[dict]:
    with engine_for(url).connect() as conn:
        return [dict(p) for p in conn.execute(select(form_inbox.c.payload).order_by(form_inbox.c.id)).scalars()]


MARIADB_ADMIN = os.environ.get("LEADPIPE_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/")


@contextmanager
def fresh_warehouse(backend: str, tmp: Path, pg_admin_url: str | None = None) -> Iterator[str]:
    """A warehouse URL nobody has used: a new SQLite file, or a new PostgreSQL / MariaDB database dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'warehouse.db'}"
        return
    import uuid

    from sqlalchemy import create_engine, text

    name = f"leadpipe_webhook_{uuid.uuid4().hex[:10]}"
    if backend == "mariadb":
        from tests.conftest import require_service

        admin = create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name}"))
        except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
            require_service("MariaDB", str(exc).splitlines()[0])
        url, drop = f"{MARIADB_ADMIN}{name}?charset=utf8mb4", f"DROP DATABASE IF EXISTS {name}"
    else:
        assert pg_admin_url, "pass the pg_server fixture's URL"
        admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url, drop = pg_admin_url.rsplit("/", 1)[0] + f"/{name}", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(drop))
        admin.dispose()


@contextmanager
def webhook_on(backend: str, tmp: Path, pg_admin_url: str | None = None, forms: tuple[str, ...] = (FORM,),
               **settings: str) -> Iterator[tuple[str, str]]:
    """(base URL, warehouse URL): the webhook in a thread, on a fresh warehouse, with LEADPIPE_FORM_* settings."""
    import pytest

    with fresh_warehouse(backend, tmp, pg_admin_url) as url, pytest.MonkeyPatch.context() as mp:
        for k, v in form_env(url, forms, **settings).items():
            mp.setenv(k, v)
        with serve_in_thread() as base:
            yield base, url

"""Shared fixtures: isolated leadpipe homes, real database servers, and an Airflow metadata DB.

A test that needs a local service skips when it is absent on a developer's machine, but under CI
(CI=true) a missing service is a failure: CI must never go green by skipping the real-database tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Airflow reads its home at import time: give the test session its own, away from the developer's.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="leadpipe-airflow-"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

PG_ADMIN_URL = os.environ.get("LEADPIPE_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def require_service(name: str, problem: str | None) -> None:
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required under CI but is not usable: {problem}")
    pytest.skip(f"{name} not available: {problem}")


@pytest.fixture(scope="session")
def pg_server() -> str:
    from sqlalchemy import create_engine, text

    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        require_service("PostgreSQL", str(exc).splitlines()[0])
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str):  # noqa: ANN201
    """A fresh PostgreSQL database per test, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"leadpipe_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from leadpipe.store.warehouse import engine_for

    engine_for(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path: Path) -> str:  # noqa: ANN001
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty LEADPIPE_HOME with the SQLite warehouse inside it."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("LEADPIPE_HOME", str(h))
    monkeypatch.delenv("LEADPIPE_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("LEADPIPE_CONFIG", raising=False)
    return h


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo files, generated once per session; tests copy them into their own home."""
    from leadpipe.demo.do_not_contact import write_demo_do_not_contact
    from leadpipe.demo.generator import generate

    out = tmp_path_factory.mktemp("demo")
    files = generate(out, people=400, seed=7)
    write_demo_do_not_contact(Path(files.zoominfo), out / "do_not_contact.csv")
    return out


@pytest.fixture
def demo_home(home: Path, demo_inputs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.homes import demo_home_at

    return demo_home_at(home, demo_inputs, monkeypatch)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata DB (SQLite in the session's AIRFLOW_HOME), migrated once."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True,
                   env={**os.environ})
    # the CRM pools the push and rebuild write tasks queue in (leadpipe.airflow_app.pools)
    subprocess.run([sys.executable, "-m", "leadpipe.airflow_app.pools"], check=True, capture_output=True,
                   env={**os.environ})

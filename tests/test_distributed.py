"""The production topology, natively: Airflow on CeleryExecutor with PostgreSQL and Redis, two workers.

The test starts everything itself (scheduler, dag-processor, triggerer, api-server on a free port, two
`airflow celery worker` processes), each in its own process group, and stops exactly those groups by PID,
also when the test fails. The metadata DB and the warehouse are fresh PostgreSQL databases; the Celery
queue has a name of its own, so workers of other runs on the same Redis never pick up these tasks.

What must hold: `leads_nightly`, triggered over REST, ends with the same prospects and the same outcome for
every raw row (same person, same reason) as the embedded in-process run on a copy of the same inputs.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text

from leadpipe.store.warehouse import outcomes, prospects, raw_rows

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("LEADPIPE_TEST_REDIS", "redis://127.0.0.1:6379/0")
DAG_ID = "leads_nightly"
METADATA_DB = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
STARTUP_TIMEOUT = 150  # api-server answering and the DAG parsed, on a busy 2-core machine
RUN_TIMEOUT = 600  # the DAG run on the demo inputs; each task is a fresh process (~15-30 s here under load)
PROSPECT_COLUMNS = [c.name for c in prospects.columns if c.name not in ("run_id", "updated_at")]

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(STARTUP_TIMEOUT + RUN_TIMEOUT + 240)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_server() -> str:
    import redis

    from tests.conftest import require_service

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        require_service("Redis", str(exc).splitlines()[0])
    return REDIS_URL


@dataclass
class Cluster:
    """The processes this test started; stop() ends exactly these, by PID (each leads its own group)."""

    home: Path
    env: dict[str, str]
    api: str
    queue: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None, without: tuple[str, ...] = ()) -> None:
        """Start one Airflow process with the cluster's environment, plus `env`, minus the keys in `without`."""
        log = (self.home / "logs" / f"{name}.log").open("wb")
        environ = {k: v for k, v in {**self.env, **(env or {})}.items() if k not in without}
        self.procs[name] = subprocess.Popen([str(BIN / "airflow"), *args], env=environ,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True, cwd=self.home)

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"Airflow processes exited early: {dead}\n{self.log_tails(list(dead))}")

    def log_tails(self, names: list[str] | None = None, lines: int = 30) -> str:
        out = []
        for name in names or list(self.procs):
            path = self.home / "logs" / f"{name}.log"
            tail = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            out.append(f"--- {name} ---\n" + "\n".join(tail))
        return "\n".join(out)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 40
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):  # stragglers in the group, e.g. forked task runners
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)


def _fresh_database(admin_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(pg_server: str, redis_server: str, demo_inputs: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from cryptography.fernet import Fernet

    home = tmp_path_factory.mktemp("celery-cluster")
    (home / "logs").mkdir()
    shutil.copytree(demo_inputs, home / "leadpipe" / "inputs" / "demo")
    base = pg_server.rsplit("/", 1)[0]
    meta_db = _fresh_database(pg_server, "leadpipe_af")
    warehouse_db = _fresh_database(pg_server, "leadpipe_wh")
    results_db = _fresh_database(pg_server, "leadpipe_cr")  # the Celery result store, apart as in the compose file
    port = _free_port()
    queue = f"leadpipe_test_{uuid.uuid4().hex[:8]}"
    meta_url = f"{base}/{meta_db}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LEADPIPE_"))},
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # local only: REST without a login
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),  # one secret for every process
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
        "AIRFLOW__CELERY__BROKER_URL": redis_server,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+postgresql://" + f"{base}/{results_db}".split("://", 1)[1],
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "leadpipe.airflow_app.celery_config.CELERY_CONFIG",  # as docker-compose.yml
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the run the test triggers; no nightly run on unpause
        "LEADPIPE_HOME": str(home / "leadpipe"),
        "LEADPIPE_WAREHOUSE_URL": f"{base}/{warehouse_db}",
    }
    c = Cluster(home=home, env=env, api=f"http://127.0.0.1:{port}", queue=queue)
    try:
        migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True,
                                 text=True, timeout=240, stdin=subprocess.DEVNULL, check=False)
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        # Each process gets only the credentials docker-compose.yml gives it (tests/test_compose.py USES):
        # workers never the metadata DB, the scheduler and the rest never the warehouse.
        celery = ("AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND")
        c.start("api-server", "api-server", without=celery)
        c.start("scheduler", "scheduler", without=("LEADPIPE_WAREHOUSE_URL",))
        c.start("dag-processor", "dag-processor", without=("LEADPIPE_WAREHOUSE_URL", *celery))
        c.start("triggerer", "triggerer", without=("LEADPIPE_WAREHOUSE_URL", *celery))
        for n in (1, 2):
            c.start(f"worker-{n}", "celery", "worker", "--queues", queue, "--concurrency", "2",
                    "--celery-hostname", f"leadpipe-w{n}-{queue}@%h",
                    env={"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port())},
                    without=(METADATA_DB,))
        yield c
    finally:
        c.stop()
        _purge_queue(redis_server, queue)
        _drop_database(pg_server, meta_db)
        _drop_database(pg_server, warehouse_db)
        _drop_database(pg_server, results_db)


def _purge_queue(redis_url: str, queue: str) -> None:
    """Remove only this test's Celery keys from Redis."""
    import redis

    with contextlib.suppress(Exception):
        r = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        keys = [k for k in r.scan_iter(match=f"*{queue}*")]
        if keys:
            r.delete(*keys)


def _wait_for(what: str, probe, timeout: float, cluster: Cluster):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        cluster.check_alive()
        try:
            result = probe()
            if result:
                return result
        except requests.RequestException as exc:
            last = exc
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} ({last})\n{cluster.log_tails()}")


def _trigger_and_wait(cluster: Cluster) -> dict:
    api = cluster.api + "/api/v2"
    _wait_for("the API", lambda: requests.get(f"{api}/version", timeout=5).ok, STARTUP_TIMEOUT, cluster)
    _wait_for("leads_nightly to be parsed", lambda: requests.get(f"{api}/dags/{DAG_ID}", timeout=5).ok,
              STARTUP_TIMEOUT, cluster)
    r = requests.patch(f"{api}/dags/{DAG_ID}", json={"is_paused": False}, timeout=10)
    assert r.ok, r.text
    r = requests.post(f"{api}/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {}}, timeout=10)
    assert r.ok, r.text
    run_id = r.json()["dag_run_id"]

    def finished() -> dict | None:
        run = requests.get(f"{api}/dags/{DAG_ID}/dagRuns/{run_id}", timeout=10).json()
        return run if run["state"] in ("success", "failed") else None

    run = _wait_for(f"run {run_id} to finish", finished, RUN_TIMEOUT, cluster)
    runs = requests.get(f"{api}/dags/{DAG_ID}/dagRuns", timeout=10).json()["dag_runs"]
    assert [r["dag_run_id"] for r in runs] == [run_id], "another run of the DAG touched the warehouse"
    tis = requests.get(f"{api}/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 100},
                       timeout=10).json()["task_instances"]
    return {"run": run, "task_instances": tis}


def _results(url: str) -> tuple[dict[str, tuple], dict[tuple, tuple]]:
    """Prospects by person id, and each raw row's (outcome, person, reason) keyed by file and row."""
    engine = create_engine(url)
    with engine.connect() as conn:
        people = {r.person_id: tuple(r) for r in conn.execute(
            select(*[prospects.c[n] for n in PROSPECT_COLUMNS]))}
        rows = {(r.source, r.source_file, r.source_row): (r.outcome, r.person_id, r.reason) for r in conn.execute(
            select(raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row, outcomes.c.outcome,
                   outcomes.c.person_id, outcomes.c.reason)
            .join(outcomes, outcomes.c.raw_row_id == raw_rows.c.id))}
    engine.dispose()
    return people, rows


def _comparable(reason: str) -> str:
    """CRM ids are minted by the sink per push; everything else in a reason must match exactly."""
    return reason.split(" CRM as ")[0] if " CRM as " in reason else reason


@dataclass
class Runs:
    """One DAG run on the cluster and one embedded run on the same inputs, read back from both warehouses."""

    run: dict
    task_instances: list[dict]
    worker_logs: dict[str, str]
    summary: dict  # of the embedded run
    dist_people: dict[str, tuple]
    dist_rows: dict[tuple, tuple]
    emb_people: dict[str, tuple]
    emb_rows: dict[tuple, tuple]


@pytest.fixture(scope="module")
def runs(cluster: Cluster, demo_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    outcome = _trigger_and_wait(cluster)
    states = {(t["task_id"], t.get("map_index")): t["state"] for t in outcome["task_instances"]}
    assert outcome["run"]["state"] == "success", f"{states}\n{cluster.log_tails()}"
    logs = {n: (cluster.home / "logs" / f"{n}.log").read_text(errors="replace") for n in ("worker-1", "worker-2")}

    embedded_home = tmp_path_factory.mktemp("embedded")
    shutil.copytree(demo_inputs, embedded_home / "inputs" / "demo")
    with pytest.MonkeyPatch.context() as mp:  # the embedded run: same inputs and config, in-process, SQLite
        mp.setenv("LEADPIPE_HOME", str(embedded_home))
        mp.delenv("LEADPIPE_WAREHOUSE_URL", raising=False)
        mp.delenv("LEADPIPE_CONFIG", raising=False)
        from leadpipe.pipeline.run import run_pipeline
        from leadpipe.pipeline.settings import load_config

        summary = run_pipeline(load_config(), "embedded-1")
    dist_people, dist_rows = _results(cluster.env["LEADPIPE_WAREHOUSE_URL"])
    emb_people, emb_rows = _results(f"sqlite:///{embedded_home / 'warehouse.db'}")
    return Runs(outcome["run"], outcome["task_instances"], logs, summary, dist_people, dist_rows, emb_people,
                emb_rows)


def test_the_dag_runs_on_two_celery_workers_against_postgres(runs: Runs, cluster: Cluster) -> None:
    ran = [t for t in runs.task_instances if t["state"] == "success"]
    assert ran and all(t["queue"] == cluster.queue for t in ran)  # only this test's workers consume it
    assert sum(1 for t in ran if t["task_id"].endswith("ingest")) == 3  # one mapped copy per source
    for name, log in runs.worker_logs.items():  # work spread over both workers
        assert re.search(r"Task execute_workload\[[^]]+\] succeeded", log), f"{name} ran no task"
        # each worker imported the pipeline's modules before forking its pool, so tasks inherit them
        assert re.search(r"leadpipe preload: \d{3,} modules imported", log), f"{name} did not preload"


def test_workers_run_every_task_without_the_metadata_db(runs: Runs, cluster: Cluster) -> None:
    """As in docker-compose.yml, the workers had no AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, so Airflow pointed them
    at its default, an SQLite file in AIRFLOW_HOME that nothing ever migrated: a worker opens it once at start-up
    (an empty file appears), but any read of Airflow's tables there would have failed the task."""
    assert METADATA_DB in cluster.env and runs.run["state"] == "success"
    default_db = cluster.home / "airflow" / "airflow.db"
    if default_db.exists():
        with contextlib.closing(sqlite3.connect(default_db)) as db:
            assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    with create_engine(cluster.env["AIRFLOW__CELERY__RESULT_BACKEND"].removeprefix("db+")).connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM celery_taskmeta")).scalar()
    assert stored >= len([t for t in runs.task_instances if t["state"] == "success"])  # results in their own DB


def test_every_row_is_counted_once_and_grouped_into_the_same_people(runs: Runs) -> None:
    assert len(runs.emb_rows) == runs.summary["raw_rows"] > 0
    assert sorted(runs.dist_rows) == sorted(runs.emb_rows), "the two runs did not see the same raw rows"

    def groups(rows: dict[tuple, tuple]) -> set[frozenset]:
        by_person: dict[str, set] = {}
        for key, (_, person, _) in rows.items():
            if person:
                by_person.setdefault(person, set()).add(key)
        return {frozenset(v) for v in by_person.values()}

    assert groups(runs.dist_rows) == groups(runs.emb_rows)


def test_same_prospects_and_same_outcome_per_row_as_the_embedded_run(runs: Runs) -> None:
    differ = {k: (runs.emb_rows[k], runs.dist_rows[k]) for k in runs.emb_rows
              if runs.emb_rows[k][:2] != runs.dist_rows[k][:2]
              or _comparable(runs.emb_rows[k][2]) != _comparable(runs.dist_rows[k][2])}
    assert not differ, f"{len(differ)} rows ended differently (embedded, distributed): {list(differ.items())[:5]}"
    assert len(runs.emb_people) == runs.summary["funnel"]["pushed"]
    assert runs.dist_people == runs.emb_people

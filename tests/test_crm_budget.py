"""One request budget per CRM account across processes (Redis, or the warehouse on SQLite/PostgreSQL/MariaDB).

The done-when test: two HubSpot pushes started at the same moment from two processes stay together within the
budget, counted by the HubSpot emulator over every rolling window. To keep it fast the budget is 19 requests
per rolling 1 s (the emulator's window is configurable) instead of HubSpot's 190 per 10 s: same shape, a tenth
of the time. The emulator's own limit is set far above it, so it refuses nothing and counts every request:
with per-process limiters the two pushes together send up to 38 in a second and the test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import require_service
from tests.emulators.hubspot import HubSpotEmulator

REPO = Path(__file__).resolve().parents[1]
TOKEN = "pat-na1-budget"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
REDIS_URL = os.environ.get("LEADPIPE_TEST_REDIS", "redis://127.0.0.1:6379/0")
BUDGET, WINDOW = 19, 1.0  # as in tests/budget_push.py


@pytest.fixture
def mariadb_url():  # noqa: ANN201
    try:
        admin = create_engine(MARIADB_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        require_service("MariaDB", str(exc).splitlines()[0])
    name = f"leadpipe_budget_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    yield f"{MARIADB_ADMIN}{name}?charset=utf8mb4"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    admin.dispose()


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        require_service("Redis", str(exc).splitlines()[0])
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgresql", "mariadb", "redis"])
def budget_store(request, tmp_path: Path) -> tuple[str, str]:  # noqa: ANN001
    """(warehouse url, redis url or '-'): where the shared window lives."""
    from leadpipe.store.warehouse import migrate

    url = {"sqlite": lambda: f"sqlite:///{tmp_path / 'w.db'}", "postgresql": lambda: request.getfixturevalue("pg_url"),
           "mariadb": lambda: request.getfixturevalue("mariadb_url"),
           "redis": lambda: f"sqlite:///{tmp_path / 'w.db'}"}[request.param]()
    migrate(url)
    return url, (request.getfixturevalue("redis_url") if request.param == "redis" else "-")


@pytest.fixture
def emu():
    e = HubSpotEmulator(token=TOKEN, burst=100_000, window=WINDOW).start()  # counts, never refuses
    yield e
    e.stop()


def _prepare_properties(emu: HubSpotEmulator) -> None:
    """Create the lp_* properties once, so both pushes send only upserts and associations."""
    from connectors.sinks.hubspot.settings import HubSpotSettings
    from connectors.sinks.hubspot.sink import HubSpotSink
    from connectors.sinks.settings import SinkSettings

    HubSpotSink(HubSpotSettings(host=emu.url), TOKEN, SinkSettings().mapping_for("hubspot")).ensure_properties()
    emu.accepted_times.clear()


def test_two_processes_share_one_budget(emu: HubSpotEmulator, budget_store: tuple[str, str]) -> None:
    _prepare_properties(emu)
    warehouse, redis = budget_store
    start_at = time.time() + 6.0  # both import and build their sinks first, then start sending together
    procs = [subprocess.Popen([sys.executable, "-m", "tests.budget_push", emu.url, TOKEN, warehouse, redis,
                               str(first), "100", str(start_at)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for first in (0, 1000)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert len(emu.contact_emails()) == 200
    sent = len(emu.accepted_times)
    assert sent >= 2 * BUDGET + 1  # enough requests that the budget had to hold them back
    assert emu.max_in_any_window() <= BUDGET, (emu.max_in_any_window(), outs)
    # and the budget was used, not merely obeyed by sending slowly: the two finished in a few windows
    assert emu.accepted_times[-1] - emu.accepted_times[0] < (sent / BUDGET + 3) * WINDOW


def test_a_pause_after_a_429_holds_every_process(budget_store: tuple[str, str]) -> None:
    from leadpipe.store.request_budget import shared_limiter_factory

    warehouse, redis = budget_store
    factory = shared_limiter_factory(warehouse, "" if redis == "-" else redis)
    key = f"hubspot:pause-{uuid.uuid4().hex[:6]}"
    a, b = factory(key, 5, 1.0), factory(key, 5, 1.0)  # two processes' limiters on one budget
    a.pause(0.6)
    t0 = time.monotonic()
    with b.slot():
        pass
    assert time.monotonic() - t0 >= 0.5


def test_threads_on_one_budget_never_exceed_it(budget_store: tuple[str, str]) -> None:
    """Many callers at once (as pool threads and processes are): no window ever holds more than the budget."""
    from leadpipe.store.request_budget import shared_limiter_factory

    warehouse, redis = budget_store
    factory = shared_limiter_factory(warehouse, "" if redis == "-" else redis)
    key = f"hubspot:threads-{uuid.uuid4().hex[:6]}"
    times: list[tuple[float, float]] = []  # (sent, answered) per request
    lock = threading.Lock()

    def caller() -> None:
        limiter = factory(key, 4, 0.5)
        for _ in range(4):
            with limiter.slot():
                start = time.time()
                time.sleep(0.01)
            with lock:
                times.append((start, time.time()))

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(times) == 16
    # as the emulator counts: requests started inside any rolling window (a slot's window starts when its
    # answer arrives, after its start, so this can never exceed the budget when the limiter holds)
    starts = sorted(s for s, _ in times)
    most = max(sum(1 for s2 in starts if s - 0.5 < s2 <= s) for s in starts)
    assert most <= 4
    assert starts[-1] - starts[0] >= 0.5 * (16 / 4 - 1) - 0.05  # 16 requests need at least 3 further windows


def test_the_push_stage_hands_crm_sinks_the_shared_budget(emu: HubSpotEmulator, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The nightly push and rebuilds build sinks through make_sink: their requests land in the warehouse window."""
    from sqlalchemy import select

    from connectors.sinks.base import plan_pushes
    from connectors.sinks.settings import SinkSettings
    from leadpipe.pipeline.push import make_sink
    from leadpipe.store.warehouse import crm_requests, engine_for, migrate

    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", TOKEN)
    settings = SinkSettings.model_validate({"type": "hubspot", "hubspot": {"host": emu.url}})
    sink = make_sink(settings, engine_for(url), tmp_path)
    results = sink.write(plan_pushes([{"person_id": "p1", "email": "a@b.example", "score": 50}], {}), "r1")
    assert [r.outcome for r in results] == ["confirmed"]
    with engine_for(url).connect() as conn:
        keys = conn.execute(select(crm_requests.c.budget_key, crm_requests.c.answered_us)).all()
    assert {k for k, _ in keys} == {f"hubspot:hubspot_default@{emu.url}"}
    assert len(keys) == len(emu.accepted_times) and all(a is not None for _, a in keys)  # every request, answered

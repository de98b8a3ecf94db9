"""One retry policy (leadpipe/core/retry.py) for the HubSpot sink and the web fetcher, and nobody else's loop.

Against real local servers: the HubSpot emulator (official hubspot-api-client on the wire) and the many-sites
HTTP server of the web tests. Plus a source scan: no module in connectors/ or enrichment/ sleeps inside a loop
of its own, except the few that pace or poll on purpose (named below, each with the reason).
"""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest

from connectors.sinks.base import SinkError
from connectors.sinks.hubspot.settings import HubSpotSettings
from connectors.sinks.hubspot.sink import HubSpotSink
from connectors.sinks.settings import SinkSettings
from enrichment.web.safety import SafetyPolicy
from enrichment.web.settings import WebEnrichmentConfig
from enrichment.web.site import SiteEnricher
from leadpipe.core.retry import GIVE_UP, RetryPolicy, classify_status
from leadpipe.pipeline.push import run_push
from leadpipe.store.warehouse import engine_for, migrate
from tests.emulators.httpbase import Fault
from tests.emulators.hubspot import HubSpotEmulator
from tests.test_sink_hubspot import TOKEN, prospects
from tests.web_sites import Route, SiteServer

REPO = Path(__file__).resolve().parents[1]
UPSERT = r"contacts/batch/upsert"
RATE_LIMITED = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}


@pytest.fixture
def emu():
    e = HubSpotEmulator(token=TOKEN).start()
    yield e
    e.stop()


@pytest.fixture
def engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    return engine_for(url)


def hubspot(emu: HubSpotEmulator, sleep, **kw: object) -> HubSpotSink:
    settings = HubSpotSettings(host=emu.url, **{"concurrency": 1, "match_existing": False,
                                                "associate_companies": False, **kw})
    return HubSpotSink(settings, TOKEN, SinkSettings().mapping_for("hubspot"), window=10.0, sleep=sleep)


def upsert_statuses(emu: HubSpotEmulator) -> list:
    return [e.get("status", 200) for e in emu.log if e["path"].endswith("/contacts/batch/upsert")]


# ---------------------------------------------------------------- HubSpot sink


def test_hubspot_429_with_retry_after_is_waited_out_then_the_push_finishes(emu, engine) -> None:
    emu.inject(Fault(UPSERT, 429, RATE_LIMITED, headers={"Retry-After": "1"}, skip=1, times=1))
    records, primary = prospects(engine, 300)
    sink = hubspot(emu, time.sleep)
    counts = run_push(engine, "r1", sink, records, primary)
    assert counts["confirmed"] == 300 and len(emu.objects["contacts"]) == 300
    assert sink.stats.rate_limited == 1 and upsert_statuses(emu) == [200, 429, 200, 200]
    upserts = [e["t"] for e in emu.log if e["path"].endswith("/contacts/batch/upsert")]
    assert upserts[2] - upserts[1] >= 0.95  # the refused batch went again after HubSpot's Retry-After


def test_hubspot_429_pauses_the_other_threads_too(emu) -> None:
    # thread A is answered 429 (Retry-After: 1); thread B calls 0.1 s later and must wait for the same second
    emu.inject(Fault(r"/crm/v3/properties/contacts", 429, RATE_LIMITED, headers={"Retry-After": "1"}, times=1))
    sink = hubspot(emu, time.sleep, concurrency=2)
    first = threading.Thread(target=sink.check)
    first.start()
    while not any(e.get("status") == 429 for e in emu.log):
        time.sleep(0.01)
    limited_at = next(e["t"] for e in emu.log if e.get("status") == 429)
    time.sleep(0.1)
    sink.check()
    first.join(5)
    after = sorted(e["t"] - limited_at for e in emu.log if e["t"] > limited_at)
    assert len(after) == 2 and after[0] >= 0.95  # nobody sent during the pause HubSpot asked for


def test_hubspot_503_is_retried_with_backoff_and_retry_after_then_finishes(emu, engine) -> None:
    emu.inject(Fault(UPSERT, 503, {"status": "error", "message": "unavailable"}, times=1))
    emu.inject(Fault(UPSERT, 503, {"status": "error", "message": "unavailable"}, headers={"Retry-After": "3"},
                     times=1))
    waits: list[float] = []
    sink = hubspot(emu, waits.append)
    records, primary = prospects(engine, 150)
    counts = run_push(engine, "r1", sink, records, primary)
    assert counts["confirmed"] == 150 and len(emu.objects["contacts"]) == 150
    assert upsert_statuses(emu) == [503, 503, 200, 200]
    assert 0.5 <= waits[0] <= 1.0  # first backoff: 0.5 s plus up to 0.5 s of jitter
    assert waits[1] == 3.0  # then the server's Retry-After
    assert sink.stats.transient == 2


def test_hubspot_503_that_persists_gives_up_after_max_retries(emu, engine) -> None:
    emu.inject(Fault(UPSERT, 503, {"status": "error", "message": "unavailable"}, times=None))
    waits: list[float] = []
    records, primary = prospects(engine, 50)
    with pytest.raises(SinkError, match="still failing after 3 tries"):
        run_push(engine, "r1", hubspot(emu, waits.append, max_retries=2), records, primary)
    assert upsert_statuses(emu) == [503, 503, 503] and len(waits) == 2
    assert emu.objects["contacts"] == {}


# ---------------------------------------------------------------- web fetcher


def web(server: SiteServer, **over) -> SiteEnricher:
    base = {"user_agent": "leadpipe-test/1.0 (+https://example.org/bot)", "min_delay_seconds": 0.0,
            "jitter_seconds": 0, "schemes": ["http"], "connect_timeout_seconds": 2, "read_timeout_seconds": 2,
            "page_deadline_seconds": 2, "max_retry_after_seconds": 10, "workers": 1}
    return SiteEnricher(WebEnrichmentConfig(**{**base, **over}), None,
                        SafetyPolicy(resolver=lambda host: ["127.0.0.1"], test_hosts=server.hosts(*server.sites)))


def page(title: str) -> bytes:
    return f"<!doctype html><html><head><title>{title}</title></head><body>x</body></html>".encode()


def home_tries(server: SiteServer, site: str) -> list:
    return [h for h in server.hits_for(site) if h.path == "/"]


def test_web_503_then_200_is_retried_within_the_site_budget() -> None:
    with SiteServer() as server:
        server.sites["flaky.test"] = {"/": lambda n: Route(page("x"), status=503) if n == 1 else
                                      Route(page("Flaky GmbH"))}
        result = web(server, retries=2, retry_base_seconds=0.3, site_budget_seconds=5).enrich("flaky.test")
        tries = home_tries(server, "flaky.test")
    assert result.status == "ok" and result.fields["name"] == "Flaky GmbH"
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 0.3  # backed off before the second try


def test_web_503_is_not_retried_past_the_site_budget() -> None:
    # backoff 0.5, 1, 2, 4 s (+ up to 1/4 of the base): the third wait would end past the 2 s budget
    with SiteServer() as server:
        server.sites["down.test"] = {"/": Route(page("x"), status=503)}
        started = time.monotonic()
        result = web(server, retries=5, retry_base_seconds=0.5, site_budget_seconds=2).enrich("down.test")
        seconds = time.monotonic() - started
        tries = home_tries(server, "down.test")
    assert result.status == "failed"
    assert result.reason == "http: HTTP 503, no time left to retry (site budget spent (2s))"
    assert 2 <= len(tries) < 6  # retried while there was time, then stopped instead of waiting it out
    assert tries[-1].at - tries[0].at < 2.0
    assert seconds < 2.0 + 1.0  # it did not sleep into (or past) the budget's end


# ---------------------------------------------------------------- the policy's deadline


def test_a_retry_whose_wait_would_end_past_the_deadline_is_not_started() -> None:
    class Answer:
        status, headers = 503, {}

    calls: list[float] = []
    sleeps: list[float] = []

    def call() -> Answer:
        calls.append(time.monotonic())
        return Answer()

    deadline = time.monotonic() + 0.5
    got = RetryPolicy(attempts=10, base=0.2, cap=10, jitter=0.0).run(
        call, lambda a: classify_status(a.status, a.headers) if isinstance(a, Answer) else GIVE_UP,
        sleep=lambda s: (sleeps.append(s), time.sleep(s)), deadline=deadline)
    assert got.status == 503  # the last answer is handed back unchanged
    assert sleeps == [0.2] and len(calls) == 2  # the next wait (0.4 s) would have ended past the deadline
    assert time.monotonic() < deadline


# ---------------------------------------------------------------- nobody else's sleep-and-retry loop

# Loops that wait on purpose and are not retries of a failed call; anything else that sleeps inside a loop in
# connectors/ or enrichment/ is a hand-written retry loop and belongs on the shared policy.
ALLOWED_WAIT_LOOPS = {
    ("connectors/sinks/ratelimit.py", "_acquire"): "pacing: waits for a free slot in the rolling window",
    ("connectors/sinks/salesforce/sink.py", "_bulk_job"): "polls a Bulk API job that is running, not failing",
}
SLEEPS = {"sleep", "_sleep"}


def _sleeps_in_loops(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every call to a *sleep* inside a for/while loop in `path`."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, func: str, in_loop: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, getattr(child, "name", func), False)
                continue
            if isinstance(child, ast.Call) and in_loop:
                target = child.func
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name in SLEEPS:
                    found.append((func, child.lineno))
            visit(child, func, in_loop or isinstance(child, ast.For | ast.While | ast.AsyncFor))

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>", False)
    return found


def test_no_module_writes_its_own_sleep_and_retry_loop() -> None:
    offenders, allowed_seen = [], set()
    for folder in ("connectors", "enrichment"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            for func, line in _sleeps_in_loops(path):
                if (rel, func) in ALLOWED_WAIT_LOOPS:
                    allowed_seen.add((rel, func))
                else:
                    offenders.append(f"{rel}:{line} in {func}()")
    assert offenders == [], "sleep inside a loop: use leadpipe.core.retry.RetryPolicy instead"
    assert allowed_seen == set(ALLOWED_WAIT_LOOPS), "an allowed wait loop is gone: drop it from the list"


def test_the_scan_finds_a_hand_written_retry_loop(tmp_path: Path) -> None:
    planted = tmp_path / "client.py"
    planted.write_text("import time\n\ndef get(session, url):\n    for attempt in range(3):\n"
                       "        r = session.get(url)\n        if r.status_code < 500:\n            return r\n"
                       "        time.sleep(2 ** attempt)\n", encoding="utf-8")
    assert _sleeps_in_loops(planted) == [("get", 8)]


def _imports_tenacity(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(n.split(".")[0] == "tenacity" for n in names):
            return True
    return False


def test_tenacity_is_imported_by_the_shared_policy_only() -> None:
    users = sorted(p.relative_to(REPO).as_posix() for folder in ("connectors", "enrichment", "leadpipe")
                   for p in (REPO / folder).rglob("*.py") if _imports_tenacity(p))
    assert users == ["leadpipe/core/retry.py"]

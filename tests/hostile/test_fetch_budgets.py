"""Hostile input: many slow websites at once. A time budget per site (all its pages, retries and pauses) and
per run (the whole enrich stage): a handful of hostile domains must not stall the nightly run, and every site
not reached is recorded as skipped and fetched first in the next run. Plus the Airflow task timeout above it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from enrichment.web.safety import SafetyPolicy
from enrichment.web.settings import WebEnrichmentConfig
from enrichment.web.site import SiteEnricher, SiteResult
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.dag_settings import read_dag_settings
from leadpipe.pipeline.enrich import enrich_resolved
from leadpipe.pipeline.enrich_store import fetch_order, fresh_domains, load_companies, save_results
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, migrate
from tests.web_sites import Route, SiteServer

UA = "leadpipe-test/1.0 (+https://example.org/bot)"
MARGIN = 2.0  # scheduling slack on a loaded 2-core machine; the unbounded runs take 5-10x the budget


def settings(**over) -> WebEnrichmentConfig:
    base = {"user_agent": UA, "min_delay_seconds": 0.0, "jitter_seconds": 0, "schemes": ["http"], "retries": 0,
            "connect_timeout_seconds": 5, "read_timeout_seconds": 5, "page_deadline_seconds": 1.5, "workers": 2}
    return WebEnrichmentConfig(**{**base, **over})


def html(title: str, links: tuple[str, ...] = ()) -> bytes:
    anchors = "".join(f"<a href='/{p}'>{p}</a>" for p in links)
    return f"<!doctype html><html><head><title>{title}</title></head><body>{anchors}</body></html>".encode()


def bounded(call, limit: float):
    """(result, seconds) of `call` run in a thread; the test fails at `limit` instead of hanging."""
    out: dict = {}
    start = time.monotonic()
    worker = threading.Thread(target=lambda: out.setdefault("value", call()), daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"still running after {limit:.1f}s: no budget enforced"
    return out["value"], time.monotonic() - start


LINKS = ("about", "contact", "team", "impressum")


def test_site_budget_bounds_all_pages_of_one_site_together():
    """Each page takes 0.6 s, within the 1.5 s page deadline; five of them do not fit a 2 s site budget."""
    with SiteServer() as server:
        server.sites["slowpages.test"] = {"/": Route(html("Slow Pages AG", LINKS), delay=0.6),
                                          **{f"/{p}": Route(html(p), delay=0.6) for p in LINKS}}
        enricher = SiteEnricher(settings(site_budget_seconds=2), None,
                                SafetyPolicy(test_hosts=server.hosts("slowpages.test")))
        result, seconds = bounded(lambda: enricher.enrich("slowpages.test"), limit=2 + 3 * MARGIN)
    assert seconds < 2 + MARGIN
    assert result.status == "ok" and result.fields["name"] == "Slow Pages AG"  # what it found is kept
    assert 1 <= len(result.pages) < 5


def test_site_budget_stops_a_retry_wait():
    with SiteServer() as server:
        server.sites["busy.test"] = {"/": Route(html("busy"), status=503, headers={"Retry-After": "4"})}
        enricher = SiteEnricher(settings(site_budget_seconds=1.5, retries=2, max_retry_after_seconds=10), None,
                                SafetyPolicy(test_hosts=server.hosts("busy.test")))
        result, seconds = bounded(lambda: enricher.enrich("busy.test"), limit=1.5 + 3 * MARGIN)
    assert seconds < 1.5 + MARGIN
    assert result.status == "failed"
    assert result.reason == "http: HTTP 503, no time left to retry (site budget spent (1.5s))"
    assert len([h for h in server.hits_for("busy.test") if h.path == "/"]) == 1


def test_site_budget_stops_a_long_crawl_delay_wait():
    with SiteServer() as server:
        server.sites["delay.test"] = {
            "/robots.txt": Route(b"User-agent: *\nCrawl-delay: 30\n", content_type="text/plain"),
            "/": Route(html("Delay Co", LINKS)), **{f"/{p}": Route(html(p)) for p in LINKS}}
        enricher = SiteEnricher(settings(site_budget_seconds=1.5), None,
                                SafetyPolicy(test_hosts=server.hosts("delay.test")))
        result, seconds = bounded(lambda: enricher.enrich("delay.test"), limit=1.5 + 3 * MARGIN)
    assert seconds < 1.5 + MARGIN
    assert [h.path for h in server.hits_for("delay.test")] == ["/robots.txt"]  # the homepage would be 30 s later
    assert (result.status, result.reason) == (
        "failed", "http: site budget spent (1.5s): waiting for the site's 30s pause between requests")


def _cfg(home: Path, **web):
    path = home / "cfg.yaml"
    base = {"enabled": True, "user_agent": UA, "min_delay_seconds": 0, "jitter_seconds": 0, "schemes": ["http"],
            "retries": 0, "read_timeout_seconds": 5, "page_deadline_seconds": 2, "site_budget_seconds": 4,
            "run_budget_seconds": 5, "workers": 4}
    path.write_text(yaml.safe_dump({"sources": [], "enrichment": {"web": {**base, **web}}}))
    return load_config(path)


def test_fifty_dribbling_sites_end_within_the_run_budget_and_the_rest_is_retried_next_run(home):
    """The issue's case: sites that dribble every response one byte per 0.5 s. Unbounded, 50 of them kept
    4 workers busy for minutes; with a 5 s run budget the stage returns in about 5 s, and every site not
    reached is recorded as skipped, then fetched first by the next run."""
    cfg = _cfg(home)
    migrate(cfg.warehouse_url)
    domains = [f"drip{i:02d}.test" for i in range(50)]
    src = home / "resolved.parquet"
    pd.DataFrame({"person_id": [f"p{i}" for i in range(50)], "domain": domains, "company": [None] * 50,
                  "industry": [None] * 50}).to_parquet(src, index=False)
    hostile = True

    def serve(host: str, path: str) -> Route:
        if hostile:
            return Route(html("drip"), dribble=0.5)
        return Route(b"User-agent: *\n", content_type="text/plain") if path == "/robots.txt" else Route(
            html(f"Company {host}"))

    with SiteServer() as server:
        server.fallback = serve
        policy = SafetyPolicy(test_hosts={d: server.port for d in domains})
        out, seconds = bounded(lambda: enrich_resolved(RunContext(cfg, "run-1"), str(src), home / "e1.parquet",
                                                       policy), limit=5 + 4 * MARGIN)
        assert seconds < 5 + MARGIN

        engine = engine_for(cfg.warehouse_url)
        rows = load_companies(engine, domains)
        assert sorted(rows) == domains  # every site has an outcome: nothing silently lost
        skipped = sorted(d for d, r in rows.items() if r["enrichment_status"] == "skipped")
        failed = sorted(d for d, r in rows.items() if r["enrichment_status"] == "failed")
        assert sorted(skipped + failed) == domains
        assert len(skipped) >= 25  # 4 workers x ~2 s per hostile site: about 10 reached in 5 s
        assert all(rows[d]["enrichment_reason"].startswith("run budget spent (5s)") for d in skipped)
        assert all("page deadline exceeded (2s)" in rows[d]["enrichment_reason"] for d in failed)
        people = pd.read_parquet(out)
        assert people["enrichment_status"].isna().sum() == 0

        # Next night the sites behave: the skipped ones are fetched (first), yesterday's failures wait a day.
        assert fresh_domains(engine, domains, freshness_days=30) == set(failed)
        assert sorted(fetch_order(engine, failed + skipped)[: len(skipped)]) == skipped
        hostile = False
        hits_before = {d: len(server.hits_for(d)) for d in failed}
        bounded(lambda: enrich_resolved(RunContext(cfg, "run-2"), str(src), home / "e2.parquet", policy),
                limit=5 + 4 * MARGIN)
        rows = load_companies(engine, domains)
        assert {rows[d]["enrichment_status"] for d in skipped} == {"ok"}
        assert {d: len(server.hits_for(d)) for d in failed} == hits_before


def test_skipped_sites_come_first_oldest_skip_first(warehouse_url):
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def result(domain: str, status: str, hours_ago: float) -> SiteResult:
        return SiteResult(domain, status, None, fetched_at=now - timedelta(hours=hours_ago))

    save_results(engine, [result("a-ok.test", "ok", 1000), result("b-skip-new.test", "skipped", 1),
                          result("c-failed.test", "failed", 100), result("d-skip-old.test", "skipped", 50)], "r1")
    order = fetch_order(engine, ["never.test", "a-ok.test", "c-failed.test", "b-skip-new.test", "d-skip-old.test"])
    assert order == ["d-skip-old.test", "b-skip-new.test", "a-ok.test", "c-failed.test", "never.test"]
    # A skipped site is never "fresh", however recent the skip.
    assert fresh_domains(engine, order, freshness_days=30, now=now) == set()


@pytest.mark.parametrize(("budget", "timeout"), [(None, timedelta(hours=2, minutes=15)),
                                                 (600, timedelta(minutes=25))])
def test_enrich_task_timeout_is_a_little_above_the_run_budget(tmp_path, monkeypatch, budget, timeout):
    from airflow.dag_processing.dagbag import DagBag  # Airflow's import is slow: only this test needs it

    config = tmp_path / "leadpipe.yaml"
    config.write_text(yaml.safe_dump({"enrichment": {"web": {"run_budget_seconds": budget}}} if budget else {}))
    monkeypatch.setenv("LEADPIPE_CONFIG", str(config))
    dags = Path(__file__).resolve().parents[2] / "dags"
    dag = DagBag(dag_folder=str(dags / "leads_nightly.py")).dags["leads_nightly"]
    task = dag.get_task("enrich")
    run_budget = timedelta(seconds=budget or WebEnrichmentConfig().run_budget_seconds)
    assert task.execution_timeout == timeout
    assert run_budget < task.execution_timeout <= run_budget + timedelta(minutes=30)


def test_invalid_run_budget_is_named_when_the_dag_is_read(tmp_path):
    config = tmp_path / "leadpipe.yaml"
    config.write_text(yaml.safe_dump({"enrichment": {"web": {"run_budget_seconds": -5}}}))
    with pytest.raises(ValueError, match=r"(?s)'enrichment.web' section is not valid.*run_budget_seconds"):
        read_dag_settings(config)

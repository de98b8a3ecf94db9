"""The enrich step: companies table, freshness, filling empty fields, never failing the run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from enrichment.web.safety import SafetyPolicy
from enrichment.web.site import SiteResult
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.enrich import enrich_resolved, fill_from_companies
from leadpipe.pipeline.enrich_store import fresh_domains, load_companies, save_results
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, migrate
from tests.web_sites import Route, SiteServer

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def vals(series) -> list:
    return [None if pd.isna(v) else v for v in series]


def _result(domain, status="ok", days_ago=0.0, **fields):
    return SiteResult(domain, status, None if status == "ok" else "HTTP 500", fields, [f"https://{domain}/"],
                      fetched_at=NOW - timedelta(days=days_ago))


def test_freshness_rule(warehouse_url):
    migrate(warehouse_url)
    engine = engine_for(warehouse_url)
    save_results(engine, [_result("recent.com", days_ago=3, name="Recent"), _result("old.com", days_ago=45),
                          _result("down-today.com", "failed", days_ago=0.2),
                          _result("down-last-week.com", "failed", days_ago=7)], "run-1")
    domains = ["recent.com", "old.com", "down-today.com", "down-last-week.com", "never.com"]
    assert fresh_domains(engine, domains, freshness_days=30, now=NOW) == {"recent.com", "down-today.com"}
    assert fresh_domains(engine, domains, freshness_days=0, now=NOW) == set()
    row = load_companies(engine, ["recent.com"])["recent.com"]
    assert (row["name"], row["enrichment_status"], row["run_id"]) == ("Recent", "ok", "run-1")
    save_results(engine, [_result("recent.com", name="Renamed")], "run-2")  # re-enrichment replaces the row
    assert load_companies(engine, ["recent.com"])["recent.com"]["name"] == "Renamed"


def test_fill_only_empty_fields_and_only_confident_industries():
    df = pd.DataFrame({"domain": ["a.com", "a.com", "b.com", "c.com", None],
                       "company": ["Given Name Ltd", None, None, None, None],
                       "industry": [None, "Retail", None, None, None]})
    known = {
        "a.com": {"enrichment_status": "ok", "name": "Alpha", "industry": "Software", "industry_confidence": 0.9},
        "b.com": {"enrichment_status": "ok", "name": "Beta", "industry": "Legal", "industry_confidence": 0.3},
        "c.com": {"enrichment_status": "failed", "name": None, "industry": None, "industry_confidence": None},
    }
    out = fill_from_companies(df, known)
    assert vals(out["company"])[:4] == ["Given Name Ltd", "Alpha", "Beta", None]
    assert vals(out["industry"])[:4] == ["Software", "Retail", None, None]
    assert vals(out["enrichment_status"])[:4] == ["ok", "ok", "ok", "failed"]


def _cfg(home: Path, **web):
    import yaml

    path = home / "cfg.yaml"
    base = {"enabled": True, "min_delay_seconds": 0.05, "jitter_seconds": 0, "schemes": ["http"], "retries": 0,
            "read_timeout_seconds": 1, "page_deadline_seconds": 2}
    path.write_text(yaml.safe_dump({"sources": [], "enrichment": {"web": {**base, **web}}}))
    return load_config(path)


def test_enrich_resolved_fetches_each_domain_once_and_survives_failures(home):
    cfg = _cfg(home)
    migrate(cfg.warehouse_url)
    people = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
                           "domain": ["acme.test", "acme.test", "down.test", None],
                           "company": [None, "ACME (from list)", None, "Solo"],
                           "industry": [None, None, None, None]})
    src = home / "resolved.parquet"
    people.to_parquet(src, index=False)
    with SiteServer() as server:
        server.sites["acme.test"] = {"/": Route(
            b"<html><head><meta property='og:site_name' content='Acme Software'>"
            b"<meta name='description' content='SaaS platform and API for developers'></head>"
            b"<body><h1>Cloud software</h1></body></html>")}
        server.sites["down.test"] = {"/": Route(b"error", status=500)}
        policy = SafetyPolicy(test_hosts=server.hosts("acme.test", "down.test"))
        out = enrich_resolved(RunContext(cfg, "run-1"), str(src), home / "enriched.parquet", policy)
        assert len([h for h in server.hits_for("acme.test") if h.path == "/"]) == 1
        n = len(server.hits)
        enrich_resolved(RunContext(cfg, "run-2"), str(src), home / "enriched2.parquet", policy)  # fresh: nothing fetched
        assert len(server.hits) == n
    df = pd.read_parquet(out)
    assert vals(df["company"]) == ["Acme Software", "ACME (from list)", None, "Solo"]
    assert vals(df["industry"]) == ["Software", "Software", None, None]
    assert vals(df["enrichment_status"]) == ["ok", "ok", "failed", None]
    companies = load_companies(engine_for(cfg.warehouse_url), ["down.test"])
    assert "HTTP 500" in companies["down.test"]["enrichment_reason"]


def test_stage_is_a_no_op_when_disabled(home):
    from leadpipe.pipeline import stages

    cfg = _cfg(home, enabled=False)
    assert stages.enrich(stages.RunContext(cfg, "run-1"), "/some/resolved.parquet") == "/some/resolved.parquet"
    assert stages.enrich(stages.RunContext(cfg, "run-1"), None) is None


def test_stage_on_unresolvable_domains_records_failures_without_raising(home):
    # Production safety policy (system resolver): on this machine every name is NXDOMAIN, in CI too.
    from leadpipe.pipeline import stages

    cfg = _cfg(home)
    stages.start(stages.RunContext(cfg, "run-1"))
    src = home / "resolved.parquet"
    pd.DataFrame({"person_id": ["p1"], "domain": ["no-such-company-zz.invalid"], "company": [None],
                  "industry": [None]}).to_parquet(src, index=False)
    out = stages.enrich(stages.RunContext(cfg, "run-1"), str(src))
    assert pd.read_parquet(out)["enrichment_status"].tolist() == ["failed"]


def test_remembered_extractions_follow_the_page_bytes(tmp_path):
    from enrichment.web.extract import extract
    from enrichment.web.memo import ExtractMemo

    page_v1 = b"<html><head><title>Home | Alpha Tools</title></head><body>info@alpha-tools.de</body></html>"
    page_v2 = page_v1.replace(b"Alpha Tools", b"Alpha Werkzeuge")
    memo = ExtractMemo(tmp_path / "memo.sqlite", ttl_days=14)
    first = memo.extract("https://alpha-tools.de/", page_v1)
    memo.close()
    again = ExtractMemo(tmp_path / "memo.sqlite", ttl_days=14)
    assert again.extract("https://alpha-tools.de/", page_v1) == first == extract("https://alpha-tools.de/", page_v1)
    assert again.extract("https://alpha-tools.de/", page_v2)["name"] == "Alpha Werkzeuge"
    assert first["name"] == "Alpha Tools"


def test_deliverability_step_adds_distinct_states(home):
    from enrichment.deliverability import make_resolver
    from tests.dns_server import DnsServer

    cfg = _cfg(home, enabled=False)
    cfg = cfg.model_copy(update={"enrichment": cfg.enrichment.model_copy(update={
        "deliverability": cfg.enrichment.deliverability.model_copy(update={"enabled": True})})})
    src = home / "resolved.parquet"
    pd.DataFrame({"person_id": ["p1", "p2", "p3"], "email": ["a@acme-gmbh.de", "b@gone-company.example", None],
                  "domain": [None, None, None]}).to_parquet(src, index=False)
    zone = {("gmail.com", "MX"): ["5 gmail-smtp-in.l.google.com."], ("acme-gmbh.de", "MX"): ["10 mx.acme-gmbh.de."]}
    with DnsServer(zone) as dns_server:
        resolver = make_resolver(timeout=0.5, nameservers=["127.0.0.1"], port=dns_server.port)
        out = enrich_resolved(RunContext(cfg, "run-1"), str(src), home / "enriched.parquet", resolver=resolver)
    df = pd.read_parquet(out)
    assert vals(df["email_deliverability"]) == ["valid", "invalid", None]


def test_enrich_site_cli_reports_status_and_reason(home):
    import json

    from click.testing import CliRunner

    from leadpipe.cli import main

    result = CliRunner().invoke(main, ["enrich-site", "127.0.0.1"])
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert (out["domain"], out["enrichment_status"]) == ("127.0.0.1", "invalid")
    # A name this machine cannot resolve: the production policy refuses it; reported, not raised.
    result = CliRunner().invoke(main, ["enrich-site", "no-such-company-zz.invalid", "--no-cache"])
    out = json.loads(result.output)
    assert result.exit_code == 1 and out["enrichment_status"] == "failed"
    assert "cannot resolve" in out["enrichment_reason"]

"""The fetcher and site enricher against a local HTTP server: real pages plus hand-made hostile ones."""

from __future__ import annotations

import gzip
import time
from itertools import pairwise
from pathlib import Path

import pytest

from enrichment.web.safety import SafetyPolicy
from enrichment.web.settings import WebEnrichmentConfig
from enrichment.web.site import SiteEnricher
from tests.web_sites import Route, SiteServer

PAGES = Path(__file__).parent / "data" / "web_pages"
UA = "leadpipe-test/1.0 (+https://example.org/bot)"


def settings(**over) -> WebEnrichmentConfig:
    base = {"user_agent": UA, "min_delay_seconds": 0.05, "jitter_seconds": 0, "schemes": ["http"], "retries": 2,
            "connect_timeout_seconds": 1, "read_timeout_seconds": 1, "page_deadline_seconds": 2,
            "max_body_bytes": 1_000_000, "max_retry_after_seconds": 5, "workers": 4}
    return WebEnrichmentConfig(**{**base, **over})


def html(body: str, head: str = "") -> bytes:
    return f"<!doctype html><html lang='en'><head>{head}</head><body>{body}</body></html>".encode()


@pytest.fixture
def server():
    with SiteServer() as s:
        yield s


def enricher(server, tmp_path, cache=True, **over) -> SiteEnricher:
    policy = SafetyPolicy(resolver=lambda host: ["127.0.0.1"], test_hosts=server.hosts(*server.sites))
    return SiteEnricher(settings(**over), tmp_path / "cache.sqlite" if cache else None, policy)


# ---------------------------------------------------------------- real pages


def test_real_company_page_served_over_http(server, tmp_path):
    server.sites["avantec.ch"] = {"/": Route((PAGES / "avantec-team.html").read_bytes())}
    result = enricher(server, tmp_path).enrich("avantec.ch")
    assert result.status == "ok", result.reason
    assert result.fields["name"] == "AVANTEC"
    assert result.fields["emails"] == ["info@avantec.ch"]
    assert result.fields["phones"] == ["+41444571313"]
    assert result.fields["language"] == "de"


def test_real_page_social_links_and_industry(server, tmp_path):
    server.sites["mozilla.org"] = {"/": Route((PAGES / "mozilla.org.firefox.developer.html").read_bytes())}
    result = enricher(server, tmp_path).enrich("mozilla.org")
    assert result.status == "ok"
    assert result.fields["name"] == "Mozilla"
    assert result.fields["social_links"]["twitter"] == "https://twitter.com/mozilla"
    assert result.fields["social_links"]["facebook"] == "https://www.facebook.com/mozilla"
    assert result.fields["industry"] == "Software"


# ---------------------------------------------------------------- politeness


def test_user_agent_sent_and_no_cookies_returned(server, tmp_path):
    server.sites["acme.test"] = {
        "/": Route(html("<a href='/contact'>Contact</a>"), headers={"Set-Cookie": "session=abc; Path=/"}),
        "/contact": Route(html("<a href='mailto:sales@acme.test'>mail</a>")),
    }
    result = enricher(server, tmp_path).enrich("acme.test")
    assert result.fields["emails"] == ["sales@acme.test"]
    hits = server.hits_for("acme.test")
    assert [h.path for h in hits] == ["/robots.txt", "/", "/contact"]
    assert {h.user_agent for h in hits} == {UA}
    assert not any("Cookie" in h.headers for h in hits)


def test_robots_disallow_and_crawl_delay_obeyed(server, tmp_path):
    robots = b"User-agent: *\nDisallow: /private\nCrawl-delay: 0.4\n"
    server.sites["polite.test"] = {
        "/robots.txt": Route(robots, content_type="text/plain"),
        "/": Route(html("<a href='/private/contact'>c</a> <a href='/about'>a</a> <a href='/impressum'>i</a>")),
        "/about": Route(html("about")),
        "/impressum": Route(html("impressum")),
    }
    result = enricher(server, tmp_path).enrich("polite.test")
    hits = server.hits_for("polite.test")
    assert "/private/contact" not in [h.path for h in hits]
    assert sorted(h.path for h in hits) == ["/", "/about", "/impressum", "/robots.txt"]
    gaps = [b.at - a.at for a, b in pairwise(hits)]
    assert min(gaps) >= 0.38, gaps  # the site's Crawl-delay beats our 0.05 s minimum
    assert result.status == "ok"


def test_robots_disallow_all_blocks_the_site(server, tmp_path):
    server.sites["private.test"] = {"/robots.txt": Route(b"User-agent: *\nDisallow: /\n", content_type="text/plain"),
                                    "/": Route(html("secret"))}
    result = enricher(server, tmp_path).enrich("private.test")
    assert result.status == "blocked"
    assert [h.path for h in server.hits_for("private.test")] == ["/robots.txt"]


@pytest.mark.parametrize(("status", "fetched"), [(404, True), (410, True), (500, False), (503, False)])
def test_robots_status_handling_rfc9309(server, tmp_path, status, fetched):
    server.sites["r.test"] = {"/robots.txt": Route(b"oops", status=status, content_type="text/plain"),
                              "/": Route(html("<title>R Company</title>"))}
    result = enricher(server, tmp_path, retries=0).enrich("r.test")
    assert ("/" in [h.path for h in server.hits_for("r.test")]) is fetched
    assert result.status == ("ok" if fetched else "blocked")


def test_minimum_delay_between_requests_to_one_site(server, tmp_path):
    server.sites["delay.test"] = {
        "/": Route(html("".join(f"<a href='/{p}'>{p}</a>" for p in ("about", "contact", "team", "impressum")))),
        **{f"/{p}": Route(html(p)) for p in ("about", "contact", "team", "impressum")},
    }
    enricher(server, tmp_path, min_delay_seconds=0.25).enrich("delay.test")
    hits = server.hits_for("delay.test")
    assert len(hits) == 6  # robots.txt, homepage, four linked pages: max_pages (5) pages in all
    assert min(b.at - a.at for a, b in pairwise(hits)) >= 0.24


def test_429_retried_after_retry_after(server, tmp_path):
    def home(count):
        if count == 1:
            return Route(html("slow down"), status=429, headers={"Retry-After": "1"})
        return Route(html("<title>Busy Corp</title>"))

    server.sites["busy.test"] = {"/": home}
    result = enricher(server, tmp_path).enrich("busy.test")
    assert result.status == "ok"
    tries = [h for h in server.hits_for("busy.test") if h.path == "/"]
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 0.95


def test_too_long_retry_after_gives_up_at_once(server, tmp_path):
    server.sites["later.test"] = {"/": Route(html("x"), status=503, headers={"Retry-After": "3600"})}
    start = time.monotonic()
    result = enricher(server, tmp_path).enrich("later.test")
    assert result.status == "failed" and "Retry-After 3600s" in result.reason
    assert len([h for h in server.hits_for("later.test") if h.path == "/"]) == 1
    assert time.monotonic() - start < 3


def test_server_errors_retried_then_recorded(server, tmp_path):
    server.sites["down.test"] = {"/": Route(html("error"), status=500)}
    result = enricher(server, tmp_path, retries=2).enrich("down.test")
    assert result.status == "failed" and "HTTP 500" in result.reason
    assert len([h for h in server.hits_for("down.test") if h.path == "/"]) == 3


def test_404_homepage_is_a_recorded_failure(server, tmp_path):
    server.sites["gone.test"] = {}
    result = enricher(server, tmp_path).enrich("gone.test")
    assert result.status == "failed" and "HTTP 404" in result.reason


# ---------------------------------------------------------------- cache


def test_second_run_served_from_cache_without_requests(server, tmp_path):
    server.sites["cache.test"] = {"/": Route(html("<title>Cache Co</title><a href='/about'>a</a>")),
                                  "/about": Route(html("about us"))}
    first = enricher(server, tmp_path).enrich("cache.test")
    n = len(server.hits)
    second = enricher(server, tmp_path).enrich("cache.test")
    assert len(server.hits) == n
    assert second.from_cache and not first.from_cache
    assert second.fields == first.fields


# ---------------------------------------------------------------- hostile


def test_redirects_followed_and_rechecked(server, tmp_path):
    server.sites["moved.test"] = {"/": Route(b"", status=301, headers={"Location": "/home"}),
                                  "/home": Route(html("<title>Moved Inc</title>"))}
    result = enricher(server, tmp_path).enrich("moved.test")
    assert result.status == "ok" and result.pages == ["http://moved.test/home"]


@pytest.mark.parametrize("location", [
    "http://127.0.0.1/", "http://127.0.0.1:{port}/", "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/", "http://localhost/", "file:///etc/passwd", "http://10.0.0.1/admin",
])
def test_redirect_to_internal_addresses_refused(server, tmp_path, location):
    server.sites["evil.test"] = {"/": Route(b"", status=302, headers={"Location": location.format(port=server.port)})}
    result = enricher(server, tmp_path).enrich("evil.test")
    assert result.status == "failed"
    assert "refused" in result.reason
    assert {h.host for h in server.hits} == {"evil.test"}  # nothing else was ever contacted


def test_redirect_loop_bounded(server, tmp_path):
    server.sites["loop.test"] = {"/": Route(b"", status=302, headers={"Location": "/a"}),
                                 "/a": Route(b"", status=302, headers={"Location": "/"})}
    result = enricher(server, tmp_path, max_redirects=5).enrich("loop.test")
    assert result.status == "failed" and "redirects" in result.reason
    assert len([h for h in server.hits_for("loop.test") if h.path != "/robots.txt"]) <= 6


def test_slow_headers_time_out(server, tmp_path):
    server.sites["slow.test"] = {"/": Route(html("late"), delay=3)}
    start = time.monotonic()
    result = enricher(server, tmp_path, retries=0).enrich("slow.test")
    assert result.status == "failed" and "timed out" in result.reason
    assert time.monotonic() - start < 2.5


def test_trickled_body_stopped_at_page_deadline(server, tmp_path):
    server.sites["drip.test"] = {"/": Route(html("x" * 100_000), trickle=0.05)}  # ~5 s for the whole body
    start = time.monotonic()
    result = enricher(server, tmp_path, page_deadline_seconds=1).enrich("drip.test")
    assert result.status == "failed" and "deadline" in result.reason
    assert time.monotonic() - start < 2.5


def test_gzip_bomb_stopped_at_the_decoded_cap(server, tmp_path):
    bomb = gzip.compress(b"<html>" + b" " * 200_000_000, compresslevel=9)  # 200 MB decoded, ~200 KB sent
    assert len(bomb) < 1_000_000
    server.sites["bomb.test"] = {"/": Route(bomb, headers={"Content-Encoding": "gzip"})}
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = enricher(server, tmp_path, cache=False).enrich("bomb.test")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.status == "failed" and "larger than 1000000 bytes" in result.reason
    assert grown_mb < 100


def test_non_html_body_refused(server, tmp_path):
    server.sites["pdf.test"] = {"/": Route(b"%PDF-1.7 ...", content_type="application/pdf")}
    result = enricher(server, tmp_path).enrich("pdf.test")
    assert result.status == "failed" and "not HTML (application/pdf)" in result.reason


@pytest.mark.parametrize("domain", ["127.0.0.1", "acme.test/../etc", "", "-bad-.test", "a" * 300 + ".com"])
def test_invalid_domains(server, tmp_path, domain):
    result = enricher(server, tmp_path).enrich(domain)
    assert result.status == "invalid"
    assert server.hits == []


def test_many_sites_in_a_bounded_pool_never_raise(server, tmp_path):
    server.sites.update({f"s{i}.test": {"/": Route(html(f"<title>Site {i}</title>"))} for i in range(6)})
    server.sites["s6.test"] = {"/": Route(b"%PDF", content_type="application/pdf")}
    results = list(enricher(server, tmp_path, workers=3).enrich_many([f"s{i}.test" for i in range(7)] + ["x.test"]))
    assert [r.domain for r in results] == [f"s{i}.test" for i in range(7)] + ["x.test"]
    assert [r.status for r in results] == ["ok"] * 6 + ["failed", "failed"]
    assert results[3].fields["name"] == "Site 3"


def _self_signed(tmp_path, name):
    import subprocess

    key, cert = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, capture_output=True)
    return key, cert


@pytest.mark.parametrize(("cert_name", "ok"), [("secure.test", True), ("someone-else.test", False)])
def test_https_goes_to_the_checked_address_with_the_sites_tls_name(tmp_path, cert_name, ok):
    import shutil
    import ssl

    if shutil.which("openssl") is None:
        pytest.skip("openssl command not installed")
    key, cert = _self_signed(tmp_path, cert_name)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with SiteServer(tls=ctx) as tls_server:
        tls_server.sites["secure.test"] = {"/": Route(html("<title>Secure GmbH</title>"))}
        policy = SafetyPolicy(resolver=lambda host: ["127.0.0.1"], test_hosts={"secure.test": tls_server.port},
                              ca_bundle=str(cert))
        result = SiteEnricher(settings(schemes=["https"]), None, policy).enrich("secure.test")
    # Connected to 127.0.0.1, yet the certificate was checked against the site's name (SNI + hostname check).
    assert (result.status == "ok") is ok, result.reason
    if ok:
        assert result.fields["name"] == "Secure GmbH"
        assert result.pages == ["https://secure.test/"]
    else:
        assert "SSLError" in result.reason or "connection failed" in result.reason

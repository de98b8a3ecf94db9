"""Web enrichment benchmark: extraction time per page, then 1,000 local company sites fetched at the configured
politeness with injected latency, and the same run again served from cache: once with the HTTP cache and remembered extractions (the default),
once with the HTTP cache only (every page parsed again).

Usage: python bench/enrich_bench.py [--domains 1000] [--latency 0.1] [--extract-repeats 10]

Pages for extraction: tests/data/web_pages (real pages shipped in public packages). Sites: a loopback server
(tests/web_sites.py) playing N virtual hosts, each with robots.txt, a ~15 KB homepage (JSON-LD on a third of
them) and about/contact pages; every response is delayed by --latency seconds. Politeness, worker pool and
timeouts are the config defaults (enrichment.web in config/leadpipe.yaml), schemes limited to http.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGES = ROOT / "tests" / "data" / "web_pages"
sys.path.insert(0, str(ROOT))


def bench_extraction(repeats: int) -> dict:
    from enrichment.web.extract import extract

    manifest = [json.loads(line) for line in (PAGES / "manifest.jsonl").read_text().splitlines() if line.strip()]
    extract(manifest[0]["url"], (PAGES / manifest[0]["path"]).read_bytes())  # imports and lookup tables
    per_page = {}
    for entry in manifest:
        body = (PAGES / entry["path"]).read_bytes()
        cpu = []
        for _ in range(repeats):
            c = time.process_time()
            extract(entry["url"], body)
            cpu.append(time.process_time() - c)
        per_page[entry["path"]] = {"kb": round(len(body) / 1024), "median_cpu_ms": round(statistics.median(cpu) * 1000, 1)}
    medians = [p["median_cpu_ms"] for p in per_page.values()]
    return {"pages": per_page, "median_cpu_ms_per_page": round(statistics.median(medians), 1)}


def site_html(i: int, path: str) -> bytes:
    name = f"Company {i:04d} GmbH"
    jsonld = (f'<script type="application/ld+json">{{"@context":"https://schema.org","@type":"Organization",'
              f'"name":"{name}","telephone":"+49 30 {1000000 + i}","url":"http://company{i:04d}.example/"}}</script>'
              if i % 3 == 0 else "")
    filler = "".join(f"<p>We build software and cloud platforms for customers in sector {k}. "
                     f"Our API and developer tools run on every platform.</p>" for k in range(60))
    return (f"<!doctype html><html lang='de'><head><title>{path.strip('/') or 'Home'} | {name}</title>"
            f"<meta property='og:site_name' content='{name}'><meta name='description' content='{name} makes software.'>"
            f"{jsonld}</head><body><header><img src='/logo.png' alt='{name} logo'>"
            f"<a href='/about'>About</a> <a href='/contact'>Contact</a> <a href='/private/admin'>Admin</a>"
            f"<a href='https://www.linkedin.com/company/company{i:04d}'>LinkedIn</a></header>{filler}"
            f"<footer>info@company{i:04d}.example</footer></body></html>").encode()


def bench_sites(n: int, latency: float) -> dict:
    from enrichment.web.safety import SafetyPolicy
    from enrichment.web.settings import WebEnrichmentConfig
    from enrichment.web.site import SiteEnricher
    from tests.web_sites import Route, SiteServer

    settings = WebEnrichmentConfig(schemes=["http"])
    domains = [f"company{i:04d}.example" for i in range(n)]

    def fallback(host: str, path: str) -> Route | None:
        if not host.startswith("company"):
            return None
        i = int(host[7:11])
        if path == "/robots.txt":
            return Route(b"User-agent: *\nDisallow: /private\n", content_type="text/plain")
        if path in ("/", "/about", "/contact"):
            return Route(site_html(i, path))
        return None

    runs = {}
    with SiteServer(latency=latency) as server, tempfile.TemporaryDirectory() as tmp:
        server.fallback = fallback
        policy = SafetyPolicy(test_hosts={d: server.port for d in domains})
        for label, memo in (("network", True), ("cached", True), ("cached_http_only", False)):
            hits_before = len(server.hits)
            enricher = SiteEnricher(settings, Path(tmp) / "http_cache.sqlite", policy, remember_extractions=memo)
            t, c = time.perf_counter(), time.process_time()
            results = list(enricher.enrich_many(domains))
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            enricher.close()
            statuses: dict[str, int] = {}
            for r in results:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            runs[label] = {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                           "companies_per_hour": round(n / wall * 3600), "statuses": statuses,
                           "requests_to_sites": len(server.hits) - hits_before,
                           "with_name": sum(1 for r in results if r.fields.get("name")),
                           "pages_per_company": round(sum(len(r.pages) for r in results) / n, 2)}
            print(label, json.dumps(runs[label]), flush=True)
    return {"domains": n, "latency_s": latency, "min_delay_s": settings.min_delay_seconds,
            "jitter_s": settings.jitter_seconds, "workers": settings.workers, "max_pages": settings.max_pages,
            **runs, "cached_speedup": round(runs["network"]["seconds"] / runs["cached"]["seconds"], 1),
            "cached_http_only_speedup": round(runs["network"]["seconds"] / runs["cached_http_only"]["seconds"], 1),
            "target_cached_speedup": 20}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--extract-repeats", type=int, default=10)
    args = ap.parse_args()
    result = {"benchmark": "enrich", "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "load_average_1m": round(os.getloadavg()[0], 1),
              "extraction": bench_extraction(args.extract_repeats), "sites": bench_sites(args.domains, args.latency)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"enrich_{stamp}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

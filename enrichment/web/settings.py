"""The `enrichment:` section of config/leadpipe.yaml (validated; off by default so `make run` stays offline)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadpipe.core.settings import Strict


class WebEnrichmentConfig(Strict):
    enabled: bool = Field(False, description="Fetch company websites during the nightly run.")
    user_agent: str = Field(
        "leadpipe-enrichment/0.1 (+https://github.com/leadpipe/leadpipe; company website enrichment)",
        min_length=10, description="Sent with every request so site owners can see who we are.",
    )
    workers: int = Field(16, ge=1, le=64, description="Companies fetched at the same time (one request per site).")
    min_delay_seconds: float = Field(1.0, ge=0, le=60, description="Pause between two requests to one site; "
                                     "a longer robots.txt Crawl-delay wins.")
    jitter_seconds: float = Field(0.2, ge=0, le=10)
    max_pages: int = Field(5, ge=1, le=10, description="Homepage plus linked about/contact/impressum pages.")
    connect_timeout_seconds: float = Field(5, gt=0, le=60)
    read_timeout_seconds: float = Field(10, gt=0, le=120)
    page_deadline_seconds: float = Field(
        25, gt=0, le=300, description="Wall-clock limit for one request, from the name look-up and connect to the "
        "last byte of the page, however slowly the server sends it.")
    site_budget_seconds: float = Field(
        120, gt=0, le=3600, description="Wall-clock limit for one company's site: robots.txt, every page, redirect, "
        "retry and pause together. A site that runs out keeps what it found so far (or fails, if that is nothing).")
    run_budget_seconds: float = Field(
        7200, gt=0, le=86_400, description="Wall-clock limit for the whole enrichment stage of one run. Sites not "
        "reached in time are recorded as skipped and fetched first thing in the next run. The Airflow task's "
        "execution_timeout is set a little above this.")
    max_body_bytes: int = Field(3_000_000, ge=10_000, le=50_000_000, description="Decoded HTML size limit.")
    max_redirects: int = Field(5, ge=0, le=10)
    retries: int = Field(2, ge=0, le=5, description="Extra tries after 408/425/429/5xx answers, with backoff "
                         "(never past the site's or run's time budget).")
    retry_base_seconds: float = Field(1.0, ge=0, le=60, description="First backoff before a retry; doubles each "
                                      "retry (a server's Retry-After wins).")
    max_retry_after_seconds: float = Field(60, ge=0, le=3600, description="A longer Retry-After gives up.")
    cache_path: str = Field("{home}/cache/web_http.sqlite", description="HTTP cache (requests-cache, SQLite).")
    cache_ttl_days: float = Field(14, gt=0, le=365)
    freshness_days: float = Field(30, ge=0, le=3650, description="A company enriched this recently is skipped.")
    schemes: list[Literal["https", "http"]] = Field(default_factory=lambda: ["https", "http"], min_length=1)


class DeliverabilityConfig(Strict):
    enabled: bool = Field(False, description="Look up MX records of lead email domains.")
    timeout_seconds: float = Field(3.0, gt=0, le=30)


class EnrichmentConfig(Strict):
    web: WebEnrichmentConfig = WebEnrichmentConfig()
    deliverability: DeliverabilityConfig = DeliverabilityConfig()

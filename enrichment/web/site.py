"""Enrich one company from its website: robots.txt, the homepage, then a few about/contact/impressum pages.

Each company is handled by one worker from start to end, so a site never sees more than one request at a
time; a bounded pool runs several companies at once. Every outcome is a result with a status and reason,
never an exception: a site that is down must not fail the nightly run.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from enrichment.web.deadline import Budget, tightest
from enrichment.web.extract import extract
from enrichment.web.fetch import FetchError, SafeFetcher
from enrichment.web.memo import ExtractMemo
from enrichment.web.politeness import RobotsRules
from enrichment.web.safety import SafetyPolicy
from enrichment.web.settings import WebEnrichmentConfig

log = logging.getLogger("leadpipe.enrichment.web")

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
SKIPPED = "skipped"
FIRST_WINS = ("name", "description", "logo", "address", "organization", "language", "industry",
              "industry_confidence", "company_phone", "company_email")
LIST_FIELDS = ("emails", "phones", "fax")


@dataclass
class SiteResult:
    domain: str
    status: str  # ok | failed | blocked | invalid | skipped (the run's time budget ran out first)
    reason: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    from_cache: bool = False
    seconds: float = 0.0


class SiteEnricher:
    """Owns the fetcher and robots rules for one run; `enrich_many` runs the bounded pool."""

    def __init__(self, settings: WebEnrichmentConfig, cache_path: Path | None = None,
                 policy: SafetyPolicy | None = None, remember_extractions: bool = True) -> None:
        self.settings = settings
        self.fetcher = SafeFetcher(settings, policy, cache_path)
        self.memo = (ExtractMemo(cache_path.with_suffix(".extract.sqlite"), settings.cache_ttl_days)
                     if cache_path is not None and remember_extractions else None)
        self.robots = RobotsRules(self._robots_fetch, settings.user_agent, self.fetcher.gate)

    def _robots_fetch(self, url: str, budget: Budget | None) -> tuple[int, str]:
        page = self.fetcher.get(url, budget)
        return page.status, page.text

    def enrich(self, domain: str, run_budget: Budget | None = None, country: str | None = None) -> SiteResult:
        """One site within its own time budget (`site_budget_seconds`) and what is left of the run's.

        `country`: the company's country (ISO alpha-2, from its leads); national phone numbers are read in it.
        """
        start = time.perf_counter()
        domain = domain.strip().lower().rstrip(".")
        if run_budget is not None and run_budget.spent:
            return SiteResult(domain, SKIPPED, f"{run_budget.reason}: not fetched, retried next run")
        seconds = self.settings.site_budget_seconds
        site = tightest(Budget.of(seconds, f"site budget spent ({seconds:g}s)"), run_budget)
        result = self._enrich(domain, site, country)
        if (run_budget is not None and result.status in ("failed", "blocked")
                and run_budget.reason in (result.reason or "")):  # cut short by the run's end, not by the site
            result = SiteResult(result.domain, SKIPPED, f"{run_budget.reason}: not finished, retried next run")
        result.seconds = round(time.perf_counter() - start, 3)
        return result

    def _enrich(self, domain: str, site: Budget, country: str | None = None) -> SiteResult:
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return SiteResult(domain, "invalid", "not a valid domain name")
        if not _DOMAIN.match(domain):
            return SiteResult(domain, "invalid", "not a valid domain name")
        home, errors = None, []
        for scheme in self.settings.schemes:
            if site.spent:
                errors.append(f"{scheme}: {site.reason}")
                break
            url = f"{scheme}://{domain}/"
            if not self.robots.allowed(url, site):
                errors.append(f"{scheme}: {self.robots.why_not(url)}")
                continue
            try:
                home = self.fetcher.get_html(url, site)
                break
            except FetchError as exc:
                errors.append(f"{scheme}: {exc.reason}")
        if home is None:
            status = "blocked" if errors and all("robots.txt disallows" in e or "off-limits" in e
                                                 for e in errors) else "failed"
            return SiteResult(domain, status, "; ".join(errors)[:500])
        fields = self._extract(home.url, home.body, country)
        pages, cached = [home.url], home.from_cache
        for link in fields.pop("follow_links"):
            if len(pages) >= self.settings.max_pages or site.spent:  # keep what the homepage gave
                break
            if link in pages or not self.robots.allowed(link, site):
                continue
            try:
                page = self.fetcher.get_html(link, site)
            except FetchError as exc:
                log.debug("%s: %s skipped (%s)", domain, link, exc.reason)
                continue
            pages.append(page.url)
            cached = cached and page.from_cache
            merge(fields, self._extract(page.url, page.body, country))
        return SiteResult(domain, "ok", None, fields, pages, from_cache=cached)

    def _extract(self, url: str, body: bytes, country: str | None = None) -> dict[str, Any]:
        return self.memo.extract(url, body, country) if self.memo else extract(url, body, country)

    def enrich_many(self, domains: Iterable[str], run_budget: Budget | None = None,
                    countries: Mapping[str, str] | None = None) -> Iterator[SiteResult]:
        """One result per domain, in order. Once `run_budget` is spent the remaining domains come back at once
        as skipped (and sites still being fetched are cut at its end), so the caller can record every one.
        `countries` maps a domain to its company's country (see `enrich`)."""
        countries = countries or {}
        pool = ThreadPoolExecutor(max_workers=self.settings.workers, thread_name_prefix="enrich")
        try:
            yield from pool.map(lambda d: self._safe_enrich(d, run_budget, countries.get(d)), domains)
        finally:  # also when the caller stops early (e.g. Airflow's execution_timeout): start nothing new
            pool.shutdown(wait=True, cancel_futures=True)

    def _safe_enrich(self, domain: str, run_budget: Budget | None = None, country: str | None = None) -> SiteResult:
        try:
            return self.enrich(domain, run_budget, country)
        except Exception as exc:  # noqa: BLE001 - one broken site (or parser bug) must not end the run
            log.warning("enrichment of one domain failed unexpectedly: %s", exc.__class__.__name__)
            return SiteResult(domain, "failed", f"internal error ({exc.__class__.__name__})")

    def close(self) -> None:
        self.fetcher.close()
        if self.memo:
            self.memo.close()


def merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Homepage values win (also the company phone and email); later pages fill gaps and add emails, phones,
    fax numbers, social links and tech hints."""
    for key in FIRST_WINS:
        if into.get(key) in (None, "", {}) and other.get(key) not in (None, "", {}):
            into[key] = other[key]
    for key in LIST_FIELDS:
        into[key] = list(dict.fromkeys((into.get(key) or []) + (other.get(key) or [])))[:20]
    into["social_links"] = {**(other.get("social_links") or {}), **(into.get("social_links") or {})}
    into["tech"] = sorted(set(into.get("tech") or []) | set(other.get("tech") or []))

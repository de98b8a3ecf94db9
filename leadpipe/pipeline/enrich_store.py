"""The `companies` table: one row per domain, and the freshness rule that keeps us from refetching."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from enrichment.web.site import SKIPPED, SiteResult
from leadpipe.store.warehouse import companies

FIELDS = ("name", "description", "logo", "industry", "industry_confidence", "language", "emails", "phones",
          "fax", "company_phone", "company_email", "social_links", "address", "organization", "tech")
RETRY_FAILED_AFTER = timedelta(days=1)  # a site that was down yesterday may be up today


def fetch_order(engine: Engine, domains: Iterable[str]) -> list[str]:
    """Domains a past run skipped (its time budget ran out) first, oldest skip first; then the rest, sorted.

    Without this, a budget that is always too small would skip the same end of the alphabet every night.
    """
    wanted = sorted(set(domains))
    skipped: dict[str, datetime] = {}
    with engine.connect() as conn:
        for i in range(0, len(wanted), 5000):
            rows = conn.execute(select(companies.c.domain, companies.c.enriched_at)
                                .where(companies.c.domain.in_(wanted[i : i + 5000]))
                                .where(companies.c.enrichment_status == SKIPPED))
            skipped.update({domain: _aware(at) for domain, at in rows})
    return sorted(skipped, key=lambda d: (skipped[d], d)) + [d for d in wanted if d not in skipped]


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def fresh_domains(engine: Engine, domains: Iterable[str], freshness_days: float,
                  now: datetime | None = None) -> set[str]:
    """Domains enriched recently enough to skip; failed fetches count as fresh for a day only."""
    now = now or datetime.now(UTC)
    wanted = sorted(set(domains))
    fresh: set[str] = set()
    with engine.connect() as conn:
        for i in range(0, len(wanted), 5000):
            rows = conn.execute(select(companies.c.domain, companies.c.enrichment_status, companies.c.enriched_at)
                                .where(companies.c.domain.in_(wanted[i : i + 5000])))
            for domain, status, at in rows:
                if status == SKIPPED:  # never fetched: the run's time budget ran out first
                    continue
                window = RETRY_FAILED_AFTER if status == "failed" else timedelta(days=freshness_days)
                window = min(window, timedelta(days=freshness_days))
                if now - _aware(at) < window:
                    fresh.add(domain)
    return fresh


def save_results(engine: Engine, results: list[SiteResult], run_id: str | None) -> None:
    if not results:
        return
    domains = [r.domain for r in results]
    with engine.begin() as conn:
        for i in range(0, len(domains), 5000):
            conn.execute(delete(companies).where(companies.c.domain.in_(domains[i : i + 5000])))
        conn.execute(insert(companies), [
            {"domain": r.domain[:255], "enrichment_status": r.status, "enrichment_reason": r.reason,
             **{f: r.fields.get(f) for f in FIELDS}, "name": (r.fields.get("name") or None) and r.fields["name"][:300],
             "pages": r.pages, "enriched_at": r.fetched_at, "run_id": run_id}
            for r in {r.domain: r for r in results}.values()
        ])


def load_companies(engine: Engine, domains: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(domains))
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for i in range(0, len(wanted), 5000):
            for row in conn.execute(select(companies).where(companies.c.domain.in_(wanted[i : i + 5000]))).mappings():
                out[row["domain"]] = dict(row)
    return out

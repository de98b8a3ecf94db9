"""The enrich stage: company websites -> empty company fields of the resolved people; email deliverability.

Both are off by default (the input path is then handed on unchanged, so `make run` stays offline). Websites are
off unless `enrichment.web.enabled`. Only distinct company domains are fetched, and only those not enriched
within `freshness_days`. A site that cannot be fetched leaves the people as they were, with the company's
`enrichment_status` saying why; the run never fails on it.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pandas as pd

from enrichment.deliverability import add_deliverability, make_resolver
from enrichment.web.deadline import Budget
from enrichment.web.safety import SafetyPolicy
from enrichment.web.site import SKIPPED, SiteEnricher
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.enrich_store import fetch_order, fresh_domains, load_companies, save_results
from leadpipe.store.run_files import read_frame, write_frame

log = logging.getLogger("leadpipe.enrichment.web")
MIN_INDUSTRY_CONFIDENCE = 0.5


def enrich(ctx: RunContext, path: str | None) -> str | None:
    """The stage: enriched.parquet, or the input path unchanged when nothing is switched on.

    Fetch and DNS failures are recorded, never fail the run.
    """
    settings = ctx.cfg.enrichment
    if path is None or not (settings.web.enabled or settings.deliverability.enabled):
        return path
    with ctx.timed("enrich"):
        return enrich_resolved(ctx, path, ctx.folder / "enriched.parquet")


def enrich_resolved(ctx: RunContext, path: str, out: Path, policy: SafetyPolicy | None = None,
                    resolver=None) -> str:  # noqa: ANN001 - a dns resolver
    """Websites and/or deliverability, as configured; `policy` and `resolver` are injected by tests.

    The run's time budget (`enrichment.web.run_budget_seconds`) starts here, with the stage.
    """
    cfg = ctx.cfg
    seconds = cfg.enrichment.web.run_budget_seconds
    run_budget = Budget.of(seconds, f"run budget spent ({seconds:g}s)")
    df = read_frame(ctx.file(path))
    if cfg.enrichment.web.enabled:
        df = _enrich_websites(ctx, df, policy, run_budget)
    if cfg.enrichment.deliverability.enabled:
        df = add_deliverability(df, resolver or make_resolver(cfg.enrichment.deliverability.timeout_seconds))
    write_frame(df, out)
    return str(out)


def _enrich_websites(ctx: RunContext, df: pd.DataFrame, policy: SafetyPolicy | None,
                     run_budget: Budget) -> pd.DataFrame:
    cfg, run_id, engine = ctx.cfg, ctx.run_id, ctx.engine
    settings = cfg.enrichment.web
    domains = sorted({d for d in df.get("domain", pd.Series(dtype="string")).dropna().astype(str) if d.strip()})
    skip = fresh_domains(engine, domains, settings.freshness_days)
    todo = fetch_order(engine, [d for d in domains if d not in skip])  # last run's skipped sites first
    enricher = SiteEnricher(settings, cfg.resolve(settings.cache_path), policy)
    results = []
    try:
        for result in enricher.enrich_many(todo, run_budget, company_countries(df)):
            results.append(result)
            if len(results) % 200 == 0:  # keep progress if the task is killed mid-way
                save_results(engine, results[-200:], run_id)
    finally:
        enricher.close()
        save_results(engine, results[len(results) - len(results) % 200:], run_id)
    statuses = Counter(r.status for r in results)
    log.info("enrich: %d company domains, %d fresh (not due), %d due: %s", len(domains), len(skip), len(todo),
             ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none")
    if statuses[SKIPPED]:
        log.warning("enrich: %s before %d of %d due company sites were done; they are fetched first next run",
                    run_budget.reason, statuses[SKIPPED], len(todo))
    return fill_from_companies(df, load_companies(engine, domains))


def company_countries(df: pd.DataFrame) -> dict[str, str]:
    """Each domain's company country: the most common country of its people (national phone numbers on the
    company's site are read in it)."""
    if "domain" not in df.columns or "country" not in df.columns:
        return {}
    pairs = df[["domain", "country"]].dropna().astype(str)
    pairs = pairs[(pairs["domain"].str.strip() != "") & pairs["country"].str.fullmatch(r"[A-Za-z]{2}")]
    if pairs.empty:
        return {}
    counts = pairs.groupby(["domain", "country"]).size().reset_index(name="n")
    counts = counts.sort_values(["domain", "n", "country"], ascending=[True, False, True])
    return {d: c.upper() for d, c in counts.drop_duplicates("domain")[["domain", "country"]].itertuples(index=False)}


def fill_from_companies(df: pd.DataFrame, known: dict[str, dict]) -> pd.DataFrame:
    """Fill only what is empty: the purchased list's own values are never overwritten by a guess.

    The website's switchboard and general address land in `company_phone` / `company_email`, company fields:
    a person's own `phone` and `email` are never filled from the company's website.
    """
    df = df.copy()
    for col in ("company", "industry"):
        if col not in df.columns:
            df[col] = pd.Series([None] * len(df), dtype="object")
    statuses, companies, industries, phones, emails = [], [], [], [], []
    for domain, company, industry in zip(df.get("domain", [None] * len(df)), df["company"], df["industry"],
                                         strict=True):
        row = known.get(domain) if isinstance(domain, str) else None
        statuses.append(row["enrichment_status"] if row else None)
        ok = row is not None and row["enrichment_status"] == "ok"
        phones.append((row.get("company_phone") or None) if ok else None)
        emails.append((row.get("company_email") or None) if ok else None)
        companies.append(company if _filled(company) or not ok else row.get("name"))
        usable = ok and row.get("industry") and (row.get("industry_confidence") or 0) >= MIN_INDUSTRY_CONFIDENCE
        industries.append(industry if _filled(industry) or not usable else row["industry"])
    df["company"] = pd.array(companies, dtype="string")
    df["industry"] = pd.array(industries, dtype="string")
    df["enrichment_status"] = pd.array(statuses, dtype="string")
    df["company_phone"] = pd.array(phones, dtype="string")
    df["company_email"] = pd.array(emails, dtype="string")
    return df


def _filled(value: object) -> bool:
    return value is not None and not pd.isna(value) and str(value).strip() != ""

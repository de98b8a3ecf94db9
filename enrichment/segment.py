"""Markets: which slices of the market a lead sits in, in the config's order (the first is the primary).

A market rule filters on country, region (ISO 3166-2), industry, company size band and revenue band;
every filter that is set must fit, and an unknown size or revenue never fits a band (we do not guess).
Seniority lives in `enrichment.personas`; `seniority()` is kept here for callers of the first version.
"""

from __future__ import annotations

from leadpipe.config import MarketRule


def seniority(title: str | None) -> str:
    """Seniority level of a job title; '' when there is no title (see enrichment.personas)."""
    from enrichment.personas import classify_title

    return classify_title(title).seniority


def _in_band(value: float | None, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def markets_for(country: str | None, industry: str | None, employees: int | None,
                rules: list[MarketRule], *, region: str | None = None, revenue: float | None = None) -> list[str]:
    """All markets a lead fits, in the config's order (the first is the primary market)."""
    matched = []
    for rule in rules:
        if rule.countries and (country or "").upper() not in rule.countries:
            continue
        if rule.regions and (region or "").upper() not in rule.regions:
            continue
        if rule.industries and (industry or "").casefold() not in {i.casefold() for i in rule.industries}:
            continue
        if not _in_band(employees, rule.min_employees, rule.max_employees):
            continue
        if not _in_band(revenue, rule.min_revenue, rule.max_revenue):
            continue
        matched.append(rule.name)
    return matched

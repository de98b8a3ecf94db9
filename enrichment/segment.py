"""Markets: which slices of the market a lead sits in, in the config's order (the first is the primary).

A market rule filters on country, region (ISO 3166-2), industry, company size band and revenue band;
every filter that is set must fit, and an unknown size or revenue never fits a band (we do not guess).
Seniority lives in `enrichment.personas`; `seniority()` is kept here for callers of the first version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enrichment.personas import classify_title

# The `markets:` section lives in enrichment.settings, so reading the config needs no pandas.
from enrichment.settings import MarketRule


def seniority(title: str | None) -> str:
    """Seniority level of a job title; '' when there is no title (see enrichment.personas)."""
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


def _band_mask(values: pd.Series, low: float | None, high: float | None) -> np.ndarray:
    """`_in_band` over a column: an unknown value (NaN) never fits a band that has a bound."""
    if low is None and high is None:
        return np.ones(len(values), dtype=bool)
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    mask = ~np.isnan(v)
    if low is not None:
        mask &= v >= low
    if high is not None:
        mask &= v <= high
    return mask


def markets_frame(country: pd.Series, region: pd.Series, industry: pd.Series, employees: pd.Series,
                  revenue: pd.Series, rules: list[MarketRule]) -> list[list[str]]:
    """`markets_for` for a whole frame: one boolean mask per rule, then one list per distinct combination.

    Lists are shared between rows with the same markets: treat them as read-only.
    """
    n = len(country)
    if not rules:
        return [[] for _ in range(n)]

    def upper(s: pd.Series) -> pd.Series:
        return s.fillna("").astype(str).str.upper()

    country_u, region_u = upper(country), upper(region)
    industry_f = industry.fillna("").astype(str).str.casefold()
    fits = np.zeros((n, len(rules)), dtype=bool)
    for i, rule in enumerate(rules):
        mask = np.ones(n, dtype=bool)
        if rule.countries:
            mask &= country_u.isin(rule.countries).to_numpy()
        if rule.regions:
            mask &= region_u.isin(rule.regions).to_numpy()
        if rule.industries:
            mask &= industry_f.isin({x.casefold() for x in rule.industries}).to_numpy()
        mask &= _band_mask(employees, rule.min_employees, rule.max_employees)
        mask &= _band_mask(revenue, rule.min_revenue, rule.max_revenue)
        fits[:, i] = mask
    combos, which = np.unique(fits, axis=0, return_inverse=True)
    lists = [[r.name for r, fit in zip(rules, combo, strict=True) if fit] for combo in combos]
    return [lists[i] for i in which.reshape(-1).tolist()]

"""Markets and seniority: which slice of the market a lead sits in, and how senior the person is.

First version: ordered keyword rules. Order matters: the first rule that fits wins, and guard phrases
come first so that "Product Owner" is not read as an owner of the company.
"""

from __future__ import annotations

import re

from leadpipe.config import MarketRule

# (seniority, pattern) in priority order; guards map a misleading phrase to its real level first.
_SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("senior", r"\bproduct owner\b"),
    ("senior", r"\bhr business partner\b"),
    ("owner", r"\b(founder|co-founder|cofounder|owner|inhaber|gründer|fondateur|fundador)\b"),
    ("c_level", r"\b(ceo|cto|cfo|coo|cmo|cro|cio|ciso|chief|president|geschäftsführer|geschaftsfuhrer|"
                r"managing director|directeur général|directeur general|director general)\b"),
    ("vp", r"\b(vp|svp|evp|vice president|vice-president)\b"),
    ("director", r"\b(director|head of|head|directeur|directrice|leiter|leiterin|jefe|jefa|directora)\b"),
    ("manager", r"\b(manager|managerin|team lead|lead|responsable|gerente)\b"),
    ("senior", r"\b(senior|sr\.?|principal|staff)\b"),
    ("entry", r"\b(intern|junior|jr\.?|trainee|assistant|werkstudent|praktikant|stagiaire|becario)\b"),
)
_COMPILED = tuple((level, re.compile(p, re.IGNORECASE)) for level, p in _SENIORITY_RULES)


def seniority(title: str | None) -> str:
    """Seniority level of a job title; 'individual' when it names no level, '' when there is no title."""
    if not title or not title.strip():
        return ""
    for level, pattern in _COMPILED:
        if pattern.search(title):
            return level
    return "individual"


def markets_for(country: str | None, industry: str | None, employees: int | None,
                rules: list[MarketRule]) -> list[str]:
    """All markets a lead fits, in the config's order (the first is the primary market)."""
    matched = []
    for rule in rules:
        if rule.countries and (country or "").upper() not in rule.countries:
            continue
        if rule.industries and (industry or "").casefold() not in {i.casefold() for i in rule.industries}:
            continue
        if rule.min_employees is not None and (employees is None or employees < rule.min_employees):
            continue
        if rule.max_employees is not None and (employees is None or employees > rule.max_employees):
            continue
        matched.append(rule.name)
    return matched

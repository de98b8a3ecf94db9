"""Lead scoring: fit points (who they are) plus intent points (what they did), a readable breakdown, a tier.

Every point awarded is listed with its rule, so `leadpipe explain` can answer "why is this lead a B?".
Intent fades: its points halve every `intent_half_life_days` since the lead was captured, so a form sent
a year ago no longer outranks a good fit. Fit does not fade (a company's size does not age by itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import Field, model_validator

from leadpipe.core.settings import Strict


class SizeBand(Strict):
    min_employees: int = 0
    max_employees: int | None = None
    points: int


class RecencyBand(Strict):
    within_days: int = Field(gt=0)
    points: int


class ScoringConfig(Strict):
    """Fit points (who they are) + intent points (what they did, decayed by age) -> total -> tier."""

    market_points: dict[str, int] = Field(default_factory=dict, description="primary market name -> points.")
    seniority_points: dict[str, int] = Field(default_factory=dict, description="seniority -> points.")
    persona_points: dict[str, int] = Field(default_factory=dict, description="persona name -> points.")
    company_size_points: list[SizeBand] = Field(default_factory=list, description="first band that fits counts.")
    work_email_points: int = 10
    phone_points: int = 5
    completeness_points: dict[str, int] = Field(
        default_factory=dict, description="lead field -> points when it is filled (job_title, company, ...)."
    )
    form_submission_points: int = 15
    form_recency_points: list[RecencyBand] = Field(
        default_factory=list, description="extra intent points when the last form was sent within N days."
    )
    source_points: dict[str, int] = Field(default_factory=dict, description="source name -> quality points.")
    intent_half_life_days: float | None = Field(
        90, gt=0, description="intent points halve every N days since the lead was captured; null = no decay."
    )
    crm_lead_status_points: dict[str, int] = Field(
        default_factory=dict, description="CRM feedback: the lead status the CRM reports (HubSpot hs_lead_status, "
        "Salesforce Lead Status; any case) -> points, e.g. {Unqualified: -30, BAD_TIMING: -10}.")
    qualify_at: int = Field(40, description="Minimum score for a lead to be pushed to the CRM.")
    tiers: dict[str, int] = Field(default_factory=lambda: {"A": 70, "B": 55, "C": 40})

    @model_validator(mode="after")
    def _tiers_cover_threshold(self) -> ScoringConfig:
        if self.tiers and min(self.tiers.values()) > self.qualify_at:
            raise ValueError("the lowest tier must start at or below qualify_at, or qualified leads get no tier")
        return self


@dataclass(frozen=True)
class LeadFacts:
    """What scoring looks at, already worked out by segmentation and the persona classifier."""

    markets: list[str] = field(default_factory=list)
    seniority: str = ""
    persona: str | None = None
    employees: int | None = None
    has_work_email: bool = False
    has_phone: bool = False
    filled: frozenset[str] = frozenset()  # lead fields that hold a value
    from_form: bool = False
    source: str | None = None
    captured_at: datetime | None = None  # form time or vendor export date
    crm_lead_status: str | None = None  # the lead status the CRM reported back (CRM feedback)


@dataclass(frozen=True)
class Score:
    total: int
    tier: str  # "" when below the qualification threshold
    qualified: bool
    fit: int = 0
    intent: int = 0
    breakdown: list[dict] = field(default_factory=list)  # [{"rule", "kind", "points", ...}]


def _fit(facts: LeadFacts, cfg: ScoringConfig) -> list[dict]:
    parts = []
    if facts.markets and facts.markets[0] in cfg.market_points:
        parts.append({"rule": f"market {facts.markets[0]}", "points": cfg.market_points[facts.markets[0]]})
    if facts.seniority in cfg.seniority_points:
        parts.append({"rule": f"seniority {facts.seniority}", "points": cfg.seniority_points[facts.seniority]})
    if facts.persona and facts.persona in cfg.persona_points:
        parts.append({"rule": f"persona {facts.persona}", "points": cfg.persona_points[facts.persona]})
    if facts.employees is not None:
        for band in cfg.company_size_points:
            if facts.employees >= band.min_employees and (band.max_employees is None
                                                          or facts.employees <= band.max_employees):
                top = f"-{band.max_employees}" if band.max_employees is not None else "+"
                parts.append({"rule": f"company size {band.min_employees}{top}", "points": band.points})
                break
    if facts.has_work_email:
        parts.append({"rule": "work email", "points": cfg.work_email_points})
    if facts.has_phone:
        parts.append({"rule": "phone number", "points": cfg.phone_points})
    for name, points in cfg.completeness_points.items():
        if name in facts.filled:
            parts.append({"rule": f"has {name}", "points": points})
    return [{**p, "kind": "fit"} for p in parts if p["points"]]


def _intent(facts: LeadFacts, cfg: ScoringConfig, now: datetime) -> list[dict]:
    parts = []
    age_days = None
    if facts.captured_at is not None:
        captured = facts.captured_at if facts.captured_at.tzinfo else facts.captured_at.replace(tzinfo=UTC)
        age_days = max(0.0, (now - captured).total_seconds() / 86400)
    if facts.from_form:
        parts.append({"rule": "web form submission", "points": cfg.form_submission_points})
        if age_days is not None:
            for band in sorted(cfg.form_recency_points, key=lambda b: b.within_days):
                if age_days <= band.within_days:
                    parts.append({"rule": f"form within {band.within_days} days", "points": band.points})
                    break
    if facts.source and facts.source in cfg.source_points:
        parts.append({"rule": f"source {facts.source}", "points": cfg.source_points[facts.source]})
    factor = 1.0
    if cfg.intent_half_life_days and age_days is not None:
        factor = 0.5 ** (age_days / cfg.intent_half_life_days)
    out = []
    for p in parts:
        if not p["points"]:
            continue
        item = {**p, "kind": "intent", "points": round(p["points"] * factor, 1)}
        if factor < 1.0:
            item.update(base_points=p["points"], decay=f"x{factor:.2f} ({age_days:.0f} days old)")
        out.append(item)
    return out


def score_lead(facts: LeadFacts, cfg: ScoringConfig, now: datetime | None = None) -> Score:
    now = now or datetime.now(UTC)
    fit, intent = _fit(facts, cfg), _intent(facts, cfg, now)
    status = [p for p in (lead_status_part(facts.crm_lead_status, cfg),) if p]  # after intent, as score_frame
    fit_total = sum(p["points"] for p in fit + status)
    intent_total = round(sum(p["points"] for p in intent))
    total = int(fit_total + intent_total)
    qualified = total >= cfg.qualify_at
    tier = _tier(total, _tiers_high_first(cfg)) if qualified else ""
    return Score(total, tier, qualified, int(fit_total), int(intent_total), fit + intent + status)


def _tiers_high_first(cfg: ScoringConfig) -> list[tuple[str, int]]:
    return sorted(cfg.tiers.items(), key=lambda kv: -kv[1])


def _tier(total: int, tiers_high_first: list[tuple[str, int]]) -> str:
    """The highest tier whose floor the total reaches ("" if none)."""
    return next((name for name, floor in tiers_high_first if total >= floor), "")


def lead_status_part(status: str | None, cfg: ScoringConfig) -> dict | None:
    """The score part for the lead status a CRM reported back (crm_lead_status_points, any case), or None.

    A small, documented rule: sales-ops says what a status is worth (an 'Unqualified' lead loses points and
    usually its place on the list); statuses not listed count nothing.
    """
    if not status or not cfg.crm_lead_status_points:
        return None
    wanted = status.strip().casefold()
    for name, points in cfg.crm_lead_status_points.items():
        if name.strip().casefold() == wanted:
            return {"rule": f"CRM lead status {status}", "points": points}
    return None


def max_score(cfg: ScoringConfig) -> int:
    """The most points any lead can get: the best of each choice plus every bonus (for range checks)."""
    best_of = [cfg.market_points, cfg.seniority_points, cfg.persona_points, cfg.source_points]
    best = [max(d.values(), default=0) for d in best_of]
    best.append(max((b.points for b in cfg.company_size_points), default=0))
    best.append(max((b.points for b in cfg.form_recency_points), default=0))
    best += [cfg.work_email_points, cfg.phone_points, cfg.form_submission_points, *cfg.completeness_points.values()]
    return sum(max(p, 0) for p in best)


@dataclass(frozen=True)
class FrameScores:
    """`score_lead` for many leads at once: one entry per lead, in input order."""

    total: list[int]
    fit: list[int]
    intent: list[int]
    tier: list[str]
    qualified: list[bool]
    breakdown: list[list[dict]]  # fit parts are shared between leads with the same facts: read-only


def score_frame(markets: list[list[str]], seniority: list[str], persona: list[str | None],
                employees: list[int | None], has_work_email: list[bool], has_phone: list[bool],
                filled: dict[str, list[bool]], from_form: list[bool], source: list[str | None],
                captured_at: list[datetime | None], cfg: ScoringConfig, now: datetime | None = None,
                crm_lead_status: list[str | None] | None = None) -> FrameScores:
    """Score many leads with exactly `score_lead`'s rules, doing the work once per distinct set of facts.

    Fit depends on a handful of values (market, seniority, persona, size band, work email, phone, filled
    fields), so its parts are worked out once per distinct combination. Intent decays with each lead's own
    age, so it is computed per lead, but only for leads that can have intent points (forms, scored sources).
    """
    now = now or datetime.now(UTC)
    n = len(seniority)
    completeness = list(cfg.completeness_points)
    fit_cache: dict[tuple, tuple[list[dict], int]] = {}
    tiers = _tiers_high_first(cfg)
    out = FrameScores([0] * n, [0] * n, [0] * n, [""] * n, [False] * n, [[]] * n)
    band_of: dict[int | None, int] = {None: -1}  # head count -> first size band that fits (-1: none)
    for i in range(n):
        size = employees[i]
        band = band_of.get(size)
        if band is None:
            band = band_of[size] = next((j for j, b in enumerate(cfg.company_size_points) if size >= b.min_employees
                                         and (b.max_employees is None or size <= b.max_employees)), -1)
        key = (markets[i][0] if markets[i] else None, seniority[i], persona[i], band, has_work_email[i],
               has_phone[i], tuple(filled[c][i] for c in completeness))
        hit = fit_cache.get(key)
        if hit is None:
            facts = LeadFacts(markets=markets[i][:1], seniority=seniority[i], persona=persona[i],
                              employees=employees[i], has_work_email=has_work_email[i], has_phone=has_phone[i],
                              filled=frozenset(c for c in completeness if filled[c][i]))
            parts = _fit(facts, cfg)
            hit = fit_cache[key] = (parts, sum(p["points"] for p in parts))
        fit_parts, fit_total = hit
        parts = fit_parts
        intent_total = 0
        if from_form[i] or (source[i] and source[i] in cfg.source_points):
            intent = _intent(LeadFacts(from_form=from_form[i], source=source[i], captured_at=captured_at[i]),
                             cfg, now)
            if intent:
                parts = fit_parts + intent
                intent_total = round(sum(p["points"] for p in intent))
        status_part = lead_status_part(crm_lead_status[i] if crm_lead_status else None, cfg)
        if status_part:
            parts = [*parts, status_part]
            fit_total += status_part["points"]
        total = int(fit_total + intent_total)
        out.total[i], out.fit[i], out.intent[i], out.breakdown[i] = total, int(fit_total), int(intent_total), parts
        if total >= cfg.qualify_at:
            out.qualified[i] = True
            out.tier[i] = _tier(total, tiers)
    return out

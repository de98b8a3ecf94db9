"""Lead scoring: points from config, a breakdown sales-ops can read, and a tier.

Every point awarded is listed with the reason, so `leadpipe explain` can answer "why is this lead a B?".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadpipe.config import ScoringConfig


@dataclass(frozen=True)
class Score:
    total: int
    tier: str  # "" when below the qualification threshold
    qualified: bool
    breakdown: list[dict] = field(default_factory=list)  # [{"rule", "points"}]


def score_lead(*, markets: list[str], seniority: str, has_work_email: bool, has_phone: bool,
               from_form: bool, cfg: ScoringConfig) -> Score:
    parts: list[dict] = []
    if markets and markets[0] in cfg.market_points:
        parts.append({"rule": f"market {markets[0]}", "points": cfg.market_points[markets[0]]})
    if seniority in cfg.seniority_points:
        parts.append({"rule": f"seniority {seniority}", "points": cfg.seniority_points[seniority]})
    if has_work_email:
        parts.append({"rule": "work email", "points": cfg.work_email_points})
    if has_phone:
        parts.append({"rule": "phone number", "points": cfg.phone_points})
    if from_form:
        parts.append({"rule": "web form submission", "points": cfg.form_submission_points})
    total = sum(p["points"] for p in parts)
    qualified = total >= cfg.qualify_at
    tier = ""
    if qualified:
        for name, floor in sorted(cfg.tiers.items(), key=lambda kv: -kv[1]):
            if total >= floor:
                tier = name
                break
    return Score(total, tier, qualified, parts)

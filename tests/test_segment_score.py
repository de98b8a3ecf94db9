"""Seniority rules, markets, scores and suppression: the decisions sales-ops will ask about."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrichment.score import score_lead
from enrichment.segment import markets_for, seniority
from enrichment.suppress import SuppressionListError, load_lists, suppression_reason
from leadpipe.config import MarketRule, ScoringConfig


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Product Owner", "senior"),
        ("HR Business Partner", "senior"),
        ("Co-Founder & CEO", "owner"),
        ("Chief Revenue Officer", "c_level"),
        ("Geschäftsführer", "c_level"),
        ("SVP Sales", "vp"),
        ("Head of Marketing", "director"),
        ("Directeur commercial", "director"),
        ("Jefe de ventas", "director"),
        ("Marketing Manager", "manager"),
        ("Senior Software Engineer", "senior"),
        ("Marketing Intern", "entry"),
        ("Cook", "individual"),
        ("Account Executive", "individual"),
        ("", ""),
    ],
)
def test_seniority(title: str, level: str) -> None:
    assert seniority(title) == level


RULES = [
    MarketRule(name="dach_mid", label="DACH mid", countries=["de", "AT", "CH"], min_employees=50, max_employees=1000),
    MarketRule(name="dach", label="DACH", countries=["DE", "AT", "CH"]),
    MarketRule(name="saas", label="SaaS", industries=["Software"]),
]


def test_markets_match_in_config_order() -> None:
    assert markets_for("DE", "Software", 200, RULES) == ["dach_mid", "dach", "saas"]
    assert markets_for("DE", "Retail", 20, RULES) == ["dach"]
    assert markets_for("AT", None, None, RULES) == ["dach"]  # unknown size never fits a size band
    assert markets_for("US", "software", 10, RULES) == ["saas"]


def test_score_breakdown_and_tiers() -> None:
    cfg = ScoringConfig(market_points={"dach_mid": 25}, seniority_points={"vp": 25}, qualify_at=40,
                        tiers={"A": 70, "B": 55, "C": 40})
    s = score_lead(markets=["dach_mid", "dach"], seniority="vp", has_work_email=True, has_phone=True,
                   from_form=False, cfg=cfg)
    assert (s.total, s.tier, s.qualified) == (65, "B", True)
    assert {p["rule"] for p in s.breakdown} == {"market dach_mid", "seniority vp", "work email", "phone number"}
    low = score_lead(markets=[], seniority="entry", has_work_email=True, has_phone=False, from_form=False, cfg=cfg)
    assert (low.total, low.tier, low.qualified) == (10, "", False)


def test_suppression_reasons(tmp_path: Path) -> None:
    dnc = tmp_path / "unsubscribes.csv"
    dnc.write_text("email,domain\nGone@Acme.com,\n,competitor.io\n", encoding="utf-8")
    lists = load_lists([dnc])
    kw = {"role": True, "disposable": True, "require_form_consent": True}
    assert suppression_reason({"email": "gone@acme.com"}, {}, lists, **kw) == \
        "email on do-not-contact list unsubscribes.csv"
    assert "domain competitor.io" in suppression_reason({"email": "x@competitor.io"}, {}, lists, **kw)
    assert suppression_reason({"email": "info@ok.com"}, {"email_role": True}, lists, **kw).startswith("role address")
    assert suppression_reason({"email": "a@ok.com"}, {"from_form": True}, lists, **kw) == \
        "web form lead without email consent"
    assert suppression_reason({"email": "a@ok.com", "email_consent": True}, {"from_form": True}, lists, **kw) is None


def test_a_do_not_contact_file_without_a_usable_column_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "list.csv"
    bad.write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(SuppressionListError, match="list.csv: needs an 'email', 'domain' or 'phone' column"):
        load_lists([bad])

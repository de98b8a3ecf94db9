"""Markets, scores, suppression, compliance and routing: the decisions sales-ops will ask about."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from enrichment.routing import RoutingConfig, Territory, assign_owners
from enrichment.score import LeadFacts, ScoringConfig, max_score, score_lead
from enrichment.segment import MarketRule, markets_for, seniority
from enrichment.suppress import (
    SuppressionConfig,
    SuppressionListError,
    SuppressionLists,
    decide,
    suppression_reason,
    tombstone_hash,
)
from leadpipe.pipeline.suppression_files import load_dnc_registry, load_lists

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_seniority_is_the_persona_classifiers() -> None:
    assert seniority("Co-Founder & CEO") == "owner"
    assert seniority("") == ""


RULES = [
    MarketRule(name="dach_mid", label="DACH mid", countries=["de", "AT", "CH"], min_employees=50, max_employees=1000),
    MarketRule(name="dach", label="DACH", countries=["DE", "AT", "CH"]),
    MarketRule(name="saas", label="SaaS", industries=["Software"]),
    MarketRule(name="us_west_big", label="US West enterprise", countries=["US"], regions=["us-ca", "US-WA"],
               min_revenue=50_000_000),
]


def test_markets_match_in_config_order() -> None:
    assert markets_for("DE", "Software", 200, RULES) == ["dach_mid", "dach", "saas"]
    assert markets_for("DE", "Retail", 20, RULES) == ["dach"]
    assert markets_for("AT", None, None, RULES) == ["dach"]  # unknown size never fits a size band
    assert markets_for("US", "software", 10, RULES) == ["saas"]


def test_markets_by_region_and_revenue_band() -> None:
    assert markets_for("US", None, None, RULES, region="US-CA", revenue=80e6) == ["us_west_big"]
    assert markets_for("US", None, None, RULES, region="US-NY", revenue=80e6) == []
    assert markets_for("US", None, None, RULES, region="US-CA", revenue=None) == []  # unknown revenue: no band
    assert markets_for("US", None, None, RULES, region="US-CA", revenue=10e6) == []


CFG = ScoringConfig(
    market_points={"dach_mid": 25}, seniority_points={"vp": 25}, persona_points={"Economic Buyer": 10},
    company_size_points=[{"min_employees": 50, "max_employees": 1000, "points": 5}],
    completeness_points={"job_title": 2}, form_submission_points=20,
    form_recency_points=[{"within_days": 7, "points": 10}], source_points={"web_forms": 4},
    intent_half_life_days=30, qualify_at=40, tiers={"A": 70, "B": 55, "C": 40},
)


def test_fit_points_and_breakdown() -> None:
    facts = LeadFacts(markets=["dach_mid", "dach"], seniority="vp", persona="Economic Buyer", employees=200,
                      has_work_email=True, has_phone=True, filled=frozenset({"job_title"}))
    s = score_lead(facts, CFG, NOW)
    # 25 market + 25 vp + 10 persona + 5 size + 10 work email + 5 phone + 2 title
    assert (s.total, s.fit, s.intent, s.tier, s.qualified) == (82, 82, 0, "A", True)
    assert {p["rule"] for p in s.breakdown} == {"market dach_mid", "seniority vp", "persona Economic Buyer",
                                                "company size 50-1000", "work email", "phone number",
                                                "has job_title"}
    assert all(p["kind"] == "fit" for p in s.breakdown)


def test_intent_decays_with_age() -> None:
    fresh = LeadFacts(from_form=True, source="web_forms", captured_at=NOW - timedelta(days=2))
    old = LeadFacts(from_form=True, source="web_forms", captured_at=NOW - timedelta(days=60))
    s_fresh, s_old = score_lead(fresh, CFG, NOW), score_lead(old, CFG, NOW)
    # fresh: (20 form + 10 recency + 4 source) * 0.5**(2/30) = 34 * 0.955 = 32.5 -> 32
    assert s_fresh.intent == round(34 * 0.5 ** (2 / 30))
    # 60 days = two half-lives, and too old for the recency band: (20 + 4) / 4 = 6
    assert s_old.intent == 6
    assert any(p.get("decay", "").startswith("x0.25") for p in s_old.breakdown)


def test_a_score_change_in_config_changes_the_tier() -> None:
    facts = LeadFacts(markets=["dach_mid"], seniority="vp", has_work_email=True)  # 25 + 25 + 10 = 60
    assert score_lead(facts, CFG, NOW).tier == "B"
    stricter = CFG.model_copy(update={"tiers": {"A": 90, "B": 80, "C": 60}, "qualify_at": 60})
    assert score_lead(facts, stricter, NOW).tier == "C"
    assert max_score(CFG) == 25 + 25 + 10 + 5 + 10 + 5 + 2 + 20 + 10 + 4


def test_tiers_must_cover_the_threshold() -> None:
    with pytest.raises(ValueError, match="lowest tier"):
        ScoringConfig(qualify_at=30, tiers={"A": 50})


def test_suppression_reasons(tmp_path: Path) -> None:
    dnc = tmp_path / "unsubscribes.csv"
    dnc.write_text("email,domain,phone\nGone@Acme.com,,\n,competitor.io,\n,,+1 (415) 555-0100\n", encoding="utf-8")
    lists = load_lists([dnc])
    kw = {"role": True, "disposable": True, "require_form_consent": True}
    assert suppression_reason({"email": "gone@acme.com"}, {}, lists, **kw) == \
        "email on do-not-contact list unsubscribes.csv"
    assert "domain competitor.io" in suppression_reason({"email": "x@competitor.io"}, {}, lists, **kw)
    assert suppression_reason({"email": "a@ok.com", "phone": "+14155550100"}, {}, lists, **kw) == \
        "phone on do-not-contact list unsubscribes.csv"
    assert suppression_reason({"email": "info@ok.com"}, {"email_role": True}, lists, **kw).startswith("role address")
    assert suppression_reason({"email": "a@ok.com"}, {"email_disposable": True}, lists, **kw) == \
        "disposable email address"
    assert suppression_reason({"email": "a@ok.com"}, {"from_form": True}, lists, **kw) == \
        "web form lead without email consent"
    assert suppression_reason({"email": "a@ok.com", "email_consent": True}, {"from_form": True}, lists, **kw) is None


def test_a_do_not_contact_file_without_a_usable_column_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "list.csv"
    bad.write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(SuppressionListError, match="list.csv: needs an 'email', 'domain' or 'phone' column"):
        load_lists([bad])


def test_tombstones_suppress_without_keeping_the_address() -> None:
    key = b"a-test-tombstone-key-of-some-length"
    lists = SuppressionLists(tombstones={tombstone_hash("email", "Erased@Example.COM ", key)}, tombstone_key=key)
    why = suppression_reason({"email": "erased@example.com"}, {}, lists, role=True, disposable=True,
                             require_form_consent=False)
    assert why.startswith("erased on request")
    assert "erased@example.com" not in repr(lists)
    assert "a-test-tombstone-key" not in repr(lists)  # nor the key, should the lists be logged


def test_national_dnc_registry_extract_in_its_published_format(tmp_path: Path) -> None:
    extract = tmp_path / "dnc.txt"
    extract.write_text("201,5550123\n4155550199\n\n", encoding="utf-8")
    assert load_dnc_registry(extract) == {"12015550123", "14155550199"}
    extract.write_text("201,5550123\n201-555-0124\n", encoding="utf-8")
    with pytest.raises(SuppressionListError, match=r"dnc.txt line 2: expected 'area code,number'"):
        load_dnc_registry(extract)


def _cfg(downloaded: date, **kw) -> SuppressionConfig:
    return SuppressionConfig(national_dnc_registry={"path": "x", "downloaded_on": downloaded}, **kw)


def test_phones_on_the_registry_or_with_a_stale_check_may_not_be_called() -> None:
    registry = {"12015550123"}
    today = date(2026, 11, 23)
    fresh = _cfg(today - timedelta(days=31))
    listed = decide({"email": "a@b.com", "phone": "+12015550123"}, {}, SuppressionLists(), fresh,
                    registry=registry, today=today)
    assert (listed.suppressed, listed.phone_callable, listed.dnc_status) == (None, False, "registered")
    clean = decide({"email": "a@b.com", "phone": "+12015550100"}, {}, SuppressionLists(), fresh,
                   registry=registry, today=today)
    assert (clean.phone_callable, clean.dnc_status, clean.dnc_checked_at) == (True, "not_registered",
                                                                              today - timedelta(days=31))
    stale = decide({"email": "a@b.com", "phone": "+12015550100"}, {}, SuppressionLists(),
                   _cfg(today - timedelta(days=32)), registry=registry, today=today)
    assert (stale.phone_callable, stale.dnc_status) == (False, "stale")
    assert "older than 31 days" in stale.phone_note
    german = decide({"email": "a@b.de", "phone": "+4930901820"}, {}, SuppressionLists(),
                    _cfg(today - timedelta(days=90)), registry=registry, today=today)
    assert german.phone_callable and german.dnc_status is None  # the US registry does not cover +49


def test_gdpr_email_rule_per_country_and_consent_evidence() -> None:
    cfg = SuppressionConfig(email_rules={"de": "consent", "GB": "legitimate_interest"},
                            legitimate_interest_ref="LIA-7", require_consent_for_forms=False)
    today = date(2026, 11, 23)
    de = decide({"email": "a@b.de", "country": "DE"}, {}, SuppressionLists(), cfg, registry=None, today=today)
    assert de.suppressed == "GDPR: email in DE needs prior consent and none is on record"
    de_ok = decide({"email": "a@b.de", "country": "DE", "email_consent": True, "lead_source": "web_forms",
                    "submitted_at": "2026-11-01T10:00:00Z"}, {}, SuppressionLists(), cfg, registry=None, today=today)
    assert (de_ok.suppressed, de_ok.lawful_basis) == (None, "consent")
    assert de_ok.consent_evidence == "form web_forms at 2026-11-01T10:00:00Z"
    gb = decide({"email": "a@b.co.uk", "country": "GB"}, {}, SuppressionLists(), cfg, registry=None, today=today)
    assert (gb.suppressed, gb.lawful_basis, gb.lia_ref) == (None, "legitimate_interest", "LIA-7")
    us = decide({"email": "a@b.com", "country": "US"}, {}, SuppressionLists(), cfg, registry=None, today=today)
    assert (us.suppressed, us.lawful_basis) == (None, "n/a")


ROUTING = RoutingConfig(
    territories=[Territory(name="DACH", countries=["DE", "AT"], team="dach"),
                 Territory(name="US West", countries=["US"], regions=["US-CA"], team="west")],
    teams={"dach": ["anna", "jonas"], "west": ["maria"], "intl": ["sofia"]}, default_team="intl",
)


def test_routing_account_owner_wins_then_territory_round_robin() -> None:
    people = [{"person_id": f"p{i}", "country": "DE", "domain": f"d{i}.de"} for i in range(4)]
    people += [{"person_id": "p9", "country": "US", "state": "us-ca"}, {"person_id": "p8", "country": "FR"}]
    out = assign_owners(people, ROUTING, {"d0.de": "kim"}, {"p1": "old-owner"}, {"dach": 1})
    assert (out["p0"].owner, out["p0"].reason) == ("kim", "existing account owner of d0.de")
    assert out["p1"].owner == "old-owner"
    # p2, p3 rotate through the DACH team, continuing after the 1 person it already owns
    assert [out["p2"].owner, out["p3"].owner] == ["jonas", "anna"]
    assert out["p9"].owner == "maria"
    assert (out["p8"].owner, out["p8"].team) == ("sofia", "intl")


def test_routing_config_names_missing_teams() -> None:
    with pytest.raises(ValueError, match=r"team\(s\) \['nowhere'\] are used by territories"):
        RoutingConfig(territories=[Territory(name="X", team="nowhere")], teams={})

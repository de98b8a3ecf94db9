"""The frame-wise qualification (leadpipe.pipeline.decisions) decides exactly as the per-record rules do.

Two independent expectations: a few people whose verdicts are worked out by hand from the config below,
and thousands of generated people checked against the per-record functions (classify_title, markets_for,
score_lead, decide, normalise_email) called one person at a time, as the qualify stage did before.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from enrichment.normalise import normalise_email
from enrichment.personas import classify_title, persona_for
from enrichment.revenue import parse_revenue
from enrichment.score import LeadFacts, score_lead
from enrichment.segment import markets_for
from enrichment.suppress import SuppressionLists, decide, tombstone_hash
from leadpipe.pipeline.decisions import Context, decide_frame
from leadpipe.pipeline.settings import Config

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REG_DAY = NOW.date() - timedelta(days=3)

CONFIG = {
    "sources": [{"name": "web_forms", "type": "file", "kind": "form", "path": "x.csv"}],
    "markets": [
        {"name": "dach_mid", "label": "DACH mid", "countries": ["DE", "AT", "CH"], "min_employees": 50,
         "max_employees": 5000},
        {"name": "us_enterprise", "label": "US enterprise", "countries": ["US"], "min_revenue": 50_000_000},
        {"name": "uk", "label": "UK", "countries": ["GB"], "industries": ["Software"]},
        {"name": "ca_west", "label": "CA", "countries": ["US"], "regions": ["US-CA"]},
    ],
    "personas": [
        {"name": "Economic Buyer", "seniorities": ["owner", "c_level", "vp"]},
        {"name": "Champion", "seniorities": ["director", "manager"], "departments": ["sales", "marketing"]},
    ],
    "scoring": {
        "market_points": {"dach_mid": 25, "us_enterprise": 20, "uk": 15},
        "seniority_points": {"owner": 30, "c_level": 30, "vp": 25, "director": 20, "manager": 10},
        "persona_points": {"Economic Buyer": 10, "Champion": 5},
        "company_size_points": [{"min_employees": 50, "max_employees": 5000, "points": 5},
                                {"min_employees": 5001, "points": 2}],
        "work_email_points": 10, "phone_points": 5, "completeness_points": {"job_title": 2, "company": 2},
        "form_submission_points": 15,
        "form_recency_points": [{"within_days": 7, "points": 10}, {"within_days": 30, "points": 5}],
        "source_points": {"web_forms": 5}, "intent_half_life_days": 90, "qualify_at": 40,
        "tiers": {"A": 75, "B": 60, "C": 40},
    },
    "suppression": {
        "email_rules": {"NL": "consent", "GB": "legitimate_interest"}, "default_email_rule": "none",
        "legitimate_interest_ref": "LIA-1",
        "national_dnc_registry": {"path": "registry.txt", "downloaded_on": REG_DAY.isoformat()},
    },
}


def _config(**scoring: object) -> Config:
    data = {**CONFIG, "scoring": {**CONFIG["scoring"], **scoring}}
    return Config.model_validate(data)


def _lists() -> SuppressionLists:
    return SuppressionLists(
        emails={"blocked@acme.com": "unsubscribes.csv"}, domains={"rival.com": "competitors.csv"},
        phones={"14155550100": "calls.csv", "+14155550100": "calls.csv"},
        tombstones={tombstone_hash("email", "gone@erased.com", b"a-test-tombstone-key-of-some-length")},
        tombstone_key=b"a-test-tombstone-key-of-some-length")


REGISTRY = {"12125550177"}
COLUMNS = ["first_name", "last_name", "email", "phone", "company", "domain", "employees", "industry", "job_title",
           "state", "country", "email_consent", "consent_evidence", "submitted_at", "annual_revenue",
           "person_id", "primary_raw_row_id", "lead_source", "from_form"]


def _person(**values: object) -> dict:
    base = {c: None for c in COLUMNS}
    return {**base, "company": "Acme", "lead_source": "vendor_apollo", "from_form": False, **values}


def test_hand_worked_verdicts() -> None:
    people = pd.DataFrame([
        # CEO, DE 200 staff: dach_mid 25 + c_level 30 + Economic Buyer 10 + size 5 + work email 10 + title/company 4
        _person(person_id="p1", primary_raw_row_id=1, email="anna@weber.de", job_title="CEO", employees=200.0,
                country="DE"),
        # VP Sales, US, revenue range lower bound $50M fits the enterprise band; registered phone withheld
        _person(person_id="p2", primary_raw_row_id=2, email="bo@big.com", job_title="VP Sales", country="US",
                state="US-NY", annual_revenue="$50 mil. - $100 mil.", phone="+1 212 555 0177"),
        # the same but $25M: no market, 25 + 10 + 10 + 5 + 4 = 54 -> C
        _person(person_id="p3", primary_raw_row_id=3, email="cy@mid.com", job_title="VP Sales", country="US",
                annual_revenue="25000000", phone="+12125550100"),
        # Dutch lead without consent: GDPR rule
        _person(person_id="p4", primary_raw_row_id=4, email="dirk@nl-co.nl", job_title="CEO", country="NL"),
        # a form lead without consent
        _person(person_id="p5", primary_raw_row_id=5, email="eve@form.com", job_title="CTO", country="US",
                from_form=True, lead_source="web_forms", submitted_at="2026-11-21T12:00:00Z"),
        # a form lead with consent, two days old: 15 + 10 + 5 intent, decayed by 0.5 ** (2 / 90)
        _person(person_id="p6", primary_raw_row_id=6, email="fay@form.com", job_title="Marketing Manager",
                country="GB", industry="Software", from_form=True, lead_source="web_forms", email_consent=True,
                submitted_at="2026-11-21T12:00:00Z"),
        _person(person_id="p7", primary_raw_row_id=7, email="info@acme.com", job_title="CEO", country="US"),
        _person(person_id="p8", primary_raw_row_id=8, email="gone@erased.com", job_title="CEO", country="US"),
        _person(person_id="p9", primary_raw_row_id=9, email="hal@rival.com", job_title="CEO", country="US",
                domain="rival.com"),
        _person(person_id="p10", primary_raw_row_id=10, email=None, job_title="CEO", country="DE", employees=60.0),
    ])
    dec = decide_frame(people, _config(), Context(_lists(), REGISTRY, NOW)).set_index(people["person_id"])
    assert dec.loc["p1", ["score", "tier", "market", "persona", "outcome"]].tolist() == [84, "A", "dach_mid",
                                                                                       "Economic Buyer", "prospect"]
    # p2: us_enterprise 20 + vp 25 + EB 10 + work email 10 + phone 5 + title/company 4 = 74
    assert dec.loc["p2", ["score", "tier", "market", "annual_revenue"]].tolist() == [74, "B", "us_enterprise", 50e6]
    assert dec.loc["p2", "dnc_status"] == "registered" and not dec.loc["p2", "phone_callable"]
    assert dec.loc["p2", "dnc_checked_at"] == REG_DAY.isoformat()
    assert dec.loc["p3", ["score", "tier", "market", "dnc_status"]].tolist() == [54, "C", None, "not_registered"]
    assert dec.loc["p4", "reason"] == "GDPR: email in NL needs prior consent and none is on record"
    assert dec.loc["p4", "lawful_basis"] == "n/a"
    assert dec.loc["p5", ["outcome", "reason"]].tolist() == ["suppressed", "web form lead without email consent"]
    decay = 0.5 ** (2 / 90)
    intent = round(round(15 * decay, 1) + round(10 * decay, 1) + round(5 * decay, 1))
    # uk 15 + manager 10 + Champion 5 + work email 10 + title/company 4 = 44 fit
    assert dec.loc["p6", ["fit_score", "intent_score", "score"]].tolist() == [44, intent, 44 + intent]
    assert dec.loc["p6", "lawful_basis"] == "consent"
    assert dec.loc["p6", "consent_evidence"] == "form web_forms at 2026-11-21T12:00:00Z"
    assert dec.loc["p7", "reason"] == "role address (info@, sales@ ...): not a person"
    assert dec.loc["p8", "reason"] == "erased on request (GDPR Art. 17): never re-contact"
    assert dec.loc["p9", "reason"] == "domain rival.com on do-not-contact list competitors.csv"
    assert dec.loc["p10", ["outcome", "reason"]].tolist() == ["disqualified", "no usable email address"]


# ---------------------------------------------------------------- against the per-record rules

TITLES = ["CEO", "VP Eng", "Head of RevOps", "Geschäftsführer", "Directeur commercial", "Jefe de ventas",
          "Product Owner", "HR Business Partner", "Cook", "Sr Acct Exec", "Mangaer", "Intern", "", None,
          "Software Engineer", "Chief Revenue Officer", "Marketing Manager", "Office Assistant"]
EMAILS = ["{n}@acme.com", "{n}@gmail.com", "info@{n}.com", "sales.emea@{n}.de", "{n}@mailinator.com",
          "{n}@rival.com", "blocked@acme.com", "gone@erased.com", "{n}@müller.de", "", None]
PHONES = ["+12125550177", "+14155550100", "+4930123456", "+13125550142", "", None]
SUBMITTED = ["2026-11-21T12:00:00Z", "2026-10-01T08:30:00+02:00", "2025-01-24T23:02:38Z", "2026-11-20",
             "21/11/2026 10:00", "not a date", "", None]
CONSENT = [True, False, None, "yes", "no", "TRUE", "1"]
REVENUE = ["$50 mil. - $100 mil.", "25000000", "1,2 Mrd. €", "n/a", "", None, 80e6]


def _generated(n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        name = f"p{i}"
        email = rng.choice(EMAILS)
        rows.append(_person(
            person_id=name, primary_raw_row_id=i + 1, email=email.format(n=name) if email else email,
            phone=rng.choice(PHONES), company=rng.choice(["Acme", "", None]), domain=rng.choice(["rival.com", "x.de",
                                                                                                  "", None]),
            employees=rng.choice([None, 10.0, 50.0, 200.0, 5000.0, 5001.0, 20000.0]),
            industry=rng.choice(["Software", "software", "Retail", None]), job_title=rng.choice(TITLES),
            state=rng.choice(["US-CA", "us-ca", "US-NY", None]),
            country=rng.choice(["DE", "AT", "US", "GB", "NL", "FR", "", None]), email_consent=rng.choice(CONSENT),
            consent_evidence=rng.choice([None, "", "double opt-in 2026-01-02"]),
            submitted_at=rng.choice(SUBMITTED), annual_revenue=rng.choice(REVENUE),
            lead_source=rng.choice(["web_forms", "vendor_apollo", None]), from_form=rng.choice([True, False])))
    return pd.DataFrame(rows)


def _reference(rec: dict, cfg: Config, lists: SuppressionLists, registry: set[str]) -> dict:
    """The qualify stage's per-person loop as it was before the frame-wise version."""
    email = normalise_email(rec.get("email"))
    title = classify_title(rec.get("job_title"))
    persona = persona_for(title.seniority, title.department, cfg.personas) if title.seniority else None
    employees = int(rec["employees"]) if rec.get("employees") is not None else None
    markets = markets_for(rec.get("country"), rec.get("industry"), employees, cfg.markets, region=rec.get("state"),
                          revenue=parse_revenue(rec.get("annual_revenue")))
    ts = pd.to_datetime(rec.get("submitted_at"), errors="coerce", utc=True) if rec.get("submitted_at") else None
    facts = LeadFacts(markets=markets, seniority=title.seniority, persona=persona, employees=employees,
                      has_work_email=bool(rec.get("email")) and not email.free, has_phone=bool(rec.get("phone")),
                      filled=frozenset(k for k, v in rec.items() if v not in (None, "")),
                      from_form=bool(rec.get("from_form")), source=rec.get("lead_source"),
                      captured_at=None if ts is None or pd.isna(ts) else ts.to_pydatetime())
    score = score_lead(facts, cfg.scoring, NOW)
    flags = {"email_role": email.role, "email_disposable": email.disposable, "from_form": rec.get("from_form")}
    verdict = decide(rec, flags, lists, cfg.suppression, registry=registry, today=NOW.date())
    if verdict.suppressed:
        outcome, reason = "suppressed", verdict.suppressed
    elif not score.qualified:
        parts = ", ".join(f"{p['rule']} +{p['points']}" for p in score.breakdown) or "no points"
        outcome, reason = "disqualified", f"score {score.total} below {cfg.scoring.qualify_at} ({parts})"
    elif not rec.get("email"):
        outcome, reason = "disqualified", "no usable email address"
    else:
        outcome, reason = "prospect", None
    return {"market": markets[0] if markets else None, "markets": ", ".join(markets) or None,
            "seniority": title.seniority or None, "department": title.department or None, "persona": persona,
            "score": score.total, "fit_score": score.fit, "intent_score": score.intent, "tier": score.tier or None,
            "parts": score.breakdown, "lawful_basis": verdict.lawful_basis,
            "consent_evidence": verdict.consent_evidence, "lia_ref": verdict.lia_ref, "dnc_status": verdict.dnc_status,
            "dnc_checked_at": verdict.dnc_checked_at.isoformat() if verdict.dnc_checked_at else None,
            "phone_withheld": verdict.phone_note, "phone_callable": verdict.phone_callable,
            "suppressed": verdict.suppressed, "is_role_based": email.role, "is_disposable": email.disposable,
            "outcome": outcome, "reason": reason}


@pytest.mark.parametrize("stale", [False, True])
def test_frame_decisions_equal_the_per_record_rules(stale: bool) -> None:
    cfg = _config()
    if stale:  # a registry extract older than 31 days: every covered phone is withheld
        data = {**CONFIG, "suppression": {**CONFIG["suppression"], "national_dnc_registry": {
            "path": "registry.txt", "downloaded_on": (NOW.date() - timedelta(days=40)).isoformat()}}}
        cfg = Config.model_validate(data)
    people = _generated(3000, seed=11 + stale)
    lists = _lists()
    dec = decide_frame(people, cfg, Context(lists, REGISTRY, NOW))
    outcomes = set()
    for i, rec in enumerate(people.to_dict("records")):
        rec = {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in rec.items()}
        want = _reference(rec, cfg, lists, REGISTRY)
        got = {k: dec.at[i, k] for k in want}
        got = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in got.items()}
        assert got == want, (rec, {k: (got[k], want[k]) for k in want if got[k] != want[k]})
        outcomes.add((want["outcome"], (want["reason"] or "").split(" ")[0]))
    # the generated set reaches every kind of verdict, so the comparison covers them all
    assert {o for o, _ in outcomes} == {"prospect", "suppressed", "disqualified"}
    assert len(outcomes) >= 8


def test_a_revenue_band_market_needs_a_known_revenue() -> None:
    cfg = _config()
    people = pd.DataFrame([_person(person_id=f"r{i}", primary_raw_row_id=i, email=f"r{i}@big.com", country="US",
                                   annual_revenue=value)
                           for i, value in enumerate(["$250 mil. - $500 mil.", "49,999,000", "", "unknown", 5e7])])
    dec = decide_frame(people, cfg, Context(SuppressionLists(), None, NOW))
    assert dec["market"].tolist() == ["us_enterprise", None, None, None, "us_enterprise"]
    assert dec["annual_revenue"].tolist()[:2] == [250e6, 49_999_000.0]


def test_today_is_the_run_day_for_dnc_age() -> None:
    assert (NOW.date() - REG_DAY).days == 3 and isinstance(REG_DAY, date)

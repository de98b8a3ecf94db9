"""Channel readiness rules (enrichment.channels): email, phone, LinkedIn, preferred channel, calling window.

Phone facts come from libphonenumber's metadata (the phonenumbers package), not from this code: a German
mobile range (+49 151) is a mobile, US +1 800 is toll-free, +1 900 premium rate, a UK mobile rings in London.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.sources.mapping import map_headers
from enrichment.channels import (
    CallingWindow,
    ChannelsConfig,
    CrmFlag,
    CrmFlags,
    email_readiness,
    in_calling_window,
    minutes_until_window,
    normalise_linkedin_url,
    phone_readiness,
    preferred_channel,
)

CFG = ChannelsConfig()
TODAY = date(2026, 12, 7)


def _email(**kw: object):
    args = {"email": "jane@acme.example", "country": "US", "email_rule": "none", "consented": False,
            "lawful_basis": "n/a", "deliverability": "valid"}
    return email_readiness(**{**args, **kw})


def test_email_is_sendable_with_its_basis_and_mx_state_named() -> None:
    ok = _email()
    assert ok.sendable and ok.reason == "no prior consent needed in US; domain accepts mail (MX)"
    li = _email(country="GB", email_rule="legitimate_interest", lawful_basis="legitimate_interest", lia_ref="LIA-9")
    assert li.sendable and li.reason.startswith("legitimate interest (LIA-9)")
    catch_all = _email(deliverability="catch_all")
    assert catch_all.sendable and "catch-all" in catch_all.reason
    assert "MX not checked" in _email(deliverability=None).reason


@pytest.mark.parametrize(("kw", "reason"), [
    ({"email": None}, "no valid email address"),
    ({"flags": CrmFlags(email_opted_out=CrmFlag("hubspot", date(2026, 11, 2)))},
     "unsubscribed from email per hubspot since 2026-11-02"),
    ({"flags": CrmFlags(email_hard_bounced=CrmFlag("salesforce", datetime(2026, 11, 3, 8, tzinfo=UTC)))},
     "hard bounced per salesforce since 2026-11-03"),
    ({"deliverability": "invalid", "deliverability_reason": "domain does not exist (NXDOMAIN)"},
     "domain takes no mail (domain does not exist (NXDOMAIN))"),
    ({"role": True}, "role address (info@, sales@ ...): not a person"),
    ({"disposable": True}, "disposable email address"),
    ({"country": "NL", "email_rule": "consent"}, "email in NL needs prior consent and none is on record"),
    ({"suppressed": "email on do-not-contact list dnc.csv"}, "person is suppressed: email on do-not-contact list dnc.csv"),
])
def test_email_is_not_sendable_and_says_why(kw: dict, reason: str) -> None:
    got = _email(**kw)
    assert (got.sendable, got.reason) == (False, reason)


def test_consent_on_record_makes_email_sendable_where_the_country_asks_for_it() -> None:
    got = _email(country="NL", email_rule="consent", consented=True, lawful_basis="consent")
    assert got.sendable and got.reason.startswith("consent on record")


def _phone(phone: str | None, **kw: object):
    args = {"dnc_status": None, "dnc_checked_at": None, "today": TODAY, "max_age_days": 31, "cfg": CFG}
    return phone_readiness(phone, **{**args, **kw})


def test_phone_line_type_and_time_zone_come_from_the_numbering_plan() -> None:
    mobile = _phone("+4915112345678")
    assert (mobile.callable, mobile.line_type, mobile.timezone) == (True, "mobile", "Europe/Berlin")
    assert _phone("+493012345678").line_type == "fixed_line"
    assert _phone("+447911123456").timezone == "Europe/London"  # London, Jersey, Guernsey, Man: one clock
    toll_free = _phone("+18005551234")
    assert (toll_free.line_type, toll_free.timezone) == ("toll_free", None)  # rings anywhere in NANP
    assert toll_free.callable and "possible time zones" in toll_free.reason


@pytest.mark.parametrize(("phone", "kw", "reason"), [
    (None, {}, "no phone number"),
    ("+4912", {}, "not a valid phone number"),
    ("+19005551234", {}, "premium rate number: not called"),
    ("+12125550177", {"dnc_status": "registered", "dnc_checked_at": "2026-12-01"},
     "on the national Do-Not-Call registry (checked 2026-12-01)"),
    ("+12125550177", {"dnc_status": "not_registered", "dnc_checked_at": "2026-11-05"},
     "DNC check of 2026-11-05 is 32 days old (more than 31): re-scrub before calling"),
    ("+12125550177", {"flags": CrmFlags(do_not_call=CrmFlag("salesforce", date(2026, 12, 6)))},
     "do-not-call per salesforce since 2026-12-06"),
])
def test_phone_is_not_callable_and_says_why(phone: str | None, kw: dict, reason: str) -> None:
    got = _phone(phone, **kw)
    assert (got.callable, got.reason) == (False, reason)


def test_a_dnc_check_exactly_31_days_old_is_still_fresh() -> None:
    got = _phone("+12125550177", dnc_status="not_registered", dnc_checked_at=date(2026, 11, 6))
    assert got.callable and "checked 2026-11-06, 31 days ago" in got.reason
    assert got.timezone == "America/New_York"


def test_calling_window_is_judged_in_the_numbers_local_time() -> None:
    window = CallingWindow(start="09:00", end="17:00", days=["mon", "tue", "wed", "thu", "fri"])
    monday_15_utc = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert in_calling_window("America/New_York", monday_15_utc, window) is True  # 10:00
    assert in_calling_window("America/Los_Angeles", monday_15_utc, window) is False  # 07:00
    assert in_calling_window("Europe/Berlin", monday_15_utc, window) is True  # 16:00
    assert in_calling_window("Europe/Berlin", datetime(2026, 12, 7, 16, 0, tzinfo=UTC), window) is False  # 17:00
    assert in_calling_window("Europe/Berlin", datetime(2026, 12, 5, 10, 0, tzinfo=UTC), window) is False  # Saturday
    assert in_calling_window(None, monday_15_utc, window) is None


def test_calling_window_settings_refuse_what_a_sales_ops_person_could_get_wrong() -> None:
    with pytest.raises(ValidationError, match="write the time in quotes"):
        CallingWindow.model_validate({"start": 540, "end": "17:00"})  # YAML's reading of 09:00 unquoted
    with pytest.raises(ValidationError, match="start 18:00 must be before end 09:00"):
        CallingWindow(start="18:00", end="09:00")
    with pytest.raises(ValidationError, match=r"unknown line type\(s\) \['fax'\]"):
        ChannelsConfig(not_callable_line_types=["fax"])


@pytest.mark.parametrize(("given_", "expected"), [
    ("https://www.linkedin.com/in/jane-doe-123", "https://www.linkedin.com/in/jane-doe-123"),
    ("linkedin.com/in/jane-doe-123/?trk=public_profile", "https://www.linkedin.com/in/jane-doe-123"),
    ("http://de.linkedin.com/in/j%C3%BCrgen-m%C3%BCller#about", "https://www.linkedin.com/in/jürgen-müller"),
    ("  https://www.linkedin.com/in/jane-doe/details/experience/ ", "https://www.linkedin.com/in/jane-doe"),
    ("javascript:alert(document.cookie)//linkedin.com/in/x", None),
    ("https://www.linkedin.com.evil.example/in/jane", None),
    ("https://evil.example/?u=https://www.linkedin.com/in/jane", None),
    ("https://jane@www.linkedin.com/in/jane", None),
    ("https://www.linkedin.com:8443/in/jane", None),
    ("https://www.linkedin.com/company/acme", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("https://www.linkedin.com/in/<script>", None),
    ("ftp://www.linkedin.com/in/jane", None),
    ("", None),
    (None, None),
])
def test_linkedin_urls_are_normalised_and_hostile_ones_refused(given_: object, expected: str | None) -> None:
    assert normalise_linkedin_url(given_) == expected


@given(st.text(max_size=80))
def test_a_kept_linkedin_url_is_always_a_plain_profile_url_and_stays_as_it_is(text: str) -> None:
    for candidate in (text, f"https://www.linkedin.com/in/{text}", f"linkedin.com/in/{text}"):
        got = normalise_linkedin_url(candidate)
        if got is not None:
            assert re.fullmatch(r"https://www\.linkedin\.com/in/[A-Za-z0-9\u00C0-\u024F\-_.]{3,100}", got), got
            assert normalise_linkedin_url(got) == got


def test_the_forms_stated_preference_wins_when_that_channel_is_ready() -> None:
    ready = {"email": True, "phone": True, "linkedin": False}
    assert preferred_channel("Phone call", ready, CFG).channel == "phone"
    assert preferred_channel("Phone call", ready, CFG).reason == "asked for phone in the form"
    fallback = preferred_channel("LinkedIn", ready, CFG)
    assert fallback.channel == "email" and "asked for linkedin in the form, but linkedin is not ready" in fallback.reason
    rule = preferred_channel(None, {"email": False, "phone": True, "linkedin": True},
                             ChannelsConfig(preferred_order=["linkedin", "phone", "email"]))
    assert rule.channel == "linkedin" and "preferred_order (linkedin, phone, email)" in rule.reason
    assert preferred_channel("email", {"email": False, "phone": False, "linkedin": False}, CFG).channel is None


def test_vendor_and_form_headers_map_to_the_persons_linkedin_url_never_the_companys() -> None:
    apollo = map_headers(["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website",
                          "City", "State", "Country", "# Employees", "Industry", "Annual Revenue",
                          "Company Linkedin Url", "Person Linkedin Url"], "apollo")
    assert apollo.fields["linkedin_url"] == "Person Linkedin Url"
    other = map_headers(["Email", "Company LinkedIn URL", "Preferred contact method"])
    assert "linkedin_url" not in other.fields and other.fields["preferred_channel"] == "Preferred contact method"
    form = map_headers(["submitted_at", "full_name", "email", "company", "phone", "job_title", "country", "website",
                        "consent_email", "linkedin_url", "preferred_channel"], "web_form")
    assert (form.fields["linkedin_url"], form.fields["preferred_channel"]) == ("linkedin_url", "preferred_channel")


def test_minutes_until_the_calling_window_opens_counts_weekends_and_daylight_saving() -> None:
    window = CallingWindow()  # 09:00-17:00, Monday to Friday
    monday_15_utc = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert minutes_until_window("America/New_York", monday_15_utc, window) == 0  # 10:00, inside
    assert minutes_until_window("America/Los_Angeles", monday_15_utc, window) == 120  # 07:00
    assert minutes_until_window("Asia/Tokyo", monday_15_utc, window) == 9 * 60  # Tuesday 00:00
    friday_evening_berlin = datetime(2026, 12, 11, 17, 30, tzinfo=UTC)  # Friday 18:30 in Berlin
    assert minutes_until_window("Europe/Berlin", friday_evening_berlin, window) == (2 * 24 + 14) * 60 + 30
    # Saturday 28 March 2026 12:00 UTC in Berlin (13:00 CET); the clocks go forward on Sunday, so Monday
    # 09:00 CEST is 07:00 UTC: 43 hours of real time, not 44
    assert minutes_until_window("Europe/Berlin", datetime(2026, 3, 28, 12, 0, tzinfo=UTC), window) == 43 * 60
    assert minutes_until_window(None, monday_15_utc, window) is None
    assert minutes_until_window("Not/AZone", monday_15_utc, window) is None

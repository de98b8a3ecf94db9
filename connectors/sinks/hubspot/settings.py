"""Settings of the HubSpot sink (`sink.hubspot:`) and its default field mapping.

The private-app token is never here: it comes from an Airflow Connection or LEADPIPE_HUBSPOT_TOKEN.
"""

from __future__ import annotations

from pydantic import Field

from connectors.sinks.base import SinkCapabilities
from leadpipe.core.settings import Strict

# lp_* contact properties are created by the sink when missing (HubSpotSink.ensure_properties).
CUSTOM_CONTACT_PROPS = {
    "lp_person_id": "leadpipe person id", "lp_score": "leadpipe score", "lp_tier": "leadpipe tier",
    "lp_market": "leadpipe market", "lp_persona": "leadpipe persona", "lp_lead_source": "leadpipe lead source",
    "lp_seniority": "leadpipe seniority", "lp_department": "leadpipe department", "lp_owner": "leadpipe owner",
    "lp_lawful_basis": "leadpipe lawful basis", "lp_consent_evidence": "leadpipe consent evidence",
    "lp_lia_ref": "leadpipe LIA reference", "lp_dnc_status": "leadpipe DNC status",
    "lp_dnc_checked_at": "leadpipe DNC checked on",
    # channel readiness (enrichment.channels); HubSpot's own opt-out and timezone properties are the CRM's to
    # set (hs_email_optout, hs_timezone is an enumeration of its own), so ours are separate text properties
    "lp_email_sendable": "leadpipe email sendable", "lp_email_reason": "leadpipe email reason",
    "lp_phone_callable": "leadpipe phone callable", "lp_phone_reason": "leadpipe phone reason",
    "lp_phone_line_type": "leadpipe phone line type", "lp_phone_timezone": "leadpipe phone time zone",
    "lp_preferred_channel": "leadpipe preferred channel",
    "lp_preferred_channel_reason": "leadpipe preferred channel reason",
}

DEFAULT_MAP = {
    "email": "email", "first_name": "firstname", "last_name": "lastname", "company": "company",
    "job_title": "jobtitle", "phone": "phone", "country": "country", "domain": "website",
    "annual_revenue": "annualrevenue",
    # HubSpot's default contact address properties; line 2 goes into `address` after line 1
    "street": "address", "city": "city", "state": "state", "postcode": "zip",
    "person_id": "lp_person_id", "score": "lp_score", "tier": "lp_tier", "market": "lp_market",
    "persona": "lp_persona", "seniority": "lp_seniority", "department": "lp_department", "owner": "lp_owner",
    "lead_source": "lp_lead_source", "lawful_basis": "lp_lawful_basis", "consent_evidence": "lp_consent_evidence",
    "lia_ref": "lp_lia_ref", "dnc_status": "lp_dnc_status", "dnc_checked_at": "lp_dnc_checked_at",
    # channel readiness; the LinkedIn URL goes to HubSpot's standard contact property "LinkedIn URL"
    "email_sendable": "lp_email_sendable", "email_reason": "lp_email_reason", "phone_callable": "lp_phone_callable",
    "phone_reason": "lp_phone_reason", "phone_line_type": "lp_phone_line_type", "phone_timezone": "lp_phone_timezone",
    "linkedin_url": "hs_linkedin_url", "preferred_channel": "lp_preferred_channel",
    "preferred_channel_reason": "lp_preferred_channel_reason",
}


class HubSpotSettings(Strict):
    connection_id: str = Field("hubspot_default", description="Airflow Connection holding the private-app token "
                               "(password field); env LEADPIPE_HUBSPOT_TOKEN also works.")
    host: str = Field("https://api.hubapi.com", description="API host; only change it for a test emulator.")
    requests_per_10s: int = Field(190, ge=1, le=250, description="Your app's burst limit: 100 Free/Starter, "
                                  "190 Professional/Enterprise, 250 with the limit-increase pack.")
    batch_size: int = Field(100, ge=1, le=100, description="Contacts per batch upsert (HubSpot allows 100).")
    association_batch_size: int = Field(1000, ge=1, le=2000)
    concurrency: int = Field(2, ge=1, le=8, description="Parallel requests sharing the one rate budget.")
    max_retries: int = Field(8, ge=0, le=50, description="Retries of one call on 423/5xx or a dropped connection "
                             "before giving up; 429s are waited out up to 5 times as often (at least 20).")
    retry_max_seconds: float = Field(600, ge=0, le=3600, description="No retry of one call starts later than "
                                     "this after its first try (shared retry policy).")
    company_key_property: str = Field("lp_domain_key", description="Unique company property holding the domain.")
    associate_companies: bool = True
    do_not_call_property: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$", description="CRM feedback: "
                                             "the contact property holding your do-not-call flag (HubSpot has "
                                             "no standard one); unset: no do-not-call flags come from HubSpot.")
    feedback_page_size: int = Field(200, ge=1, le=200, description="CRM feedback: contacts per search page "
                                    "(HubSpot allows 200).")
    match_existing: bool = Field(True, description="Read matching CRM contacts by email before pushing new "
                                 "prospects, so the plan shows updates and conflicts.")

# What this sink declares it can do: read with its settings, without the CRM client (see __init__).
CAPABILITIES = SinkCapabilities(upsert_keys=("email",), named_lists=True, batch_size=100, lookup_existing=True,
                                writable_fields=frozenset(DEFAULT_MAP), required_fields=("person_id", "email", "score"))

"""The canonical lead schema: the one shape every source is mapped into and every stage reads.

Sources differ wildly in their headers ("E-mail Address", "Work Email", "email"); stages should not care.
Each field says which group it belongs to, so documentation, the CRM mapping and the GDPR tooling
(which fields hold personal data) are all derived from this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Group = Literal["lineage", "identity", "contact", "company", "job", "geography", "consent"]


@dataclass(frozen=True)
class LeadField:
    name: str
    group: Group
    description: str
    personal: bool = False  # personal data under GDPR: erased by `leadpipe forget`


LEAD_FIELDS: tuple[LeadField, ...] = (
    # lineage: where the row came from, so any value can be traced back to a file and row
    LeadField("raw_row_id", "lineage", "Warehouse id of the untouched source row (raw_rows.id)."),
    LeadField("source", "lineage", "Configured source name, e.g. 'vendor_apollo' or 'web_forms'."),
    LeadField("source_file", "lineage", "File name (or table) the row was read from."),
    LeadField("source_row", "lineage", "1-based data row number inside that file, header excluded."),
    LeadField("source_kind", "lineage", "'purchased' for bought lists and databases, 'form' for web forms."),
    LeadField("submitted_at", "lineage", "When the lead was captured (form time or vendor export date), ISO 8601."),
    # identity
    LeadField("first_name", "identity", "Given name as normalised (title-cased, trimmed).", personal=True),
    LeadField("last_name", "identity", "Family name as normalised.", personal=True),
    LeadField("full_name", "identity", "Name exactly as the source gave it, kept for audit.", personal=True),
    # contact
    LeadField("email", "contact", "Email address, lower-cased; empty when missing or invalid.", personal=True),
    LeadField("phone", "contact", "Phone in E.164 (+4930123456); empty when unparseable.", personal=True),
    LeadField("linkedin_url", "contact", "LinkedIn profile URL as a vendor column or form field gives it; "
              "normalised to https://www.linkedin.com/in/<slug> by enrichment.channels (anything else is dropped).",
              personal=True),
    LeadField("preferred_channel", "contact", "The channel the person asked to be reached on in a form "
              "(email, phone or linkedin; other words are read by enrichment.channels)."),
    # company
    LeadField("company", "company", "Company display name as given, trimmed."),
    LeadField("company_key", "company", "Matching key: legal suffixes stripped, case-folded."),
    LeadField("website", "company", "Company website URL as given."),
    LeadField("domain", "company", "Registrable domain from the website, else from a non-free-mail email."),
    LeadField("employees", "company", "Employee count (integer) when the source has one."),
    LeadField("industry", "company", "Industry label from the source or from web enrichment."),
    LeadField("annual_revenue", "company", "Annual revenue as the vendor gives it (number or range such as "
              "'$25 mil. - $50 mil.'); read as a number, a range's lower bound, by enrichment.revenue."),
    # job
    LeadField("job_title", "job", "Job title as given, trimmed."),
    # geography: the person's postal address (never the company's: see connectors.sources.mapping)
    LeadField("street", "geography", "Street address line 1 (street and house number), normalised by "
              "enrichment.address: one case, common abbreviations written out (St. -> Street, Str. -> Straße).",
              personal=True),
    LeadField("address_line2", "geography", "Address line 2 (apartment, suite, floor, c/o), normalised as line 1.",
              personal=True),
    LeadField("house_number", "geography", "House number split from line 1 (or given in its own column), "
              "for matching; line 1 keeps it too.", personal=True),
    LeadField("city", "geography", "City as given.", personal=True),
    LeadField("state", "geography", "State / region, ISO 3166-2 subdivision code where known."),
    LeadField("postcode", "geography", "Postal code as given.", personal=True),
    LeadField("country", "geography", "ISO 3166-1 alpha-2 country code (DE, US, GB)."),
    # consent
    LeadField("email_consent", "consent", "True when the person opted in to email (form checkbox); else empty."),
    LeadField("lawful_basis", "consent", "GDPR lawful basis for contact: 'consent' or 'legitimate_interest'."),
    LeadField("consent_evidence", "consent", "Where the consent came from (form name + time), for audits."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in LEAD_FIELDS)
LINEAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in LEAD_FIELDS if f.group == "lineage")
# Fields a source may supply (everything except lineage, which the pipeline fills in).
MAPPABLE_FIELDS: tuple[str, ...] = tuple(f.name for f in LEAD_FIELDS if f.group != "lineage") + ("submitted_at",)
PERSONAL_FIELDS: tuple[str, ...] = tuple(f.name for f in LEAD_FIELDS if f.personal)

# What every sink receives per prospect (the local sink's columns, the CRM mappings' choices): who they are,
# why they are on the list (market, persona, score, tier), who owns them, and the compliance facts a CRM
# user must see before contacting them (lawful basis, consent evidence, DNC status and when it was checked).
PROSPECT_FIELDS: tuple[str, ...] = (
    "person_id", "email", "first_name", "last_name", "company", "job_title", "phone", "country", "domain",
    "annual_revenue", "market", "seniority", "department", "persona", "score", "tier", "owner", "lead_source",
    "lawful_basis", "consent_evidence", "lia_ref", "dnc_status", "dnc_checked_at",
    # the postal address (0005_prospect_address), last so that older CRM-import readers keep their columns
    "street", "address_line2", "city", "state", "postcode",
    # channel readiness (0008_channel_readiness), see CHANNEL_FIELDS
    "email_sendable", "email_reason", "phone_callable", "phone_reason", "phone_line_type", "phone_timezone",
    "linkedin_url", "preferred_channel", "preferred_channel_reason",
)

# Which channel reaches the prospect, and why (enrichment.channels): every sink receives these, the sink
# contract kit checks they land (connectors.sinks.kit), and `leadpipe explain` shows them.
CHANNEL_FIELDS: tuple[str, ...] = PROSPECT_FIELDS[PROSPECT_FIELDS.index("email_sendable"):]

# The postal address: survivorship takes these from one record as a unit (never the street of one row with
# the postcode of another). Country stays its own field: it drives market, phone region and compliance.
ADDRESS_FIELDS: tuple[str, ...] = ("street", "address_line2", "house_number", "city", "state", "postcode")

OUTCOMES: tuple[str, ...] = ("pushed", "merged", "suppressed", "disqualified", "quarantined")

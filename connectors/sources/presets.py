"""Header presets for vendor exports we know: canonical lead field -> the vendor's column header.

A preset saves the data engineer from writing a mapping for every purchased list. Vendors rename columns
now and then, so a preset header that is missing from a file is filled by header auto-mapping (see
`mapping.py`) where it can be, and an explicit `mapping` in the source config overrides single entries.
"""

from __future__ import annotations

from collections.abc import Iterable

# A file "is" a vendor's export when it carries at least this share of the preset's headers: vendors drop or
# rename a column now and then, and auto-mapping fills what the preset then misses.
PRESET_DETECT_SHARE = 0.8

PRESETS: dict[str, dict[str, str]] = {
    # Apollo.io "Export contacts" CSV.
    "apollo": {
        "first_name": "First Name",
        "last_name": "Last Name",
        "job_title": "Title",
        "company": "Company",
        "email": "Email",
        "phone": "Corporate Phone",
        "website": "Website",
        "city": "City",
        "state": "State",
        "country": "Country",
        "employees": "# Employees",
        "industry": "Industry",
        "annual_revenue": "Annual Revenue",  # a plain USD number
    },
    # ZoomInfo contact export.
    "zoominfo": {
        "first_name": "First Name",
        "last_name": "Last Name",
        "job_title": "Job Title",
        "company": "Company Name",
        "email": "Email Address",
        "phone": "Direct Phone Number",
        "website": "Website",
        "city": "Person City",
        "state": "Person State",
        "country": "Country",
        "employees": "Employees",
        "industry": "Primary Industry",
        # ZoomInfo also exports "Revenue (in 000s USD)"; the range needs no unit (a range keeps its lower bound)
        "annual_revenue": "Revenue Range (in USD)",
    },
    # Lusha contact list export.
    "lusha": {
        "first_name": "First Name",
        "last_name": "Last Name",
        "job_title": "Job Title",
        "company": "Company Name",
        "email": "Work Email",
        "phone": "Direct Phone",
        "website": "Company Domain",
        "city": "City",
        "state": "State",
        "country": "Country",
        "employees": "Company Size",
        "industry": "Company Industry",
    },
    # Seamless.AI contact export (numbered email / phone columns; the first is the best-rated one).
    "seamless_ai": {
        "first_name": "First Name",
        "last_name": "Last Name",
        "job_title": "Title",
        "company": "Company",
        "email": "Email 1",
        "phone": "Contact Phone 1",
        "website": "Website",
        "city": "Contact City",
        "state": "Contact State",
        "country": "Contact Country",
        "employees": "Company Staff Count",
        "industry": "Company Industry",
    },
    # A LinkedIn Sales Navigator style lead export (as written by common Sales Navigator export tools;
    # LinkedIn itself exports no emails, so those come from an enrichment column when present).
    "linkedin_sales_navigator": {
        "first_name": "First Name",
        "last_name": "Last Name",
        "job_title": "Title",
        "company": "Company",
        "email": "Email",
        "website": "Company Website",
        "country": "Country",
        "city": "City",
        "industry": "Industry",
        "employees": "Company Size",
    },
    # HubSpot CRM contacts export (property labels as column headers).
    "hubspot": {
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email",
        "phone": "Phone Number",
        "company": "Company Name",
        "job_title": "Job Title",
        "website": "Website URL",
        "city": "City",
        "state": "State/Region",
        "postcode": "Postal Code",
        "country": "Country/Region",
        "industry": "Industry",
        "employees": "Number of Employees",
        "annual_revenue": "Annual Revenue",
        "submitted_at": "Create Date",
    },
    # Our own web form export (one name field, explicit consent checkbox).
    "web_form": {
        "submitted_at": "submitted_at",
        "full_name": "full_name",
        "email": "email",
        "company": "company",
        "phone": "phone",
        "job_title": "job_title",
        "country": "country",
        "website": "website",
        "email_consent": "consent_email",
    },
}


# Columns a vendor's export carries only in some variants (the person's postal address): used when present,
# never counted by detect_preset nor reported missing. The company's address columns these exports also have
# ("Company Street Address", "Company Address", "Company City") are never the person's (mapping.py).
PRESET_OPTIONAL: dict[str, dict[str, str]] = {
    "apollo": {
        "linkedin_url": "Person Linkedin Url",
    },
    "web_form": {
        "linkedin_url": "linkedin_url",
        "preferred_channel": "preferred_channel",
    },
    "linkedin_sales_navigator": {
        "linkedin_url": "LinkedIn URL",
    },
    "zoominfo": {
        "linkedin_url": "LinkedIn Contact Profile URL",
        "street": "Person Street",
        "postcode": "Person Zip Code",
    },
    "seamless_ai": {
        "street": "Contact Street",
        "postcode": "Contact Zip",
    },
    "hubspot": {
        "street": "Street Address",
        "address_line2": "Street Address 2",
    },
}


def column_mapping(preset: str | None, overrides: dict[str, str]) -> dict[str, str]:
    """Canonical field -> header, preset first, explicit overrides winning (no look at the file)."""
    return {**PRESET_OPTIONAL.get(preset or "", {}), **PRESETS.get(preset or "", {}), **overrides}


def _header_key(header: str) -> str:
    return header.strip().lower()


def detect_preset(headers: Iterable[str]) -> str | None:
    """The preset whose headers a file carries best, when it carries at least PRESET_DETECT_SHARE of them.

    The one rule for every path that meets a file without a configured preset (ingest of a file source,
    `leadpipe validate`, `leadpipe dedupe`). Headers compare trimmed and case-insensitive. On equal shares the
    preset with more matched headers wins (the more specific export), then the first in PRESETS.
    """
    present = {_header_key(h) for h in headers}
    best, best_key = None, (0.0, 0)
    for name, columns in PRESETS.items():
        wanted = {_header_key(h) for h in columns.values()}
        matched = len(wanted & present)
        key = (matched / len(wanted), matched)
        if key > best_key:
            best, best_key = name, key
    return best if best_key[0] >= PRESET_DETECT_SHARE else None

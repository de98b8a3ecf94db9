"""Header presets for vendor exports we know: canonical lead field -> the vendor's column header.

A preset saves the data engineer from writing a mapping for every purchased list; an explicit
`mapping` in the source config overrides single entries.
"""

from __future__ import annotations

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


def column_mapping(preset: str | None, overrides: dict[str, str]) -> dict[str, str]:
    """Canonical field -> header, preset first, explicit overrides winning."""
    return {**PRESETS.get(preset or "", {}), **overrides}

"""The `markets:` and `suppression:` sections: the settings of enrichment.segment and enrichment.suppress.

Apart from those modules (which import pandas) so that reading the config stays light; both re-export
their models. Scoring, personas and routing keep their settings in their own modules: those import no pandas.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from leadpipe.core.settings import Strict


class MarketRule(Strict):
    """One market: every filter that is set must fit; empty filters fit anything."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    countries: list[str] = Field(default_factory=list, description="ISO alpha-2 codes; empty = any.")
    regions: list[str] = Field(default_factory=list, description="ISO 3166-2 codes (US-CA, DE-BY); empty = any.")
    industries: list[str] = Field(default_factory=list, description="Industry labels; empty = any.")
    min_employees: int | None = None
    max_employees: int | None = None
    min_revenue: float | None = Field(None, description="Annual revenue lower bound (the lead's currency).")
    max_revenue: float | None = None

    @field_validator("countries", "regions")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.upper() for c in v]


class DncRegistryConfig(Strict):
    path: str = Field(description="National Do-Not-Call registry extract (flat text, one number per line).")
    downloaded_on: date = Field(description="Day the extract was downloaded: the DNC check date of every phone.")
    country_code: str = Field("1", pattern=r"^[0-9]{1,3}$", description="Calling code the registry covers.")


class SuppressionConfig(Strict):
    do_not_contact_files: list[str] = Field(
        default_factory=list,
        description="CSV files with an 'email', 'domain' or 'phone' column (unsubscribes, bounces, customers, "
        "competitors); the file name is the reason shown.",
    )
    national_dnc_registry: DncRegistryConfig | None = None
    dnc_max_age_days: int = Field(31, ge=1, description="Phones checked longer ago than this may not be called.")
    suppress_role_addresses: bool = True
    suppress_disposable_addresses: bool = True
    require_consent_for_forms: bool = True
    email_rules: dict[str, Literal["consent", "legitimate_interest"]] = Field(
        default_factory=dict, description="country (ISO alpha-2) -> what emailing needs there."
    )
    default_email_rule: Literal["consent", "legitimate_interest", "none"] = Field(
        "none", description="rule for countries not in email_rules ('none': no GDPR basis needed, e.g. US)."
    )
    legitimate_interest_ref: str | None = Field(
        None, description="Id of the legitimate-interest assessment (LIA) carried on each record."
    )
    crm_customer_stages: list[str] = Field(
        default_factory=lambda: ["customer", "converted"],
        description="CRM feedback: lifecycle stages (HubSpot lifecyclestage; 'converted' = a converted Salesforce "
        "lead) meaning the person is already a customer, so never pushed as a prospect again.",
    )

    @field_validator("email_rules")
    @classmethod
    def _upper_countries(cls, v: dict[str, str]) -> dict[str, str]:
        return {k.upper(): r for k, r in v.items()}

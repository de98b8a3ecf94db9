"""The `sink:` section of the config: which CRM, how fields map, and how hard we may hit its API.

Credentials are never here: a HubSpot private-app token or Salesforce OAuth details come from an Airflow
Connection (or the matching AIRFLOW_CONN_<ID> / LEADPIPE_* environment variable), see `credentials.py`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

WritePolicyName = Literal["overwrite", "fill_blank", "never"]

from leadpipe.core.schema import PROSPECT_FIELDS

# Our prospect fields that can be mapped to CRM properties: everything a sink receives.
MAPPABLE = PROSPECT_FIELDS

# lp_* contact properties are created by the HubSpot sink when missing (hubspot.CUSTOM_CONTACT_PROPS).
HUBSPOT_DEFAULT_MAP = {
    "email": "email", "first_name": "firstname", "last_name": "lastname", "company": "company",
    "job_title": "jobtitle", "phone": "phone", "country": "country", "domain": "website",
    "annual_revenue": "annualrevenue",
    "person_id": "lp_person_id", "score": "lp_score", "tier": "lp_tier", "market": "lp_market",
    "persona": "lp_persona", "seniority": "lp_seniority", "department": "lp_department", "owner": "lp_owner",
    "lead_source": "lp_lead_source", "lawful_basis": "lp_lawful_basis", "consent_evidence": "lp_consent_evidence",
    "lia_ref": "lp_lia_ref", "dnc_status": "lp_dnc_status", "dnc_checked_at": "lp_dnc_checked_at",
}
# LP_*__c are custom Lead fields the Salesforce admin creates once (text fields; docs/crm-sinks.md).
SALESFORCE_DEFAULT_MAP = {
    "email": "Email", "first_name": "FirstName", "last_name": "LastName", "company": "Company",
    "job_title": "Title", "phone": "Phone", "country": "Country", "domain": "Website",
    "annual_revenue": "AnnualRevenue",
    "score": "LP_Score__c", "tier": "LP_Tier__c", "market": "LP_Market__c", "persona": "LP_Persona__c",
    "seniority": "LP_Seniority__c", "department": "LP_Department__c", "owner": "LP_Owner__c",
    "lead_source": "LeadSource", "lawful_basis": "LP_Lawful_Basis__c", "consent_evidence": "LP_Consent_Evidence__c",
    "lia_ref": "LP_LIA_Ref__c", "dnc_status": "LP_DNC_Status__c", "dnc_checked_at": "LP_DNC_Checked_At__c",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubSpotSettings(_Strict):
    connection_id: str = Field("hubspot_default", description="Airflow Connection holding the private-app token "
                               "(password field); env LEADPIPE_HUBSPOT_TOKEN also works.")
    host: str = Field("https://api.hubapi.com", description="API host; only change it for a test emulator.")
    requests_per_10s: int = Field(190, ge=1, le=250, description="Your app's burst limit: 100 Free/Starter, "
                                  "190 Professional/Enterprise, 250 with the limit-increase pack.")
    batch_size: int = Field(100, ge=1, le=100, description="Contacts per batch upsert (HubSpot allows 100).")
    association_batch_size: int = Field(1000, ge=1, le=2000)
    concurrency: int = Field(2, ge=1, le=8, description="Parallel requests sharing the one rate budget.")
    max_retries: int = Field(8, ge=0, le=50, description="Retries of one call on 429/423/5xx before giving up.")
    company_key_property: str = Field("lp_domain_key", description="Unique company property holding the domain.")
    associate_companies: bool = True
    match_existing: bool = Field(True, description="Read matching CRM contacts by email before pushing new "
                                 "prospects, so the plan shows updates and conflicts.")


class SalesforceSettings(_Strict):
    connection_id: str = Field("salesforce_default", description="Airflow Connection: host = My Domain URL, "
                               "login = consumer key, password = consumer secret (client credentials) or "
                               "extra.private_key + extra.username (JWT bearer).")
    api_version: str = Field("59.0", pattern=r"^\d{2}\.\d$")
    sobject: Literal["Lead"] = "Lead"
    external_id_field: str = Field("Prospect_Ext_Id__c", pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$")
    collection_size: int = Field(200, ge=1, le=200)
    bulk_threshold: int = Field(2000, ge=1, description="Records in one push above which Bulk API 2.0 is used.")
    bulk_poll_seconds: float = Field(2.0, gt=0)
    allow_duplicate_save: bool = Field(False, description="Send allowSave=true so 'alert' duplicate rules "
                                       "do not block; 'block' rules still refuse the record.")


class SinkSettings(_Strict):
    type: Literal["local", "hubspot", "salesforce"] = "local"
    field_map: dict[str, str] = Field(default_factory=dict, description="Our field -> CRM property; replaces the "
                                      "default mapping for the fields you list.")
    write_policy: dict[str, WritePolicyName] = Field(default_factory=dict, description="Our field -> overwrite | "
                                                     "fill_blank (only if the CRM value is empty) | never.")
    hubspot: HubSpotSettings = HubSpotSettings()
    salesforce: SalesforceSettings = SalesforceSettings()

    @model_validator(mode="after")
    def _known_fields(self) -> SinkSettings:
        for section, keys in (("field_map", self.field_map), ("write_policy", self.write_policy)):
            unknown = sorted(set(keys) - set(MAPPABLE))
            if unknown:
                raise ValueError(f"sink.{section} names unknown field(s) {unknown}; allowed: {', '.join(MAPPABLE)}")
        if "email" in self.write_policy and self.write_policy["email"] != "overwrite":
            raise ValueError("sink.write_policy.email must stay 'overwrite': email is how records are matched")
        return self

    def mapping_for(self, crm: str) -> dict[str, str]:
        base = HUBSPOT_DEFAULT_MAP if crm == "hubspot" else SALESFORCE_DEFAULT_MAP
        return {**base, **self.field_map}

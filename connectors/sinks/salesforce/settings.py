"""Settings of the Salesforce sink (`sink.salesforce:`) and its default field mapping.

OAuth details are never here: they come from the Airflow Connection named by `connection_id`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from connectors.sinks.base import SinkCapabilities
from leadpipe.core.settings import Strict

# LP_*__c are custom Lead fields the Salesforce admin creates once (text fields; docs/crm-sinks.md).
# person_id is not mapped: it goes into the external-id field the upsert is keyed on.
DEFAULT_MAP = {
    "email": "Email", "first_name": "FirstName", "last_name": "LastName", "company": "Company",
    "job_title": "Title", "phone": "Phone", "country": "Country", "state": "State", "domain": "Website",
    "annual_revenue": "AnnualRevenue",
    # standard Lead address fields; Street carries line 1 and line 2 on two lines. With State and Country
    # picklists on, State/Country go to StateCode/CountryCode (sink.picklist_row).
    "street": "Street", "city": "City", "postcode": "PostalCode",
    "score": "LP_Score__c", "tier": "LP_Tier__c", "market": "LP_Market__c", "persona": "LP_Persona__c",
    "seniority": "LP_Seniority__c", "department": "LP_Department__c", "owner": "LP_Owner__c",
    "lead_source": "LeadSource", "lawful_basis": "LP_Lawful_Basis__c", "consent_evidence": "LP_Consent_Evidence__c",
    "lia_ref": "LP_LIA_Ref__c", "dnc_status": "LP_DNC_Status__c", "dnc_checked_at": "LP_DNC_Checked_At__c",
    # channel readiness (text fields like the other LP_ ones; the Lead's own HasOptedOutOfEmail and DoNotCall
    # stay the CRM's: a stale DNC check is no do-not-call request). Lead has no standard LinkedIn field.
    "email_sendable": "LP_Email_Sendable__c", "email_reason": "LP_Email_Reason__c",
    "phone_callable": "LP_Phone_Callable__c", "phone_reason": "LP_Phone_Reason__c",
    "phone_line_type": "LP_Phone_Line_Type__c", "phone_timezone": "LP_Phone_Timezone__c",
    "linkedin_url": "LP_LinkedIn_URL__c", "preferred_channel": "LP_Preferred_Channel__c",
    "preferred_channel_reason": "LP_Preferred_Channel_Reason__c",
}


class SalesforceSettings(Strict):
    connection_id: str = Field("salesforce_default", description="Airflow Connection: host = My Domain URL, "
                               "login = consumer key, password = consumer secret (client credentials) or "
                               "extra.username + a private key in extra.private_key or "
                               "LEADPIPE_SALESFORCE_PRIVATE_KEY (JWT bearer).")
    api_version: str = Field("59.0", pattern=r"^\d{2}\.\d$")
    sobject: Literal["Lead"] = "Lead"
    external_id_field: str = Field("Prospect_Ext_Id__c", pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$")
    collection_size: int = Field(200, ge=1, le=200)
    bulk_threshold: int = Field(2000, ge=1, description="Records in one push above which Bulk API 2.0 is used.")
    bulk_poll_seconds: float = Field(2.0, gt=0)
    allow_duplicate_save: bool = Field(False, description="Send allowSave=true so 'alert' duplicate rules "
                                       "do not block; 'block' rules still refuse the record.")
    bulk_timeout_seconds: float = Field(3600, gt=0, description="A Bulk API job still running after this long "
                                        "leaves its records for the next run (the upsert is keyed).")
    feedback_objects: list[Literal["Lead", "Contact"]] = Field(["Lead", "Contact"], min_length=1,
                                                               description="CRM feedback: the objects whose "
                                                               "opt-outs, bounces, DoNotCall, status and owner "
                                                               "are read back each night.")
    retry_attempts: int = Field(6, ge=1, le=20, description="Tries per request on 5xx, 429, UNABLE_TO_LOCK_ROW.")
    retry_base_seconds: float = Field(0.5, ge=0, description="First backoff; doubles each retry, with jitter.")
    retry_max_seconds: float = Field(120, ge=0, description="No retry starts later than this after the first try.")

# What this sink declares it can do: read with its settings, without the CRM client (see __init__).
# A named list is a Campaign, whose Name holds at most 80 characters (longer: 400 STRING_TOO_LONG).
CAPABILITIES = SinkCapabilities(upsert_keys=("person_id",), named_lists=True, list_name_max=80, batch_size=200,
                                lookup_existing=False, writable_fields=frozenset({*DEFAULT_MAP, "person_id"}),
                                required_fields=("person_id", "email", "score"))

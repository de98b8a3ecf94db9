"""`leadpipe sinks check salesforce`: is the org set up for leadpipe? Reads only (describe calls), writes nothing.

Building the sink already logged in (OAuth client credentials), which proves the connected app. Then:
Lead can be created and updated by the integration user, the external-id field exists and is marked External
ID, every field the mapping writes exists and is writable, and Campaign / CampaignMember can be written
(the named lists of list rebuilds). Every problem says what a Salesforce admin should do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simple_salesforce.exceptions import SalesforceError

from connectors.sinks.base import CheckItem

if TYPE_CHECKING:
    from connectors.sinks.salesforce.sink import SalesforceSink

PERMISSION_SET = "the integration user's permission set (Setup > Permission Sets)"


def _describe(sink: SalesforceSink, sobject: str) -> dict | None:
    try:
        return sink.sf.restful(f"sobjects/{sobject}/describe")
    except SalesforceError:
        return None


def check_salesforce(sink: SalesforceSink) -> list[CheckItem]:
    st = sink.settings
    items = [CheckItem("login", True, f"logged in to {sink.sf.sf_instance} with the connected app of Airflow "
                                      f"Connection '{st.connection_id}'")]
    lead = _describe(sink, st.sobject)
    if lead is None:
        return [*items, CheckItem(f"{st.sobject} object", False, f"the integration user cannot read the "
                                  f"{st.sobject} object: give it Read, Create and Edit on {st.sobject} in "
                                  f"{PERMISSION_SET}")]
    if not (lead.get("createable") and lead.get("updateable")):
        items.append(CheckItem(f"{st.sobject} object", False, f"the integration user cannot create and edit "
                               f"{st.sobject} records: grant Create and Edit on {st.sobject} in {PERMISSION_SET}"))
    fields = {f["name"]: f for f in lead.get("fields") or []}
    ext = fields.get(st.external_id_field)
    if ext is None:
        items.append(CheckItem(f"field {st.sobject}.{st.external_id_field}", False,
                               f"missing: create a Text(36) custom field '{st.external_id_field}' on {st.sobject} "
                               "with 'External ID' and 'Unique' ticked, and give the permission set Edit access "
                               "to it (or set sink.salesforce.external_id_field to the field you have)"))
    elif not ext.get("externalId"):
        items.append(CheckItem(f"field {st.sobject}.{st.external_id_field}", False,
                               "exists but is not marked External ID, so records cannot be upserted on it: edit "
                               "the field and tick 'External ID' (and 'Unique')"))
    else:
        items.append(CheckItem(f"field {st.sobject}.{st.external_id_field}", True, "external id"
                               + (", unique" if ext.get("unique") else "")))
    bad = []
    for field in sorted(set(sink.mapping.properties.values())):
        f = fields.get(field)
        if f is None:
            bad.append(CheckItem(f"field {st.sobject}.{field}", False,
                                 f"missing or not visible to the integration user: create it (custom LP_* "
                                 f"fields are text fields, docs/crm-sinks.md) or grant field-level Edit access "
                                 f"in {PERMISSION_SET}; or change sink.field_map"))
        elif not (f.get("createable") and f.get("updateable")):
            bad.append(CheckItem(f"field {st.sobject}.{field}", False,
                                 f"read-only for the integration user: grant field-level Edit access in "
                                 f"{PERMISSION_SET}"))
    items += bad or [CheckItem("mapped fields", True, f"all {len(set(sink.mapping.properties.values()))} "
                               "mapped fields exist and are writable")]
    campaign, member = _describe(sink, "Campaign"), _describe(sink, "CampaignMember")
    if not (campaign and campaign.get("createable")):
        items.append(CheckItem("Campaign object", False, "the integration user cannot create Campaigns (named "
                               "lists of list rebuilds): tick 'Marketing User' on the user and grant Create "
                               f"on Campaign in {PERMISSION_SET}"))
    elif not (member and member.get("createable") and member.get("deletable")):
        items.append(CheckItem("CampaignMember object", False, "the integration user cannot add and remove "
                               f"campaign members: grant Create and Delete on Campaign Member in {PERMISSION_SET}"))
    else:
        items.append(CheckItem("campaigns", True, "Campaign and CampaignMember can be written (named lists)"))
    return items

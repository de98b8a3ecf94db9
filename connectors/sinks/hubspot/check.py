"""`leadpipe sinks check hubspot`: is the private app set up for leadpipe? Reads only, writes nothing.

Checked in the order an admin fixes them: the token (and, where HubSpot tells us, its scopes, via the
documented private-app token-info endpoint), the contact properties the field mapping writes (lp_* custom
ones included), and the unique company property companies are upserted on. Every problem says what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

from connectors.sinks.base import CheckItem, SinkAuthError, SinkError
from connectors.sinks.hubspot.settings import CUSTOM_CONTACT_PROPS

if TYPE_CHECKING:
    from connectors.sinks.hubspot.sink import HubSpotSink

TOKEN_INFO = "/oauth/v2/private-apps/get/access-token-info"
APP_SETTINGS = "HubSpot Settings > Integrations > Private Apps > your leadpipe app > Scopes"


def required_scopes(sink: HubSpotSink, props_missing: bool, key_missing: bool) -> dict[str, str]:
    """scope -> why leadpipe needs it, for this sink's settings."""
    need = {"crm.objects.contacts.read": "to find existing contacts and read list members",
            "crm.objects.contacts.write": "to create and update contacts",
            "crm.lists.read": "to find the named list of a rebuild",
            "crm.lists.write": "to create the named list and change its members"}
    if sink.settings.associate_companies:
        need["crm.objects.companies.read"] = "to read company properties"
        need["crm.objects.companies.write"] = "to create companies and link contacts to them"
    if props_missing:
        need["crm.schemas.contacts.write"] = "to create the missing lp_* contact properties on the first push"
    if key_missing:
        need["crm.schemas.companies.write"] = "to create the unique company key property on the first push"
    return need


def token_scopes(sink: HubSpotSink) -> list[str] | None:
    """The private-app token's scopes, or None when HubSpot does not say (not a private-app token)."""
    cfg = sink.api.config
    with sink.limiter.slot():
        resp = requests.post(f"{cfg['host']}{TOKEN_INFO}", json={"tokenKey": cfg["access_token"]}, timeout=30)
    if resp.status_code != 200:
        return None
    scopes = (resp.json() or {}).get("scopes")
    return [str(s) for s in scopes] if isinstance(scopes, list) else None


def _property_names(sink: HubSpotSink, otype: str) -> dict[str, dict]:
    props = sink._call(f"read {otype} properties", sink.api.crm.properties.core_api.get_all, otype)
    return {p.name: {"unique": bool(p.has_unique_value)} for p in props.results or []}


def check_hubspot(sink: HubSpotSink) -> list[CheckItem]:
    conn = sink.settings.connection_id
    items: list[CheckItem] = []
    try:
        contact_props = _property_names(sink, "contacts")
    except SinkAuthError as exc:
        detail = str(exc)
        if "403" in detail:
            detail += f"; grant the scopes in {APP_SETTINGS}"
        return [CheckItem("token", False, detail)]
    except SinkError as exc:
        return [CheckItem("token", False, f"HubSpot could not be asked ({exc}); check sink.hubspot.host "
                                           f"({sink.settings.host}) and the network")]
    items.append(CheckItem("token", True, f"HubSpot at {sink.settings.host} accepted the token from Airflow "
                                          f"Connection '{conn}' (or LEADPIPE_HUBSPOT_TOKEN)"))
    scopes = token_scopes(sink)
    mapped = sorted(set(sink.mapping.properties.values()))
    missing_custom = [p for p in mapped if p not in contact_props and p in CUSTOM_CONTACT_PROPS]
    for prop in mapped:
        if prop in contact_props:
            continue
        if prop in CUSTOM_CONTACT_PROPS:
            items.append(_creatable(f"contact property {prop}", scopes, "crm.schemas.contacts.write",
                                    f"create it in HubSpot (Settings > Properties > Contact properties > Create "
                                    f"property: single-line text, internal name '{prop}', label "
                                    f"'{CUSTOM_CONTACT_PROPS[prop]}')"))
        else:
            items.append(CheckItem(f"contact property {prop}", False,
                                   f"missing: sink.field_map writes to '{prop}', which this HubSpot account does "
                                   "not have; fix the internal name in sink.field_map or create the property"))
    if all(p in contact_props for p in mapped):
        items.append(CheckItem("contact properties", True, f"all {len(mapped)} mapped properties exist"))
    key_missing = False
    if sink.settings.associate_companies:
        key = sink.settings.company_key_property
        company_props = _property_names(sink, "companies")
        if key not in company_props:
            key_missing = True
            items.append(_creatable(f"company property {key}", scopes, "crm.schemas.companies.write",
                                    f"create a single-line text company property '{key}' with 'Require unique "
                                    "values' ticked"))
        elif not company_props[key]["unique"]:
            items.append(CheckItem(f"company property {key}", False,
                                   "exists but does not require unique values, so companies cannot be upserted "
                                   "on it (HubSpot cannot make an existing property unique): create a new "
                                   "unique property and set sink.hubspot.company_key_property to its name"))
        else:
            items.append(CheckItem(f"company property {key}", True, "exists with unique values"))
    if scopes is None:
        items.append(CheckItem("scopes", True, "HubSpot did not list the token's scopes (not a private-app "
                                               "token); the reads above passed"))
    else:
        need = required_scopes(sink, bool(missing_custom), key_missing)
        for scope, why in need.items():
            if scope not in scopes:
                items.append(CheckItem(f"scope {scope}", False, f"missing ({why}): tick it in {APP_SETTINGS}, "
                                                                "then commit the change"))
        if all(s in scopes for s in need):
            items.append(CheckItem("scopes", True, f"the token has every scope leadpipe needs ({len(need)})"))
    return items


def _creatable(what: str, scopes: list[str] | None, scope: str, by_hand: str) -> CheckItem:
    """A missing lp_* property is created by the first push when the token may create properties."""
    if scopes is not None and scope in scopes:
        return CheckItem(what, True, f"missing; the first push creates it (the token has {scope})")
    if scopes is None:
        return CheckItem(what, True, f"missing; the first push tries to create it, which needs the {scope} "
                                     f"scope; without it, {by_hand}")
    return CheckItem(what, False, f"missing, and the token lacks {scope} to create it: {by_hand}, or tick "
                                  f"{scope} in {APP_SETTINGS}")

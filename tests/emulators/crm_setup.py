"""The read-only setup endpoints `leadpipe sinks check` asks, on top of the HubSpot and Salesforce emulators.

Kept apart from tests/emulators/hubspot.py and salesforce.py (the push emulators) so each can grow alone.
- HubSpot: `POST /oauth/v2/private-apps/get/access-token-info` {"tokenKey": ...} -> the private app's
  {userId, hubId, appId, scopes} (developers.hubspot.com/docs/api/private-apps); the token is in the body,
  not in an Authorization header.
- Salesforce: `GET /services/data/vXX.X/sobjects/{Lead,Campaign,CampaignMember}/describe` -> the object's
  createable/updateable/deletable flags and its fields with name, type, externalId, unique, createable,
  updateable (the DescribeSObjectResult shape of the REST API reference).
"""

from __future__ import annotations

import json
import re

from tests.emulators.httpbase import Response
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.salesforce import API, SalesforceEmulator, _sf_error

ALL_SCOPES = ("crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.companies.read",
              "crm.objects.companies.write", "crm.schemas.contacts.write", "crm.schemas.companies.write",
              "crm.lists.read", "crm.lists.write")


class HubSpotSetupEmulator(HubSpotEmulator):
    def __init__(self, *args: object, scopes: tuple[str, ...] = ALL_SCOPES, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.scopes = list(scopes)

    def handle(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response:
        if path == "/oauth/v2/private-apps/get/access-token-info" and method == "POST":
            token = (json.loads(raw or b"{}") or {}).get("tokenKey")
            if token not in self.tokens:
                return Response(401, {"status": "error", "message": "The access token is invalid",
                                      "category": "INVALID_AUTHENTICATION"})
            return Response(200, {"userId": 123, "hubId": 456, "appId": 789, "scopes": self.scopes})
        return super().handle(method, path, query, headers, raw)

    def writes(self) -> int:
        """Objects, lists and properties this emulator holds: a read-only check must leave it at 0."""
        return (sum(len(o) for o in self.objects.values()) + len(self.lists)
                + sum(len(p) for p in self.props.values()))


STANDARD_LEAD = ("Id", "FirstName", "LastName", "Company", "Email", "Title", "Phone", "Country", "Website",
                 "LeadSource", "AnnualRevenue")


class SalesforceSetupEmulator(SalesforceEmulator):
    def __init__(self, *args: object, missing_fields: tuple[str, ...] = (), ext_is_external: bool = True,
                 campaign_createable: bool = True, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.missing_fields = set(missing_fields)
        self.ext_is_external = ext_is_external
        self.campaign_createable = campaign_createable

    def _route(self, method: str, path: str, headers: dict, raw: bytes, query: str = "") -> Response:
        m = re.fullmatch(API + r"/sobjects/(\w+)/describe/?", path)
        if m and method == "GET":
            return self._describe(m[2])
        return super()._route(method, path, headers, raw, query)

    def _describe(self, sobject: str) -> Response:
        if sobject == "Lead":
            names = (set(STANDARD_LEAD) | self.fields) - self.missing_fields
            fields = [{"name": n, "type": "id" if n == "Id" else "string", "createable": n != "Id",
                       "updateable": n != "Id", "externalId": n == self.ext_field and self.ext_is_external,
                       "unique": n == self.ext_field, "idLookup": n in ("Id", "Email", self.ext_field)}
                      for n in sorted(names)]
            return Response(200, {"name": "Lead", "createable": True, "updateable": True, "deletable": True,
                                  "queryable": True, "fields": fields})
        if sobject in ("Campaign", "CampaignMember"):
            ok = self.campaign_createable
            return Response(200, {"name": sobject, "createable": ok, "updateable": ok, "deletable": ok,
                                  "queryable": True, "fields": [{"name": "Id", "type": "id"}]})
        return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")

"""HubSpot CRM API emulator (v3 objects, v4 associations, v3 lists, properties) for tests and benchmarks.

Behaviour follows developers.hubspot.com (batch upsert, error handling, usage guidelines, lists) as summarised with
sources in /work/shared/notes/crm-apis.md: bearer tokens, 100-input batches, upsert by a unique property with
the `new` flag, 207 multi-status with per-input errors, 400 for unknown properties or a non-unique idProperty,
429 with policyName TEN_SECONDLY_ROLLING / DAILY (Retry-After optional), rate-limit headers, and injectable
faults (423, 5xx, dropped connections) per test.

Every request body is checked against hubspot-api-client's generated models first (tests/emulators/hubspot_spec.py):
a body the spec does not allow gets HubSpot's 400 and is kept in `violations`, and `stop()` then fails the test.

Spec-valid hostile answers, switched on per test (`Hostile`): a whole batch refused 400/409 when one input is bad
(as integrators report for batch upsert: airbytehq/airbyte#76340), results that echo neither the trace id nor the
idProperty value and come back in any order, errors inside a 200 association answer. Errors never carry the
input ids: HubSpot documents no such field.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.emulators.httpbase import EmulatorServer, Response
from tests.emulators.hubspot_spec import SpecError, check_body

STANDARD_PROPS = {
    "contacts": {"email", "firstname", "lastname", "company", "jobtitle", "phone", "country", "website",
                 "lifecyclestage", "annualrevenue", "hs_object_id", "address", "city", "state", "zip",
                 "mobilephone", "hs_lead_status", "hubspot_owner_id", "hs_email_optout",
                 "hs_email_hard_bounce_reason_enum", "lastmodifieddate", "createdate",
                 # "LinkedIn URL", a default contact property (read and written as hs_linkedin_url by many
                 # public HubSpot integrations; not in the client's models, which carry no property lists)
                 "hs_linkedin_url"},
    "companies": {"name", "domain", "website", "country", "hs_object_id"},
}
UNIQUE_STANDARD = {"contacts": {"email"}, "companies": set()}
TYPE_IDS = {"contacts": "0-1", "companies": "0-2"}


DATETIME_PROPS = {"lastmodifieddate", "createdate", "hs_lastmodifieddate"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(value: object) -> int:
    """A HubSpot datetime (epoch milliseconds or ISO 8601) as epoch milliseconds; search filters take either."""
    text = str(value or "0").strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _err(status: int, category: str, message: str, **extra: object) -> Response:
    return Response(status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                             "category": category, **extra})


@dataclass
class Hostile:
    """Answers the real API gives that a reading of the docs would not expect (all spec-valid)."""

    whole_batch: int | None = None  # 400 or 409: a batch upsert holding one rejected input is refused whole
    echo: bool = True  # False: results carry no objectWriteTraceId, no idProperty value, and come in any order
    assoc_errors_in_200: bool = False  # association failures answered 200 (status COMPLETE) with errors[]


class HubSpotEmulator(EmulatorServer):
    def __init__(self, token: str = "pat-na1-test", burst: int = 190, window: float = 10.0,
                 daily: int = 625_000, retry_after: bool = False, search_lag: float = 0.0,
                 hostile: Hostile | None = None):
        super().__init__()
        self.hostile = hostile or Hostile()
        self.violations: list[str] = []  # requests the official models refuse; stop() fails the test on any
        self.shuffle = random.Random(7)
        self.reject_companies: dict[str, tuple[str, str]] = {}  # company key -> (category, message)
        self.refuse_links: dict[str, str] = {}  # company id -> message: associations to it fail
        self.tokens = {token}
        self.burst, self.window, self.daily = burst, window, daily
        self.retry_after = retry_after
        self.search_lag = search_lag
        self.ids = itertools.count(1001)
        self.objects: dict[str, dict[str, dict]] = {"contacts": {}, "companies": {}}
        self.created_at: dict[str, float] = {}
        self.props: dict[str, dict[str, dict]] = {t: {} for t in self.objects}
        self.assocs: set[tuple[str, str]] = set()
        self.lists: dict[str, dict] = {}  # live lists only: what the app shows and name look-ups find
        self.members: dict[str, set[str]] = {}
        self.deleted: dict[str, dict] = {}  # deleted lists (restorable for 90 days): found by id only, with deletedAt
        self.reject: dict[str, tuple[str, str]] = {}  # email -> (category, message) -> 207 error for that input
        self.sent: deque[float] = deque()  # accepted request times (rolling window)
        self.accepted_times: list[float] = []
        self.daily_used = 0
        self.upsert_flags: list[bool] = []  # every `new` flag returned by contact upserts
        self.searches: list[dict] = []  # every search body accepted, with the number of results it answered
        self._indexes: dict[tuple[str, str], tuple[int, dict[str, dict]]] = {}

    # ---- plumbing -----------------------------------------------------------------------------------------
    def check_request(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response | None:
        try:
            body = json.loads(raw) if raw else None
            check_body(method, path, body)
        except (SpecError, ValueError) as exc:
            with self.lock:
                self.violations.append(f"{method} {path}: {exc}")
            return _err(400, "VALIDATION_ERROR", f"Invalid input JSON: {exc}")
        return None

    def stop(self) -> None:
        super().stop()
        if self.violations:
            raise AssertionError(f"{len(self.violations)} request(s) the HubSpot API spec does not allow: "
                                 + "; ".join(self.violations[:3]))

    def handle(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        if auth.removeprefix("Bearer ") not in self.tokens:
            return _err(401, "INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports "
                        "OAuth 2.0 authentication and you can find more details at "
                        "https://developers.hubspot.com/docs/methods/auth/oauth-overview")
        with self.lock:
            limited = self._rate(path)
            if limited:
                return limited
            body = json.loads(raw) if raw else None
            resp = self._route(method, path, query, body)
            if "/search" not in path:
                resp.headers.update({
                    "X-HubSpot-RateLimit-Max": str(self.burst),
                    "X-HubSpot-RateLimit-Remaining": str(max(self.burst - len(self.sent), 0)),
                    "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window * 1000)),
                    "X-HubSpot-RateLimit-Daily": str(self.daily),
                    "X-HubSpot-RateLimit-Daily-Remaining": str(max(self.daily - self.daily_used, 0)),
                })
            return resp

    def _rate(self, path: str) -> Response | None:
        now = time.monotonic()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        if self.daily_used >= self.daily:
            return _err(429, "RATE_LIMIT", "You have reached your daily limit.", errorType="RATE_LIMIT",
                        policyName="DAILY", groupName="publicapi:daily")
        if len(self.sent) >= self.burst:
            resp = _err(429, "RATE_LIMIT", "You have reached your ten_secondly_rolling limit.",
                        errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING",
                        groupName="publicapi:app-ten-secondly:1")
            if self.retry_after:
                resp.headers["Retry-After"] = str(max(1, int(self.window - (now - self.sent[0]) + 0.999)))
            return resp
        self.sent.append(now)
        self.accepted_times.append(now)
        self.daily_used += 1
        return None

    def max_in_any_window(self) -> int:
        """Most accepted requests inside any rolling window: what the test asserts never exceeds the limit."""
        t, best, j = self.accepted_times, 0, 0
        for i in range(len(t)):
            while t[i] - t[j] >= self.window:
                j += 1
            best = max(best, i - j + 1)
        return best

    def _route(self, method: str, path: str, query: str, body: dict | None) -> Response:
        m = re.fullmatch(r"/crm/v3/objects/(contacts|companies)/batch/(upsert|read)", path)
        if m and method == "POST":
            return self._batch_upsert(m[1], body) if m[2] == "upsert" else self._batch_read(m[1], body)
        m = re.fullmatch(r"/crm/v3/objects/(contacts|companies)/search", path)
        if m and method == "POST":
            return self._search(m[1], body)
        m = re.fullmatch(r"/crm/v3/properties/(contacts|companies)", path)
        if m:
            return self._props_list(m[1]) if method == "GET" else self._prop_create(m[1], body)
        if path == "/crm/v4/associations/contacts/companies/batch/associate/default" and method == "POST":
            return self._associate(body)
        if path.rstrip("/") == "/crm/v3/lists" and method == "POST":
            return self._list_create(body)
        m = re.fullmatch(r"/crm/v3/lists/object-type-id/([^/]+)/name/([^/]+)", path)
        if m and method == "GET":
            from urllib.parse import unquote

            name = unquote(m[2])
            for lst in self.lists.values():
                if lst["name"] == name and lst["objectTypeId"] == m[1]:
                    return Response(200, {"list": lst})
            return _err(404, "OBJECT_NOT_FOUND", f"List with name {name} not found")
        m = re.fullmatch(r"/crm/v3/lists/([^/]+)", path)
        if m and method in ("GET", "DELETE"):
            return self._list_by_id(m[1]) if method == "GET" else self._list_delete(m[1])
        m = re.fullmatch(r"/crm/v3/lists/([^/]+)/memberships(/add-and-remove)?", path)
        if m and m[1] in self.lists:
            if m[2] and method == "PUT":
                return self._members_change(m[1], body)
            if not m[2] and method == "GET":
                return self._members_page(m[1], query)
        return _err(404, "OBJECT_NOT_FOUND", f"no route for {method} {path}")

    # ---- objects -------------------------------------------------------------------------------------------
    def _is_unique(self, otype: str, prop: str) -> bool:
        return prop in UNIQUE_STANDARD[otype] or bool(self.props[otype].get(prop, {}).get("hasUniqueValue"))

    def _known(self, otype: str, prop: str) -> bool:
        return prop in STANDARD_PROPS[otype] or prop in self.props[otype]

    def _index(self, otype: str, prop: str) -> dict[str, dict]:
        """Unique-value index, kept across requests (rebuilt when a test seeded objects directly)."""
        cached = self._indexes.get((otype, prop))
        if cached is not None and cached[0] == len(self.objects[otype]):
            return cached[1]
        key = (lambda v: v.lower()) if prop == "email" else (lambda v: v)
        index = {key(o["properties"][prop]): o for o in self.objects[otype].values() if o["properties"].get(prop)}
        self._indexes[(otype, prop)] = (len(self.objects[otype]), index)
        return index

    def _indexed(self, otype: str, obj: dict, created: bool) -> None:
        for (ot, prop), (n, index) in list(self._indexes.items()):
            if ot == otype:
                value = obj["properties"].get(prop)
                if value:
                    index[value.lower() if prop == "email" else value] = obj
                self._indexes[(ot, prop)] = (n + (1 if created else 0), index)

    def _batch_upsert(self, otype: str, body: dict) -> Response:
        inputs = (body or {}).get("inputs") or []
        if len(inputs) > 100:
            return _err(400, "VALIDATION_ERROR", f"Batch input size {len(inputs)} exceeds the limit of 100")
        id_props = {i.get("idProperty") for i in inputs}
        for prop in id_props:
            if not prop or not self._is_unique(otype, prop):
                return _err(400, "VALIDATION_ERROR", f"Unable to perform update/upsert by non-unique "
                            f"{TYPE_IDS[otype]} property {prop}")
        bad = sorted({p for i in inputs for p in (i.get("properties") or {}) if not self._known(otype, p)})
        if bad:
            detail = [{"isValid": False, "message": f'Property "{p}" does not exist', "error": "PROPERTY_DOESNT_EXIST",
                       "name": p} for p in bad]
            return _err(400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(detail)}")
        keys = [str(i["id"]).lower() if i["idProperty"] == "email" else str(i["id"]) for i in inputs]
        if len(set(keys)) != len(keys):
            return _err(400, "VALIDATION_ERROR", "Duplicate IDs found in batch input")
        indexes = {p: self._index(otype, p) for p in id_props}
        refused = {i: self._rejected(otype, inp) for i, inp in enumerate(inputs)}
        refused = {i: why for i, why in refused.items() if why}
        if refused and self.hostile.whole_batch:  # one bad input sinks the whole batch; nothing is written
            category, message = next(iter(refused.values()))
            if self.hostile.whole_batch == 409:
                return _err(409, "CONFLICT", message)
            detail = [{"isValid": False, "message": message, "error": category, "name": "email"}]
            return _err(400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(detail)}")
        results, errors = [], []
        for n, inp in enumerate(inputs):
            if n in refused:
                category, message = refused[n]
                errors.append({"status": "error", "category": category, "message": message, "errors": [],
                               "links": {}})
                continue
            prop = inp["idProperty"]
            key = str(inp["id"]).lower() if prop == "email" else str(inp["id"])
            obj = indexes[prop].get(key)
            new = obj is None
            if new:
                oid = str(next(self.ids))
                obj = {"id": oid, "properties": {"hs_object_id": oid}, "createdAt": _now()}
                self.objects[otype][oid] = obj
                self.created_at[oid] = time.monotonic()
            obj["properties"].update({k: ("" if v is None else str(v)) for k, v in inp["properties"].items()})
            obj["properties"][prop] = str(inp["id"]).lower() if prop == "email" else str(inp["id"])
            obj["updatedAt"] = _now()
            self._indexed(otype, obj, new)
            if otype == "contacts":
                self.upsert_flags.append(new)
            props = dict(obj["properties"]) if self.hostile.echo else {
                "hs_object_id": obj["id"], "createdate": obj["createdAt"], "lastmodifieddate": obj["updatedAt"]}
            res = {"id": obj["id"], "new": new, "properties": props, "createdAt": obj["createdAt"],
                   "updatedAt": obj["updatedAt"], "archived": False}
            if inp.get("objectWriteTraceId") and self.hostile.echo:
                res["objectWriteTraceId"] = inp["objectWriteTraceId"]
            results.append(res)
        if not self.hostile.echo:
            self.shuffle.shuffle(results)
        out = {"status": "COMPLETE", "results": results, "requestedAt": _now(), "startedAt": _now(),
               "completedAt": _now()}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return Response(207 if errors else 200, out)

    def _rejected(self, otype: str, inp: dict) -> tuple[str, str] | None:
        if otype == "contacts":
            email = str(inp["id"]).lower() if inp["idProperty"] == "email" else (inp["properties"] or {}).get("email")
            return self.reject.get((email or "").lower())
        return self.reject_companies.get(str(inp["id"]))

    def _batch_read(self, otype: str, body: dict) -> Response:
        inputs = (body or {}).get("inputs") or []
        prop = body.get("idProperty") or "hs_object_id"
        if len(inputs) > 100:
            return _err(400, "VALIDATION_ERROR", f"Batch input size {len(inputs)} exceeds the limit of 100")
        if prop != "hs_object_id" and not self._is_unique(otype, prop):
            return _err(400, "VALIDATION_ERROR", f"Unable to perform read by non-unique {TYPE_IDS[otype]} property {prop}")
        wanted = body.get("properties") or []
        index = self._index(otype, prop) if prop != "hs_object_id" else self.objects[otype]
        results, missing = [], []
        for inp in inputs:
            key = str(inp["id"]).lower() if prop == "email" else str(inp["id"])
            obj = index.get(key)
            if obj is None or time.monotonic() - self.created_at.get(obj["id"], 0) < self.search_lag:
                missing.append(str(inp["id"]))
                continue
            props = {p: obj["properties"].get(p) for p in wanted} if wanted else dict(obj["properties"])
            results.append({"id": obj["id"], "properties": props, "createdAt": obj["createdAt"],
                            "updatedAt": obj.get("updatedAt", obj["createdAt"]), "archived": False})
        out = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
        if missing:
            out.update(numErrors=1, errors=[{"status": "error", "category": "OBJECT_NOT_FOUND",
                                            "message": "Could not get some objects, they may be deleted or not exist.",
                                            "context": {"ids": missing}, "errors": [], "links": {}}])
        return Response(207 if missing else 200, out)

    # ---- search (CRM feedback reads contacts changed since a watermark) ----------------------------------
    def _search(self, otype: str, body: dict) -> Response:
        """POST /crm/v3/objects/{type}/search: filter groups OR'ed, filters AND'ed; sorted by the first sort
        property (ascending); `limit` <= 200 and `after` page through at most 10,000 results (past that: 400).
        Every result carries hs_object_id, createdate and lastmodifieddate besides the properties asked for."""
        body = body or {}
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if after + limit > 10_000:
            return _err(400, "VALIDATION_ERROR", "There was a problem with the request.",
                        errors=[{"message": "Paging past 10,000 results is not supported for search"}])
        groups = body.get("filterGroups") or []
        hits = [o for o in self.objects[otype].values()
                if not groups or any(all(self._matches(o, f) for f in g.get("filters") or []) for g in groups)]
        sort = (body.get("sorts") or ["hs_object_id"])[0]
        key = sort.lstrip("-")
        hits.sort(key=lambda o: (self._sort_value(o, key), int(o["id"])), reverse=sort.startswith("-"))
        page = hits[after : after + limit]
        wanted = body.get("properties") or ["email", "firstname", "lastname"]
        results = [{"id": o["id"], "properties": {**{p: self._prop(o, p) for p in wanted},
                                                  "hs_object_id": o["id"], "createdate": o["createdAt"],
                                                  "lastmodifieddate": o.get("updatedAt", o["createdAt"])},
                    "createdAt": o["createdAt"], "updatedAt": o.get("updatedAt", o["createdAt"]), "archived": False}
                   for o in page]
        out: dict = {"total": len(hits), "results": results}
        if after + limit < len(hits):
            out["paging"] = {"next": {"after": str(after + limit), "link": "?after=" + str(after + limit)}}
        self.searches.append({**body, "answered": len(results)})
        return Response(200, out)

    @staticmethod
    def _prop(obj: dict, prop: str) -> str | None:
        if prop == "lastmodifieddate":
            return obj.get("updatedAt", obj["createdAt"])
        if prop == "createdate":
            return obj["createdAt"]
        return obj["properties"].get(prop)

    def _sort_value(self, obj: dict, prop: str) -> object:
        value = self._prop(obj, prop)
        return _ms(value) if prop in DATETIME_PROPS else (value or "")

    def _matches(self, obj: dict, f: dict) -> bool:
        prop, op = f["propertyName"], f["operator"]
        value = self._prop(obj, prop)
        if op == "HAS_PROPERTY":
            return value not in (None, "")
        if op == "NOT_HAS_PROPERTY":
            return value in (None, "")
        if value in (None, ""):
            return False
        if prop in DATETIME_PROPS:
            have, want = _ms(value), _ms(f.get("value"))
        else:
            have, want = str(value).lower(), str(f.get("value") or "").lower()
        if op == "IN":
            return str(value).lower() in {str(v).lower() for v in f.get("values") or []}
        return {"EQ": have == want, "NEQ": have != want, "GT": have > want, "GTE": have >= want,
                "LT": have < want, "LTE": have <= want}.get(op, False)

    def touch(self, email: str, when: datetime | None = None, **props: str) -> dict:
        """A change made in HubSpot (a person unsubscribing, a rep setting a status): new property values and
        a new lastmodifieddate, as HubSpot records them. Returns the contact."""
        obj = self._index("contacts", "email")[email.lower()]
        obj["properties"].update(props)
        obj["updatedAt"] = (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds") \
            .replace("+00:00", "Z")
        return obj

    # ---- properties ----------------------------------------------------------------------------------------
    def _props_list(self, otype: str) -> Response:
        names = sorted(STANDARD_PROPS[otype] | set(self.props[otype]))
        return Response(200, {"results": [self._prop_view(otype, n) for n in names]})

    def _prop_view(self, otype: str, name: str) -> dict:
        p = self.props[otype].get(name, {})
        return {"name": name, "label": p.get("label", name), "type": p.get("type", "string"),
                "fieldType": p.get("fieldType", "text"), "groupName": p.get("groupName", "contactinformation"),
                "hasUniqueValue": self._is_unique(otype, name), "createdAt": _now(), "updatedAt": _now(),
                "options": [], "description": p.get("description", "")}

    def _prop_create(self, otype: str, body: dict) -> Response:
        for req in ("name", "label", "type", "fieldType", "groupName"):
            if not body.get(req):
                return _err(400, "VALIDATION_ERROR", f"Property {req} is required")
        if self._known(otype, body["name"]):
            return _err(409, "OBJECT_ALREADY_EXISTS", f"Property named '{body['name']}' already exists.")
        self.props[otype][body["name"]] = body
        return Response(201, self._prop_view(otype, body["name"]))

    # ---- associations and lists -------------------------------------------------------------------------
    def _associate(self, body: dict) -> Response:
        inputs = body.get("inputs") or []
        if len(inputs) > 2000:
            return _err(400, "VALIDATION_ERROR", "Batch input size exceeds the limit of 2000")
        results, errors = [], []
        for inp in inputs:
            c, co = str(inp["from"]["id"]), str(inp["to"]["id"])
            if c not in self.objects["contacts"] or co not in self.objects["companies"]:
                errors.append({"status": "error", "category": "VALIDATION_ERROR",
                               "message": f"No contacts or companies with ids {c}, {co}", "errors": [], "links": {}})
                continue
            if co in self.refuse_links:
                errors.append({"status": "error", "category": "VALIDATION_ERROR", "message": self.refuse_links[co],
                               "errors": [], "links": {}})
                continue
            self.assocs.add((c, co))
            results.append({"from": {"id": c}, "to": {"id": co},
                            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}})
        out = {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return Response(207 if errors and not self.hostile.assoc_errors_in_200 else 200, out)

    def _list_view(self, lid: str) -> dict:
        lst = self.lists[lid]
        return {**lst, "size": len(self.members[lid])}

    def _list_create(self, body: dict) -> Response:
        if body.get("processingType") not in ("MANUAL", "DYNAMIC", "SNAPSHOT"):
            return _err(400, "VALIDATION_ERROR", "processingType must be MANUAL, DYNAMIC or SNAPSHOT")
        if any(lst["name"] == body["name"] for lst in self.lists.values()):
            return _err(400, "VALIDATION_ERROR", f"A list named {body['name']} already exists")
        lid = str(next(self.ids))
        self.lists[lid] = {"listId": lid, "name": body["name"], "objectTypeId": body["objectTypeId"],
                           "processingType": body["processingType"], "processingStatus": "COMPLETE",
                           "listVersion": 1, "createdAt": _now(), "updatedAt": _now()}
        self.members[lid] = set()
        return Response(200, {"list": self._list_view(lid)})

    def _list_by_id(self, lid: str) -> Response:
        """GET /crm/v3/lists/{listId}: a live list, or a deleted one with `deletedAt` set (HubSpot keeps deleted lists
        restorable for 90 days and still answers 200 for them by id: HubSpot/hubspot-api-php#486); an id HubSpot
        does not hold (never made, or purged) gets the spec's error object with 404 OBJECT_NOT_FOUND."""
        if lid in self.lists:
            return Response(200, {"list": self._list_view(lid)})
        if lid in self.deleted:
            return Response(200, {"list": self.deleted[lid]})
        return _err(404, "OBJECT_NOT_FOUND", f"List {lid} does not exist")

    def _list_delete(self, lid: str) -> Response:
        """DELETE /crm/v3/lists/{listId}: 204; the list is then found by id only (restorable), not by name."""
        if lid not in self.lists:
            return _err(404, "OBJECT_NOT_FOUND", f"List {lid} does not exist")
        self.delete_list(lid)
        return Response(204)

    def delete_list(self, lid: str) -> None:
        """A user deletes the list in HubSpot (the app or the API). Not specified, so assumed: the memberships
        endpoints answer for a deleted list as for an unknown one (404), and its name may be given to a new list."""
        with self.lock:
            self.deleted[lid] = {**self._list_view(lid), "deletedAt": _now(), "updatedAt": _now()}
            del self.lists[lid]  # its members stay in `members`, as a restore would bring them back

    def _members_change(self, lid: str, body: dict) -> Response:
        add = [str(x) for x in body.get("recordIdsToAdd") or []]
        remove = [str(x) for x in body.get("recordIdsToRemove") or []]
        if len(add) + len(remove) > 100_000:
            return _err(400, "VALIDATION_ERROR", "At most 100000 record ids per membership request")
        missing = [r for r in add if r not in self.objects["contacts"]]
        added = [r for r in add if r not in missing and r not in self.members[lid]]
        removed = [r for r in remove if r in self.members[lid]]
        self.members[lid] |= set(added)
        self.members[lid] -= set(removed)
        return Response(200, {"recordIdsRemoved": removed, "recordsIdsAdded": added, "recordIdsMissing": missing})

    def _members_page(self, lid: str, query: str) -> Response:
        from urllib.parse import parse_qs

        q = parse_qs(query)
        after = int(q.get("after", ["0"])[0] or 0)
        limit = min(int(q.get("limit", ["100"])[0]), 250)
        ids = sorted(self.members[lid], key=int)
        page = ids[after : after + limit]
        out: dict = {"total": len(ids), "results": [{"recordId": r, "membershipTimestamp": _now()} for r in page]}
        if after + limit < len(ids):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return Response(200, out)

    # ---- helpers for tests ---------------------------------------------------------------------------------
    def contact_emails(self) -> list[str]:
        return sorted(o["properties"].get("email", "") for o in self.objects["contacts"].values())

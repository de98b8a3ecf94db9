"""Salesforce REST emulator (OAuth JWT bearer + client credentials, describe, sObject Collections upsert,
Bulk API 2.0 ingest, Campaigns).

Follows developer.salesforce.com as summarised with sources in /work/shared/notes/crm-apis.md: HTTPS only
(simple-salesforce hard-codes https), 401 INVALID_SESSION_ID, daily API budget -> 403 REQUEST_LIMIT_EXCEEDED,
Sforce-Limit-Info on every answer, collections of <= 200 records answered 200 with per-record UpsertResults,
REQUIRED_FIELD_MISSING (Lead LastName + Company), a Lead-vs-Contact email duplicate rule answering
DUPLICATES_DETECTED with the real misspelt `duplicateResut` key (or `duplicateResult`, switchable), honouring
Sforce-Duplicate-Rule-Header allowSave when the rule allows it, and the Bulk 2.0 job state machine with
successfulResults / failedResults / unprocessedrecords CSVs at their documented, case-sensitive paths.

Hostile but documented behaviour, switched on per test: sessions that expire mid-run (`expire_after`),
rows locked by another transaction (`lock_rows`: UNABLE_TO_LOCK_ROW per record), bulk jobs that need
several polls (`polls_per_job`), State and Country picklists (`picklists`: Country must be a country
name, CountryCode an ISO 3166-1 code, StateCode a subdivision of it), and JWT bearer login verified like
Salesforce does (RS256 signature against the uploaded certificate's key; iss, sub, aud, exp). 503s and
request-level UNABLE_TO_LOCK_ROW come from `Fault`s (httpbase).

Every request is checked against the documented request shapes (paths, methods, body keys, record
attributes, the Lead's fields, <= 200 records, CSV upload content type, job options). A request the docs
do not allow is answered as Salesforce would (400 INVALID_FIELD, 404 NOT_FOUND, ...) and also recorded in
`violations`; the test fixtures fail a test whose sink sent one.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import itertools
import json
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import pycountry

from tests.emulators.httpbase import EmulatorServer, Response
from tests.emulators.tls import make_test_ca

API = r"/services/data/v(\d+\.\d)"


JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JOB_KEYS = {"object", "operation", "externalIdFieldName", "contentType", "lineEnding", "columnDelimiter",
            "assignmentRuleId"}
OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
DELIMITERS = {"BACKQUOTE", "CARET", "COMMA", "PIPE", "SEMICOLON", "TAB"}
COUNTRY_PROBLEM = ("There's a problem with this country, even though it may appear correct. Please select a "
                   "country/territory from the list of valid countries.")
# Salesforce switches states on for a few countries out of the box; the rest have CountryCode only.
STATE_COUNTRIES = ("AU", "BR", "CA", "CN", "IE", "IN", "IT", "MX", "US")
STATE_PROBLEM = ("There's a problem with this state, even though it may appear correct. Please select a state "
                 "from the list of valid states.")


# createable fields of Campaign and CampaignMember (object reference); the sink sends a few of them
CAMPAIGN_FIELDS = {"Name", "IsActive", "Status", "Type", "StartDate", "EndDate", "Description", "ParentId",
                   "OwnerId", "BudgetedCost", "ActualCost", "ExpectedRevenue", "ExpectedResponse", "NumberSent"}
MEMBER_FIELDS = {"CampaignId", "LeadId", "ContactId", "Status"}

# CRM feedback fields (standard on Lead and Contact, developer.salesforce.com object reference)
FEEDBACK_COMMON = {"Id", "Email", "Phone", "HasOptedOutOfEmail", "DoNotCall", "OwnerId", "EmailBouncedDate",
                   "EmailBouncedReason", "SystemModstamp", "LastModifiedDate", "FirstName", "LastName"}
FEEDBACK_FIELDS = {"Lead": FEEDBACK_COMMON | {"Status", "IsConverted", "ConvertedDate", "Company"},
                   "Contact": FEEDBACK_COMMON | {"AccountId"}}
LEAD_DEFAULTS = {"HasOptedOutOfEmail": False, "DoNotCall": False, "Status": "Open - Not Contacted",
                 "IsConverted": False, "OwnerId": "005000000000001AAA", "EmailBouncedDate": None,
                 "EmailBouncedReason": None, "Phone": None}
CONTACT_DEFAULTS = {k: v for k, v in LEAD_DEFAULTS.items() if k not in ("Status", "IsConverted")}
# SOQL dateTime literals: YYYY-MM-DDThh:mm:ss(.sss)(Z|+hh:mm|-hh:mm), unquoted
SOQL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})")


def _sf_now() -> str:
    """Now as the REST API writes datetimes: 2026-12-05T10:00:00.000+0000."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def _sf_time(text: str) -> datetime:
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text)


def _sf_error(status: int, code: str, message: str, fields: list | None = None) -> Response:
    return Response(status, [{"message": message, "errorCode": code, "fields": fields or []}])


def _record_error(code: str, message: str, fields: list | None = None) -> dict:
    return {"success": False, "errors": [{"statusCode": code, "message": message, "fields": fields or []}]}


class SalesforceEmulator(EmulatorServer):
    def __init__(self, certfile: str, keyfile: str, client_id: str = "ck-test", client_secret: str = "cs-test",
                 daily: int = 100_000, ext_field: str = "Prospect_Ext_Id__c", rule_allows_save: bool = False,
                 misspelt_key: bool = True, jwt_public_key: bytes | None = None,
                 jwt_username: str = "integration@acme.example", audience: str = "https://login.salesforce.com",
                 picklists: bool = False, polls_per_job: int = 1):
        super().__init__(certfile, keyfile)
        self.client = (client_id, client_secret)
        self.jwt_public_key, self.jwt_username, self.audience = jwt_public_key, jwt_username, audience
        self.sessions: set[str] = set()
        self.logins: list[str] = []  # grant type per successful login
        self.expire_after: int | None = None  # expire every session once, after this many more API requests
        self.violations: list[str] = []  # requests the documented shapes do not allow
        self.lock_rows: dict[str, int] = {}  # ext id (lower) -> times to refuse it with UNABLE_TO_LOCK_ROW
        self.picklists, self.polls_per_job = picklists, polls_per_job
        self.daily, self.used = daily, 0
        self.ext_field = ext_field
        self.rule_allows_save, self.misspelt_key = rule_allows_save, misspelt_key
        self.ids = itertools.count(1)
        self.leads: dict[str, dict] = {}  # ext id (lower) -> record
        self.contacts: dict[str, str] = {}  # email (lower) -> Contact Id, for the duplicate rule
        self.fields = {"FirstName", "LastName", "Company", "Email", "Title", "Phone", "Country", "Website",
                       "LeadSource", "AnnualRevenue", "LP_Score__c", "LP_Tier__c", "LP_Market__c", "LP_Persona__c",
                       "LP_Seniority__c", "LP_Department__c", "LP_Owner__c", "LP_Lawful_Basis__c",
                       "LP_Consent_Evidence__c", "LP_LIA_Ref__c", "LP_DNC_Status__c", "LP_DNC_Checked_At__c",
                       "State", "Street", "City", "PostalCode", ext_field,
                       # channel readiness (docs/crm-sinks.md: the admin creates these with the other LP_ fields)
                       "LP_Email_Sendable__c", "LP_Email_Reason__c", "LP_Phone_Callable__c", "LP_Phone_Reason__c",
                       "LP_Phone_Line_Type__c", "LP_Phone_Timezone__c", "LP_LinkedIn_URL__c",
                       "LP_Preferred_Channel__c", "LP_Preferred_Channel_Reason__c"} | ({"CountryCode", "StateCode"} if picklists else set())
        self.jobs: dict[str, dict] = {}
        self.created_flags: list[bool] = []
        self.upserted: list[str] = []  # external id of every record written, in order
        self.unprocessed_after: int | None = None  # bulk: leave records after this many unprocessed
        self.modstamps: dict[str, str] = {}  # record Id -> SystemModstamp (Salesforce's "2026-12-05T10:00:00.000+0000")
        self.sf_contacts: dict[str, dict] = {}  # Contact Id -> record (CRM feedback reads them)
        self.query_page = 2000  # records per query page (Salesforce's default batch size)
        self.cursors: dict[str, tuple[str, list[dict]]] = {}  # query locator -> (sobject, the rows left)
        self.queries: list[tuple[str, int]] = []  # every SOQL query and query_more: (text, records answered)
        self.campaigns: dict[str, dict] = {}
        self.members: dict[str, dict] = {}  # CampaignMember Id -> {CampaignId, LeadId}

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def violation(self, status: int, code: str, message: str, fields: list | None = None) -> Response:
        """A request the documented shapes do not allow: answered like Salesforce, and remembered."""
        self.violations.append(f"{code}: {message}")
        return _sf_error(status, code, message, fields)

    def handle(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response:
        if path == "/services/oauth2/token" and method == "POST":
            return self._token(headers, raw)
        with self.lock:
            if self.expire_after is not None:
                if self.expire_after <= 0:
                    self.sessions.clear()  # the org's session timeout passed, or an admin revoked it
                    self.expire_after = None
                else:
                    self.expire_after -= 1
        auth = (headers.get("Authorization") or "").removeprefix("Bearer ")
        if auth not in self.sessions:
            return _sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        with self.lock:
            if self.used >= self.daily:
                return _sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.used += 1
            resp = self._route(method, path, headers, raw, query)
            resp.headers["Sforce-Limit-Info"] = f"api-usage={self.used}/{self.daily}"
            return resp

    def _token(self, headers: dict, raw: bytes) -> Response:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        grant = form.get("grant_type")
        if grant == JWT_GRANT:
            refused = self._check_assertion(form.get("assertion") or "")
            if refused:
                return Response(400, {"error": refused[0], "error_description": refused[1]})
        elif grant == "client_credentials":
            basic = (headers.get("Authorization") or "").removeprefix("Basic ")
            try:
                cid, _, secret = base64.b64decode(basic).decode().partition(":")
            except ValueError:
                cid = secret = ""
            if (cid, secret) != self.client:
                return Response(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        else:
            return Response(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        self.logins.append(grant)
        token = "00D" + secrets.token_hex(16)
        self.sessions.add(token)
        return Response(200, {"access_token": token, "instance_url": self.url, "id": f"{self.url}/id/00D/005",
                              "token_type": "Bearer", "issued_at": "0", "signature": "x"})

    def _check_assertion(self, assertion: str) -> tuple[str, str] | None:
        """Salesforce's checks of a JWT bearer assertion -> (error, error_description), or None when valid."""
        if self.jwt_public_key is None:
            return "invalid_grant", "invalid assertion"
        try:
            claims = jwt.decode(assertion, self.jwt_public_key, algorithms=["RS256"], audience=self.audience,
                                options={"require": ["iss", "sub", "aud", "exp"]})
        except jwt.InvalidAudienceError:
            return "invalid_grant", "audience is invalid"
        except jwt.ExpiredSignatureError:
            return "invalid_grant", "expired assertion"  # [U] exact text not pinned against a real org
        except jwt.PyJWTError:
            return "invalid_grant", "invalid assertion"
        if claims["iss"] != self.client[0]:
            return "invalid_client_id", "client identifier invalid"
        if claims["sub"] != self.jwt_username:
            return "invalid_grant", "user hasn't approved this consumer"
        if float(claims["exp"]) > time.time() + 300:  # the docs: exp within 3 minutes of issue
            return "invalid_grant", "invalid assertion"
        return None

    def _describe(self) -> dict:
        """GET sobjects/Lead/describe: the fields (with the picklists' values, as Salesforce lists them)."""
        values = {"CountryCode": sorted(c.alpha_2 for c in pycountry.countries),
                  "StateCode": sorted({s.code.split("-", 1)[1] for s in pycountry.subdivisions
                                       if s.country_code in STATE_COUNTRIES})}
        fields = [{"name": "Id", "type": "id"}] + [
            {"name": f, "type": "picklist" if f in values else "string",
             "externalId": f == self.ext_field, "idLookup": f in ("Email", self.ext_field),
             "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": False}
                                for v in values.get(f, [])]}
            for f in sorted(self.fields | {"Country"})]
        return {"name": "Lead", "custom": False, "fields": fields}

    def _route(self, method: str, path: str, headers: dict, raw: bytes, query: str = "") -> Response:
        if re.fullmatch(API + r"/query/?", path) and method == "GET":
            return self._soql(query)
        m = re.fullmatch(API + r"/query/([\w-]+)", path)
        if m and method == "GET":
            return self._query_more(m[2])
        if re.fullmatch(API + r"/sobjects/Lead/describe/?", path) and method == "GET":
            return Response(200, self._describe())
        if re.fullmatch(API + r"/sobjects/Campaign/?", path) and method == "POST":
            return self._campaign_create(self._json(raw))
        if re.fullmatch(API + r"/composite/sobjects/?", path) and method == "POST":
            body = self._json(raw)
            if not isinstance(body, dict) or set(body) - {"allOrNone", "records"} or \
                    not isinstance(body.get("records"), list):
                return self.violation(400, "JSON_PARSER_ERROR", "the body is {allOrNone, records}")
            records = body["records"]
            if len(records) > 200:
                return self.violation(400, "EXCEEDED_ID_LIMIT", "cannot submit more than 200 records into this "
                                      "call")
            if any(not isinstance(r, dict) or not (r.get("attributes") or {}).get("type") for r in records):
                return self.violation(400, "INVALID_TYPE", "every record needs attributes.type")
            for r in records:
                unknown = sorted(set(r) - MEMBER_FIELDS - {"attributes"})
                if r["attributes"]["type"] == "CampaignMember" and unknown:
                    return self.violation(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type "
                                          "CampaignMember", unknown)
            return Response(200, [self._member_create(r) for r in records])
        if re.fullmatch(API + r"/composite/sobjects/?", path) and method == "DELETE":
            ids = (parse_qs(query).get("ids") or [""])[0].split(",")
            if len(ids) > 200:
                return self.violation(400, "EXCEEDED_ID_LIMIT", "cannot delete more than 200 records in one call")
            out = []
            for i in ids:
                if self.members.pop(i, None) is not None:
                    out.append({"id": i, "success": True, "errors": []})
                else:
                    out.append({"id": i, "success": False, "errors": [{"statusCode": "ENTITY_IS_DELETED",
                                                                      "message": "entity is deleted", "fields": []}]})
            return Response(200, out)
        m = re.fullmatch(API + r"/composite/sobjects/Lead/(\w+)", path)
        if m and method == "PATCH":
            body = self._json(raw)
            if not isinstance(body, dict):
                return self.violation(400, "JSON_PARSER_ERROR", "the body must be a JSON object")
            return self._collection_upsert(m[2], headers, body)
        m = re.fullmatch(API + r"/jobs/ingest/?", path)
        if m and method == "POST":
            return self._create_job(self._json(raw))
        # the result paths exactly as the Bulk API 2.0 guide spells them (case matters on a real server's router)
        m = re.fullmatch(API + r"/jobs/ingest/(\w+)(/batches|/successfulResults|/failedResults|/unprocessedrecords)?/?",
                         path)
        if m and m[2] in self.jobs:
            job = self.jobs[m[2]]
            if m[3] == "/batches" and method == "PUT":
                if not (headers.get("Content-Type") or "").startswith("text/csv"):
                    return self.violation(400, "INVALIDCONTENTTYPE", "job data must be uploaded as text/csv")
                if job["state"] != "Open":
                    return _sf_error(400, "INVALIDJOBSTATE", "Job is not open for upload")
                job["csv"] += raw.decode()
                return Response(201, None)
            if m[3] is None and method == "PATCH":
                body = self._json(raw)
                if not isinstance(body, dict) or set(body) != {"state"} or \
                        body["state"] not in ("UploadComplete", "Aborted"):
                    return self.violation(400, "INVALIDJOBSTATE", "PATCH a job with {\"state\": "
                                          "\"UploadComplete\"} or {\"state\": \"Aborted\"} only")
                if job["state"] != "Open":
                    return _sf_error(400, "INVALIDJOBSTATE", f"Job is {job['state']}, not Open")
                job["state"] = body["state"]
                job["polls_left"] = self.polls_per_job
                return Response(200, self._job_view(m[2]))
            if m[3] is None and method == "GET":
                if job["state"] in ("UploadComplete", "InProgress"):
                    job["polls_left"] -= 1
                    job["state"] = "InProgress"
                    if job["polls_left"] <= 0:
                        self._run_job(job)
                return Response(200, self._job_view(m[2]))
            if m[3] and m[3] != "/batches" and method == "GET":
                kind = {"/successfulResults": "success", "/failedResults": "failed",
                        "/unprocessedrecords": "unprocessed"}[m[3]]
                return Response(200, self._results_csv(job, kind), content_type="text/csv")
        return self.violation(404, "NOT_FOUND", f"The requested resource does not exist: {method} {path}")

    @staticmethod
    def _json(raw: bytes) -> object:
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def _create_job(self, body: object) -> Response:
        """POST /jobs/ingest, checked against the Create a Job request body of the Bulk API 2.0 guide."""
        if not isinstance(body, dict) or not body.get("object") or not body.get("operation"):
            return self.violation(400, "INVALIDJOB", "a job needs object and operation")
        unknown = sorted(set(body) - JOB_KEYS)
        if unknown:
            return self.violation(400, "INVALIDJOB", f"Unrecognized field(s) {unknown} in the job request")
        if body["object"] != "Lead":
            return self.violation(400, "INVALIDJOB", f"Entity '{body['object']}' is not supported by the emulator")
        if body["operation"] not in OPERATIONS:
            return self.violation(400, "INVALIDJOB", f"Invalid operation: {body['operation']}")
        if body["operation"] == "upsert" and body.get("externalIdFieldName") != self.ext_field:
            return self.violation(400, "INVALIDJOB", f"InvalidJob : External ID field "
                                  f"'{body.get('externalIdFieldName')}' is not an External ID on Lead")
        if body.get("contentType", "CSV") != "CSV" or body.get("lineEnding", "LF") not in ("LF", "CRLF") or \
                body.get("columnDelimiter", "COMMA") not in DELIMITERS:
            return self.violation(400, "INVALIDJOB", "contentType must be CSV, lineEnding LF or CRLF, "
                                  "columnDelimiter one of " + ", ".join(sorted(DELIMITERS)))
        jid = f"750{next(self.ids):012d}"
        self.jobs[jid] = {"id": jid, "state": "Open", "object": body["object"], "operation": body["operation"],
                          "externalIdFieldName": body.get("externalIdFieldName"), "contentType": "CSV",
                          "csv": "", "success": [], "failed": [], "unprocessed": [], "polls_left": 0,
                          "numberRecordsProcessed": 0, "numberRecordsFailed": 0}
        return Response(200, self._job_view(jid))

    def _soql(self, query: str) -> Response:
        """The list sync's queries (a Campaign by Id or by Name, its members) and the CRM feedback query (a real
        org runs full SOQL)."""
        q = (parse_qs(query).get("q") or [""])[0]
        m = re.fullmatch(r"SELECT (.+?) FROM (Lead|Contact)(?: WHERE SystemModstamp > (\S+))? ORDER BY SystemModstamp", q)
        if m:
            return self._changes_query(q, [f.strip() for f in m[1].split(",")], m[2], m[3])
        m = re.fullmatch(r"SELECT Id FROM Campaign WHERE Name = '((?:[^'\\]|\\.)*)'", q)
        if m:  # SOQL compares strings case-insensitively, except on unique case-sensitive fields
            name = re.sub(r"\\(.)", r"\1", m[1]).casefold()
            rows = [{"attributes": {"type": "Campaign"}, "Id": c["Id"]} for c in self.campaigns.values()
                    if c["Name"].casefold() == name]
            return Response(200, {"totalSize": len(rows), "done": True, "records": rows})
        m = re.fullmatch(r"SELECT Id FROM Campaign WHERE Id = '((?:[^'\\]|\\.)*)'", q)
        if m:  # 15- or 18-character Ids both match; a deleted record is not returned (only queryAll has it)
            if not re.fullmatch(r"[A-Za-z0-9]{15}([A-Za-z0-9]{3})?", m[1]):
                return _sf_error(400, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {m[1]}")
            rows = [{"attributes": {"type": "Campaign"}, "Id": c["Id"]} for c in self.campaigns.values()
                    if c["Id"] == m[1] or c["Id"][:15] == m[1]]
            return Response(200, {"totalSize": len(rows), "done": True, "records": rows})
        m = re.fullmatch(r"SELECT Id, LeadId FROM CampaignMember WHERE CampaignId = '(\w+)'", q)
        if m:  # paged like any query: a big Campaign's members come back through nextRecordsUrl
            rows = [{"attributes": {"type": "CampaignMember"}, "Id": mid, "LeadId": v["LeadId"]}
                    for mid, v in self.members.items() if v["CampaignId"] == m[1]]
            return self._query_page(q, "CampaignMember", rows)
        return _sf_error(400, "MALFORMED_QUERY", f"unsupported query in the emulator: {q}")

    # ---- CRM feedback: records changed since a watermark (SOQL on SystemModstamp, paged by nextRecordsUrl) ----
    def _changes_query(self, q: str, fields: list[str], sobject: str, since: str | None) -> Response:
        known = FEEDBACK_FIELDS[sobject]
        unknown = [f for f in fields if f not in known]
        if unknown:
            return _sf_error(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{sobject}'. If you are "
                             "attempting to use a custom field, be sure to append the '__c' after the custom field "
                             "name. Please reference your WSDL or the describe call for the appropriate names.")
        after = None
        if since is not None:
            if not SOQL_DATETIME.fullmatch(since):
                return _sf_error(400, "MALFORMED_QUERY", f"line 1:{q.find(since)} no viable alternative at "
                                 f"character '{since[:1]}'")
            after = _sf_time(since)
        records = self._feedback_records(sobject)
        rows = sorted((r for r in records if after is None or _sf_time(r["SystemModstamp"]) > after),
                      key=lambda r: _sf_time(r["SystemModstamp"]))
        out = [{"attributes": {"type": sobject, "url": f"/services/data/v59.0/sobjects/{sobject}/{r['Id']}"},
                **{f: r.get(f) for f in fields}} for r in rows]
        return self._query_page(q, sobject, out)

    def _query_page(self, what: str, sobject: str, rows: list[dict]) -> Response:
        page, rest = rows[: self.query_page], rows[self.query_page :]
        body: dict = {"totalSize": len(rows), "done": not rest, "records": page}
        if rest:
            locator = f"01g{next(self.ids):015d}-{len(page)}"
            self.cursors[locator] = (sobject, rest)
            body["nextRecordsUrl"] = f"/services/data/v59.0/query/{locator}"
        self.queries.append((what, len(page)))
        return Response(200, body)

    def _query_more(self, locator: str) -> Response:
        if locator not in self.cursors:
            return _sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        sobject, rows = self.cursors.pop(locator)
        return self._query_page(f"query_more {locator}", sobject, rows)

    def _feedback_records(self, sobject: str) -> list[dict]:
        """Leads (with the defaults a new Lead gets) or Contacts, each with its SystemModstamp."""
        if sobject == "Contact":
            return [{**CONTACT_DEFAULTS, **c} for c in self.sf_contacts.values()]
        return [{**LEAD_DEFAULTS, **lead, "SystemModstamp": self.modstamps.get(lead["Id"], _sf_now())}
                for lead in self.leads.values()]

    def touch_lead(self, email: str, when: str | None = None, **fields: object) -> dict:
        """A change made in Salesforce (DoNotCall ticked, a conversion, a bounce): new values, new SystemModstamp."""
        [lead] = [v for v in self.leads.values() if str(v.get("Email") or "").lower() == email.lower()]
        lead.update(fields)
        self.modstamps[lead["Id"]] = when or _sf_now()
        return lead

    def add_contact(self, email: str, when: str | None = None, **fields: object) -> dict:
        cid = f"003{next(self.ids):015d}"
        self.sf_contacts[cid] = {"Id": cid, "Email": email, "SystemModstamp": when or _sf_now(), **fields}
        self.contacts[email.lower()] = cid
        return self.sf_contacts[cid]

    def _campaign_create(self, body: object) -> Response:
        """POST sobjects/Campaign: Name is required and at most 80 characters; unknown fields fail the request."""
        if not isinstance(body, dict):
            return self.violation(400, "JSON_PARSER_ERROR", "the body must be a JSON object")
        unknown = sorted(set(body) - CAMPAIGN_FIELDS)
        if unknown:
            return self.violation(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type Campaign",
                                  unknown)
        name = str(body.get("Name") or "")
        if not name:
            return _sf_error(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ["Name"])
        if len(name) > 80:
            return _sf_error(400, "STRING_TOO_LONG", f"Name: data value too large: {name} (max length=80)", ["Name"])
        cid = f"701{next(self.ids):015d}"
        self.campaigns[cid] = {"Id": cid, "Name": name, "IsActive": body.get("IsActive", False)}
        return Response(201, {"id": cid, "success": True, "errors": []})

    def add_campaign(self, name: str, **fields: object) -> str:
        """A Campaign a user made in Salesforce (any name: the UI allows two with the same one) -> its Id."""
        cid = f"701{next(self.ids):015d}"
        self.campaigns[cid] = {"Id": cid, "Name": name, "IsActive": True, **fields}
        return cid

    def delete_campaign(self, cid: str) -> None:
        """A user deletes a Campaign: its CampaignMembers go with it, and queries no longer return it."""
        del self.campaigns[cid]
        self.members = {mid: m for mid, m in self.members.items() if m["CampaignId"] != cid}

    def _member_create(self, rec: dict) -> dict:
        if (rec.get("attributes") or {}).get("type") != "CampaignMember":
            return {"success": False, "errors": [{"statusCode": "INVALID_TYPE", "message": "CampaignMember only",
                                                  "fields": []}]}
        if rec.get("CampaignId") not in self.campaigns:
            return {"success": False, "errors": [{"statusCode": "INVALID_CROSS_REFERENCE_KEY",
                                                  "message": "invalid cross reference id", "fields": ["CampaignId"]}]}
        lead_ids = {v["Id"] for v in self.leads.values()}
        if rec.get("LeadId") not in lead_ids:
            return {"success": False, "errors": [{"statusCode": "INVALID_CROSS_REFERENCE_KEY",
                                                  "message": "invalid cross reference id", "fields": ["LeadId"]}]}
        if any(v == {"CampaignId": rec["CampaignId"], "LeadId": rec["LeadId"]} for v in self.members.values()):
            return {"success": False, "errors": [{"statusCode": "DUPLICATE_VALUE", "fields": [],
                                                  "message": "Already a campaign member."}]}
        mid = f"00v{next(self.ids):015d}"
        self.members[mid] = {"CampaignId": rec["CampaignId"], "LeadId": rec["LeadId"]}
        return {"id": mid, "success": True, "errors": []}

    def _job_view(self, jid: str) -> dict:
        return {k: v for k, v in self.jobs[jid].items()
                if k not in ("csv", "success", "failed", "unprocessed", "polls_left")}

    # ---- the upsert engine shared by collections and bulk ------------------------------------------------
    def _address_problem(self, rec: dict) -> dict | None:
        """State and Country picklists: names in Country/State, ISO codes in CountryCode/StateCode."""
        if not self.picklists:
            return None
        if rec.get("Country"):
            try:
                pycountry.countries.lookup(rec["Country"])
                if len(str(rec["Country"])) <= 3:  # a code is not a country name
                    raise LookupError
            except LookupError:
                return _record_error("FIELD_INTEGRITY_EXCEPTION", f"{COUNTRY_PROBLEM}: Country", ["Country"])
        code = rec.get("CountryCode")
        if code and pycountry.countries.get(alpha_2=str(code)) is None:
            return _record_error("FIELD_INTEGRITY_EXCEPTION", f"{COUNTRY_PROBLEM}: Country Code", ["CountryCode"])
        state = rec.get("StateCode")
        if state and (code not in STATE_COUNTRIES or pycountry.subdivisions.get(code=f"{code}-{state}") is None):
            return _record_error("FIELD_INTEGRITY_EXCEPTION", f"{STATE_PROBLEM}: State Code", ["StateCode"])
        return None

    def _upsert_one(self, rec: dict, ext_field: str, allow_save: bool) -> dict:
        ext = str(rec.get(ext_field) or "")
        if self.lock_rows.get(ext.lower()):
            self.lock_rows[ext.lower()] -= 1
            lead_id = (self.leads.get(ext.lower()) or {}).get("Id", "00Q000000000000AAA")
            return _record_error("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 "
                                 f"records: {lead_id}")
        problem = self._address_problem(rec)
        if problem:
            return problem
        existing = self.leads.get(ext.lower())
        merged = {**(existing or {}), **{k: v for k, v in rec.items() if k != "attributes"}}
        missing = [f for f in ("LastName", "Company") if not merged.get(f)]
        if missing:
            return {"success": False, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "fields": missing,
                                                  "message": f"Required fields are missing: [{', '.join(missing)}]"}]}
        email = str(merged.get("Email") or "").lower()
        if existing is None and email in self.contacts and not (allow_save and self.rule_allows_save):
            key = "duplicateResut" if self.misspelt_key else "duplicateResult"
            cid = self.contacts[email]
            return {"success": False, "errors": [{
                "statusCode": "DUPLICATES_DETECTED", "message": "Use one of these records?", "fields": [],
                key: {"allowSave": self.rule_allows_save,
                      "duplicateRule": "Standard_Rule_for_Leads_with_Duplicate_Contacts",
                      "duplicateRuleEntityType": "Lead", "errorMessage": "Use one of these records?",
                      "matchResults": [{"entityType": "Contact", "errors": [], "matchEngine": "FuzzyMatchEngine",
                                        "matchRecords": [{"additionalInformation": [], "fieldDiffs": [],
                                                          "matchConfidence": 100.0,
                                                          "record": {"attributes": {"type": "Contact"},
                                                                     "Id": cid}}],
                                        "rule": "Standard_Contact_Match_Rule_v1_1", "size": 1, "success": True}]}}]}
        created = existing is None
        if created:
            merged["Id"] = f"00Q{next(self.ids):015d}"
        self.modstamps[merged["Id"]] = _sf_now()
        self.leads[ext.lower()] = merged
        self.created_flags.append(created)
        self.upserted.append(ext.lower())
        return {"id": merged["Id"], "success": True, "errors": [], "created": created}

    def _collection_upsert(self, ext_field: str, headers: dict, body: dict) -> Response:
        """PATCH composite/sobjects/Lead/<ext field>: the documented body is {allOrNone, records}, <= 200 Lead
        records with attributes.type, no record Ids; an unknown field fails the whole request (JSON binding)."""
        if ext_field != self.ext_field:
            return self.violation(400, "INVALID_FIELD", f"Field {ext_field} is not an external id field on Lead")
        if set(body) - {"allOrNone", "records"} or not isinstance(body.get("records"), list):
            return self.violation(400, "JSON_PARSER_ERROR", f"Unrecognized field(s) {sorted(set(body))}; the body "
                                  "is {allOrNone, records}")
        records = body["records"]
        if len(records) > 200:
            return self.violation(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 "
                                  "records into this call")
        if any(not isinstance(r, dict) or (r.get("attributes") or {}).get("type") != "Lead" for r in records):
            return self.violation(400, "INVALID_TYPE", "all records need attributes.type Lead")
        for r in records:
            if "Id" in r:
                return self.violation(400, "INVALID_FIELD", "Upsert with an external ID does not accept record "
                                      "Ids in the body", ["Id"])
            unknown = sorted(set(r) - self.fields - {"attributes"})
            if unknown:
                return self.violation(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type "
                                      "Lead", unknown)
        allow = "allowsave=true" in (headers.get("Sforce-Duplicate-Rule-Header") or "").replace(" ", "").lower()
        return Response(200, [self._upsert_one(r, ext_field, allow) for r in records])

    def _run_job(self, job: dict) -> None:
        reader = csv.DictReader(io.StringIO(job["csv"]))
        rows = list(reader)
        unknown = sorted(set(reader.fieldnames or []) - self.fields)
        if unknown:  # Salesforce fails the whole job on a header it cannot bind
            self.violations.append(f"InvalidBatch: Field name not found : {unknown[0]}")
            job.update(state="Failed", errorMessage=f"InvalidBatch : Field name not found : {unknown[0]}",
                       unprocessed=rows)
            return
        for i, row in enumerate(rows):
            if self.unprocessed_after is not None and i >= self.unprocessed_after:
                job["unprocessed"].append(row)
                continue
            res = self._upsert_one({k: v for k, v in row.items() if v != ""}, job["externalIdFieldName"], False)
            if res["success"]:
                job["success"].append({"sf__Id": res["id"], "sf__Created": str(res["created"]).lower(), **row})
            else:
                e = res["errors"][0]
                job["failed"].append({"sf__Id": "", "sf__Error": f"{e['statusCode']}:{e['message']}:--", **row})
        job["numberRecordsProcessed"] = len(job["success"]) + len(job["failed"])
        job["numberRecordsFailed"] = len(job["failed"])
        job["state"] = "JobComplete"

    def _results_csv(self, job: dict, kind: str) -> str:
        rows = job[kind]
        cols = {"success": ["sf__Id", "sf__Created"], "failed": ["sf__Id", "sf__Error"], "unprocessed": []}[kind]
        header = cols + (next(csv.reader(io.StringIO(job["csv"]))) if job["csv"].strip() else [])
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=list(header), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return out.getvalue()


@contextlib.contextmanager
def running_salesforce(tls_dir: Path, monkeypatch, **options: object) -> Iterator[SalesforceEmulator]:
    """The emulator over HTTPS (simple-salesforce insists on it) and the Airflow Connection the sink logs in
    with; on leaving, fails the test if the sink sent a request outside the documented REST API."""
    ca, cert, key = make_test_ca(tls_dir)
    emu = SalesforceEmulator(str(cert), str(key), **options).start()
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "conn_type": "salesforce", "host": emu.url, "login": "ck-test", "password": "cs-test",
        "extra": {"ca_bundle": str(ca)}}))
    try:
        yield emu
    finally:
        emu.stop()
    assert emu.violations == [], f"requests outside the documented Salesforce API: {emu.violations[:3]}"

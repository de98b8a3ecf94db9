"""Salesforce REST emulator (OAuth client credentials, sObject Collections upsert, Bulk API 2.0 ingest).

Follows developer.salesforce.com as summarised with sources in /work/shared/notes/crm-apis.md: HTTPS only
(simple-salesforce hard-codes https), 401 INVALID_SESSION_ID, daily API budget -> 403 REQUEST_LIMIT_EXCEEDED,
Sforce-Limit-Info on every answer, collections of <= 200 records answered 200 with per-record UpsertResults,
REQUIRED_FIELD_MISSING (Lead LastName + Company), a Lead-vs-Contact email duplicate rule answering
DUPLICATES_DETECTED with the real misspelt `duplicateResut` key (or `duplicateResult`, switchable), honouring
Sforce-Duplicate-Rule-Header allowSave when the rule allows it, and the Bulk 2.0 job state machine with
successfulResults / failedResults / unprocessedrecords CSVs.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import re
import secrets

from tests.emulators.httpbase import EmulatorServer, Response

API = r"/services/data/v(\d+\.\d)"


def _sf_error(status: int, code: str, message: str, fields: list | None = None) -> Response:
    return Response(status, [{"message": message, "errorCode": code, "fields": fields or []}])


class SalesforceEmulator(EmulatorServer):
    def __init__(self, certfile: str, keyfile: str, client_id: str = "ck-test", client_secret: str = "cs-test",
                 daily: int = 100_000, ext_field: str = "Prospect_Ext_Id__c", rule_allows_save: bool = False,
                 misspelt_key: bool = True):
        super().__init__(certfile, keyfile)
        self.client = (client_id, client_secret)
        self.sessions: set[str] = set()
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
                       ext_field}
        self.jobs: dict[str, dict] = {}
        self.created_flags: list[bool] = []
        self.unprocessed_after: int | None = None  # bulk: leave records after this many unprocessed
        self.campaigns: dict[str, dict] = {}
        self.members: dict[str, dict] = {}  # CampaignMember Id -> {CampaignId, LeadId}

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def handle(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response:
        if path == "/services/oauth2/token" and method == "POST":
            return self._token(headers, raw)
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
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        basic = (headers.get("Authorization") or "").removeprefix("Basic ")
        try:
            cid, _, secret = base64.b64decode(basic).decode().partition(":")
        except ValueError:
            cid = secret = ""
        if form.get("grant_type") != "client_credentials" or (cid, secret) != self.client:
            return Response(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        token = "00D" + secrets.token_hex(16)
        self.sessions.add(token)
        return Response(200, {"access_token": token, "instance_url": self.url, "id": f"{self.url}/id/00D/005",
                              "token_type": "Bearer", "issued_at": "0", "signature": "x"})

    def _route(self, method: str, path: str, headers: dict, raw: bytes, query: str = "") -> Response:
        if re.fullmatch(API + r"/query/?", path) and method == "GET":
            return self._soql(query)
        if re.fullmatch(API + r"/sobjects/Campaign/?", path) and method == "POST":
            body = json.loads(raw)
            if not body.get("Name"):
                return _sf_error(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", ["Name"])
            cid = f"701{next(self.ids):015d}"
            self.campaigns[cid] = {"Id": cid, "Name": body["Name"], "IsActive": body.get("IsActive", False)}
            return Response(201, {"id": cid, "success": True, "errors": []})
        if re.fullmatch(API + r"/composite/sobjects/?", path) and method == "POST":
            records = json.loads(raw).get("records") or []
            if len(records) > 200:
                return _sf_error(400, "EXCEEDED_ID_LIMIT", "cannot submit more than 200 records into this call")
            return Response(200, [self._member_create(r) for r in records])
        if re.fullmatch(API + r"/composite/sobjects/?", path) and method == "DELETE":
            from urllib.parse import parse_qs

            ids = (parse_qs(query).get("ids") or [""])[0].split(",")
            if len(ids) > 200:
                return _sf_error(400, "EXCEEDED_ID_LIMIT", "cannot delete more than 200 records in one call")
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
            return self._collection_upsert(m[2], headers, json.loads(raw or b"{}"))
        m = re.fullmatch(API + r"/jobs/ingest/?", path)
        if m and method == "POST":
            body = json.loads(raw)
            jid = f"750{next(self.ids):012d}"
            self.jobs[jid] = {"id": jid, "state": "Open", "object": body["object"], "operation": body["operation"],
                              "externalIdFieldName": body.get("externalIdFieldName"), "contentType": "CSV",
                              "csv": "", "success": [], "failed": [], "unprocessed": [],
                              "numberRecordsProcessed": 0, "numberRecordsFailed": 0}
            return Response(200, self._job_view(jid))
        # result paths: the docs write unprocessedrecords, simple-salesforce sends unprocessedRecords
        m = re.fullmatch(API + r"/jobs/ingest/(\w+)(/batches|/successfulResults|/failedResults|/unprocessedrecords)?",
                         path, flags=re.IGNORECASE)
        if m and m[2] in self.jobs:
            job = self.jobs[m[2]]
            if m[3] == "/batches" and method == "PUT":
                if job["state"] != "Open":
                    return _sf_error(400, "INVALIDJOBSTATE", "Job is not open for upload")
                job["csv"] += raw.decode()
                return Response(201, None)
            if m[3] is None and method == "PATCH":
                job["state"] = json.loads(raw)["state"]
                if job["state"] == "UploadComplete":
                    self._run_job(job)
                return Response(200, self._job_view(m[2]))
            if m[3] is None and method == "GET":
                return Response(200, self._job_view(m[2]))
            if m[3] and method == "GET":
                kind = {"/successfulresults": "success", "/failedresults": "failed",
                        "/unprocessedrecords": "unprocessed"}[m[3].lower()]
                return Response(200, self._results_csv(job, kind), content_type="text/csv")
        return _sf_error(404, "NOT_FOUND", f"The requested resource does not exist: {method} {path}")

    def _soql(self, query: str) -> Response:
        """The two queries the list sync needs (a real org runs full SOQL)."""
        from urllib.parse import parse_qs

        q = (parse_qs(query).get("q") or [""])[0]
        m = re.fullmatch(r"SELECT Id FROM Campaign WHERE Name = '((?:[^'\\]|\\.)*)'", q)
        if m:
            name = re.sub(r"\\(.)", r"\1", m[1])
            rows = [{"attributes": {"type": "Campaign"}, "Id": c["Id"]} for c in self.campaigns.values()
                    if c["Name"] == name]
            return Response(200, {"totalSize": len(rows), "done": True, "records": rows})
        m = re.fullmatch(r"SELECT Id, LeadId FROM CampaignMember WHERE CampaignId = '(\w+)'", q)
        if m:
            rows = [{"attributes": {"type": "CampaignMember"}, "Id": mid, "LeadId": v["LeadId"]}
                    for mid, v in self.members.items() if v["CampaignId"] == m[1]]
            return Response(200, {"totalSize": len(rows), "done": True, "records": rows})
        return _sf_error(400, "MALFORMED_QUERY", f"unsupported query in the emulator: {q}")

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
        return {k: v for k, v in self.jobs[jid].items() if k not in ("csv", "success", "failed", "unprocessed")}

    # ---- the upsert engine shared by collections and bulk ------------------------------------------------
    def _upsert_one(self, rec: dict, ext_field: str, allow_save: bool) -> dict:
        ext = str(rec.get(ext_field) or "")
        unknown = sorted(set(rec) - self.fields - {"attributes"})
        if unknown:
            return {"success": False, "errors": [{"statusCode": "INVALID_FIELD", "fields": unknown,
                                                  "message": f"No such column '{unknown[0]}' on sobject of type Lead"}]}
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
        self.leads[ext.lower()] = merged
        self.created_flags.append(created)
        return {"id": merged["Id"], "success": True, "errors": [], "created": created}

    def _collection_upsert(self, ext_field: str, headers: dict, body: dict) -> Response:
        if ext_field != self.ext_field:
            return _sf_error(400, "INVALID_FIELD", f"Field {ext_field} is not an external id field on Lead")
        records = body.get("records") or []
        if len(records) > 200:
            return _sf_error(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records "
                             "into this call")
        if any((r.get("attributes") or {}).get("type") != "Lead" for r in records):
            return _sf_error(400, "INVALID_TYPE", "all records need attributes.type Lead")
        allow = "allowsave=true" in (headers.get("Sforce-Duplicate-Rule-Header") or "").replace(" ", "").lower()
        return Response(200, [self._upsert_one(r, ext_field, allow) for r in records])

    def _run_job(self, job: dict) -> None:
        job["state"] = "InProgress"
        rows = list(csv.DictReader(io.StringIO(job["csv"])))
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

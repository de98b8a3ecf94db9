"""Salesforce sink through `simple-salesforce`: Lead upsert on an external-id field.

Small pushes use sObject Collections (200 records per PATCH, per-record UpsertResults); pushes above
`bulk_threshold` use a Bulk API 2.0 ingest job, whose failed and unprocessed records are always read back
(per-record failures never raise there). DUPLICATES_DETECTED is reported per record with the rule and the
matching record, read from `duplicateResult` or the real, misspelt `duplicateResut` key. 401 fails fast;
403 REQUEST_LIMIT_EXCEEDED (Salesforce's daily limit: no 429, no Retry-After) stops cleanly.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import replace

import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceOperationError,
    SalesforceRefusedRequest,
)

from connectors.sinks.base import (
    FieldMapping,
    OnBatch,
    PlannedPush,
    PushResult,
    Sink,
    SinkAuthError,
    SinkError,
    SinkQuotaExhausted,
    chunks,
)
from connectors.sinks.credentials import connection
from connectors.sinks.salesforce.settings import CAPABILITIES, SalesforceSettings

log = logging.getLogger(__name__)


def client_credentials_session(token_host: str, consumer_key: str, consumer_secret: str,
                               session: requests.Session | None = None) -> tuple[str, str]:
    """OAuth 2.0 client-credentials flow against the org's My Domain host -> (access token, instance url)."""
    session = session or requests.Session()
    resp = session.post(f"{token_host.rstrip('/')}/services/oauth2/token", data={"grant_type": "client_credentials"},
                        auth=(consumer_key, consumer_secret), timeout=30)
    if resp.status_code != 200:
        try:
            err = resp.json()
        except ValueError:
            err = {}
        raise SinkAuthError(f"Salesforce token request refused ({resp.status_code} {err.get('error', '')}: "
                            f"{err.get('error_description', '')}); check the Airflow Connection's consumer key/secret")
    data = resp.json()
    return data["access_token"], data["instance_url"]


def duplicate_reason(error: dict) -> str:
    """'DUPLICATES_DETECTED: <message> (rule X matched Contact 003...)', from either spelling of the key."""
    dup = error.get("duplicateResult") or error.get("duplicateResut") or {}
    matches = [f"{mr.get('entityType', '?')} {rec.get('record', {}).get('Id', '?')}"
               for mr in dup.get("matchResults") or [] for rec in mr.get("matchRecords") or []]
    detail = f" (rule {dup.get('duplicateRule', '?')} matched {', '.join(matches) or 'a record'})" if dup else ""
    return f"DUPLICATES_DETECTED: {error.get('message', '')}{detail}"


def _reason(error: dict) -> str:
    code = error.get("statusCode") or error.get("errorCode") or "ERROR"
    if code == "DUPLICATES_DETECTED":
        return duplicate_reason(error)
    fields = f" [{', '.join(error['fields'])}]" if error.get("fields") else ""
    return f"{code}: {error.get('message', '')}{fields}"


class SalesforceSink(Sink):
    name = "salesforce"

    def __init__(self, settings: SalesforceSettings, sf: Salesforce, mapping: dict[str, str],
                 policies: dict | None = None):
        self.settings = settings
        self.sf = sf
        self.mapping = FieldMapping({k: v for k, v in mapping.items() if k != "person_id"}, policies or {})
        self.capabilities = replace(CAPABILITIES, batch_size=settings.collection_size,
                                    writable_fields=frozenset({*self.mapping.properties, "person_id"}))

    def check(self) -> str:
        """Building the sink logged in (OAuth client credentials); that proves the Connection. Writes nothing."""
        return f"logged in to Salesforce at {self.sf.sf_instance} (Connection '{self.settings.connection_id}')"

    def sync_list(self, list_name: str, crm_ids: list[str], list_id: str | None = None) -> tuple[str, int, int]:
        return sync_campaign(self, list_name, crm_ids)

    def check_setup(self) -> list:  # crmlists: `leadpipe sinks check salesforce` (connectors/sinks/salesforce/check.py)
        from connectors.sinks.salesforce.check import check_salesforce  # only the check command needs it

        return check_salesforce(self)

    def _row(self, p: PlannedPush) -> dict:
        row = self.mapping.payload(p.record, p.existing)
        row[self.settings.external_id_field] = p.person_id
        return row

    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        todo = [p for p in plan if p.action in ("create", "update")]
        if not todo:
            return []
        try:
            if len(todo) > self.settings.bulk_threshold:
                results = self._bulk(todo)
                if on_batch:
                    on_batch(results)
                return results
            return self._collections(todo, on_batch)
        except SalesforceExpiredSession as exc:
            raise SinkAuthError(f"Salesforce session expired or invalid ({_first(exc)}); check Airflow Connection "
                                f"'{self.settings.connection_id}'") from None

    def _collections(self, todo: list[PlannedPush], on_batch: OnBatch | None) -> list[PushResult]:
        path = f"composite/sobjects/{self.settings.sobject}/{self.settings.external_id_field}"
        headers = {"Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=true"} \
            if self.settings.allow_duplicate_save else {}
        results: list[PushResult] = []
        batches = chunks(todo, self.settings.collection_size)
        for i, batch in enumerate(batches):
            body = {"allOrNone": False,
                    "records": [{"attributes": {"type": self.settings.sobject}, **self._row(p)} for p in batch]}
            try:
                answers = self.sf.restful(path, method="PATCH", json=body, headers=headers)
            except SalesforceGeneralError as exc:
                if exc.status < 500:
                    raise SinkError(f"Salesforce refused the upsert ({_first(exc)})") from None
                # unavailable for now: this batch and the rest wait for the next run (upserts are keyed)
                left = [p for b in batches[i:] for p in b]
                deferred = [PushResult(p.person_id, p.action, None, f"Salesforce unavailable ({exc.status}); left "
                                       "for the next run", "deferred") for p in left]
                if on_batch:
                    on_batch(deferred)
                log.warning("Salesforce answered %s; %d records left for the next run", exc.status, len(left))
                return results + deferred
            except SalesforceRefusedRequest as exc:
                if _code(exc) != "REQUEST_LIMIT_EXCEEDED":
                    raise SinkAuthError(f"Salesforce refused the request ({_first(exc)})") from None
                left = [p for b in batches[i:] for p in b]
                deferred = [PushResult(p.person_id, p.action, None, "Salesforce daily API limit reached "
                                       "(REQUEST_LIMIT_EXCEEDED); left for the next run", "deferred") for p in left]
                if on_batch:
                    on_batch(deferred)
                log.warning("Salesforce daily API limit reached; %d records left for the next run", len(left))
                return results + deferred
            batch_results = []
            for p, a in zip(batch, answers, strict=True):
                if a.get("success"):
                    batch_results.append(PushResult(p.person_id, p.action, a["id"], None, "confirmed",
                                                    a.get("created")))
                else:
                    reason = "; ".join(_reason(e) for e in a.get("errors") or []) or "no reason given"
                    batch_results.append(PushResult(p.person_id, p.action, None, f"Salesforce refused: {reason}",
                                                    "refused"))
            results.extend(batch_results)
            if on_batch:
                on_batch(batch_results)
        return results

    def _bulk(self, todo: list[PlannedPush]) -> list[PushResult]:
        by_pid = {p.person_id: p for p in todo}
        ext = self.settings.external_id_field
        rows = [self._row(p) for p in todo]
        fields = sorted({k for r in rows for k in r})
        rows = [{f: r.get(f, "") for f in fields} for r in rows]  # empty cell = leave the field as it is
        api = getattr(self.sf.bulk2, self.settings.sobject)
        try:
            jobs = api.upsert(records=rows, external_id_field=ext, wait=self.settings.bulk_poll_seconds)
        except SalesforceRefusedRequest as exc:
            if _code(exc) != "REQUEST_LIMIT_EXCEEDED":
                raise SinkAuthError(f"Salesforce refused the request ({_first(exc)})") from None
            raise SinkQuotaExhausted("Salesforce daily API limit reached (REQUEST_LIMIT_EXCEEDED)") from None
        except SalesforceOperationError as exc:
            raise SinkError(f"Salesforce Bulk API job failed: {exc}") from None
        results: dict[str, PushResult] = {}
        for job in jobs:
            jid = job["job_id"]
            for row in csv.DictReader(io.StringIO(api.get_successful_records(jid))):
                p = by_pid[row[ext]]
                results[p.person_id] = PushResult(p.person_id, p.action, row["sf__Id"], None, "confirmed",
                                                  row.get("sf__Created") == "true")
            for row in csv.DictReader(io.StringIO(api.get_failed_records(jid))):
                p = by_pid[row[ext]]
                results[p.person_id] = PushResult(p.person_id, p.action, None,
                                                  f"Salesforce refused: {row['sf__Error']}", "refused")
            for row in csv.DictReader(io.StringIO(api.get_unprocessed_records(jid))):
                p = by_pid[row[ext]]
                results[p.person_id] = PushResult(p.person_id, p.action, None, "Salesforce did not process it "
                                                  "(Bulk API unprocessed record); retried next run", "deferred")
        return [results.get(p.person_id) or PushResult(p.person_id, p.action, None, "Salesforce gave no result "
                                                       "for this record", "refused") for p in todo]


def sync_campaign(sink: SalesforceSink, name: str, lead_ids: list[str]) -> tuple[str, int, int]:
    """Make the Campaign `name` have exactly these Leads as CampaignMembers -> (campaign id, added, removed)."""
    sf = sink.sf
    found = sf.query(format_soql("SELECT Id FROM Campaign WHERE Name = {}", name))["records"]
    cid = found[0]["Id"] if found else sf.Campaign.create({"Name": name, "IsActive": True})["id"]
    rows = sf.query_all(format_soql("SELECT Id, LeadId FROM CampaignMember WHERE CampaignId = {}", cid))["records"]
    current = {r["LeadId"]: r["Id"] for r in rows}
    wanted = set(lead_ids)
    add = sorted(wanted - set(current))
    remove = sorted(mid for lead, mid in current.items() if lead not in wanted)
    problems = []
    for batch in chunks(add, 200):
        answers = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
            {"attributes": {"type": "CampaignMember"}, "CampaignId": cid, "LeadId": lead} for lead in batch]})
        problems += [_reason(e) for a in answers if not a.get("success") for e in a.get("errors") or []]
    for batch in chunks(remove, 200):
        answers = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(batch),
                                                                             "allOrNone": "false"})
        problems += [_reason(e) for a in answers if not a.get("success") for e in a.get("errors") or []
                     if e.get("statusCode") != "ENTITY_IS_DELETED"]
    if problems:
        raise SinkError(f"Salesforce refused {len(problems)} campaign member change(s), first: {problems[0]}")
    return cid, len(add), len(remove)


def _first(exc: SalesforceError) -> str:
    content = exc.content if isinstance(exc.content, list) else [exc.content]
    first = content[0] if content and isinstance(content[0], dict) else {}
    return f"{first.get('errorCode', exc.status)}: {first.get('message', '')}"


def _code(exc: SalesforceError) -> str:
    content = exc.content if isinstance(exc.content, list) else [exc.content]
    return (content[0] or {}).get("errorCode", "") if content and isinstance(content[0], dict) else ""


def salesforce_sink(settings, session: requests.Session | None = None) -> SalesforceSink:
    """Build the sink from the Airflow Connection: host = My Domain URL, login/password = consumer key/secret."""
    conn = connection(settings.salesforce.connection_id)
    if not conn.get("host") or not conn.get("login") or not conn.get("password"):
        raise ValueError(f"Salesforce needs the Airflow Connection '{settings.salesforce.connection_id}' with host "
                         "(My Domain URL), login (consumer key) and password (consumer secret)")
    session = session or requests.Session()
    if (conn.get("extra") or {}).get("ca_bundle"):
        # a private CA (test emulator, TLS-inspecting proxy): requests lets REQUESTS_CA_BUNDLE override
        # session.verify unless the environment is ignored
        session.verify = conn["extra"]["ca_bundle"]
        session.trust_env = False
    token, instance = client_credentials_session(conn["host"], conn["login"], conn["password"], session)
    sf = Salesforce(instance_url=instance, session_id=token, session=session, version=settings.salesforce.api_version)
    return SalesforceSink(settings.salesforce, sf, settings.mapping_for("salesforce"), dict(settings.write_policy))

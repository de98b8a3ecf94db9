"""Salesforce sink through `simple-salesforce`: Lead upsert on an external-id field.

Small pushes use sObject Collections (200 records per PATCH, per-record UpsertResults); pushes above
`bulk_threshold` use a Bulk API 2.0 ingest job, whose successfulResults, failedResults and
unprocessedrecords are always read back at the documented (case-sensitive) paths; per-record failures
never raise there. DUPLICATES_DETECTED is reported per record with the rule and the matching record, read
from `duplicateResult` or the real, misspelt `duplicateResut` key.

Every request goes through `SalesforceSession` (auth.py): an expired session (401 INVALID_SESSION_ID) is
renewed once per request; 5xx, 429 and UNABLE_TO_LOCK_ROW are retried with backoff by the shared policy
(leadpipe/core/retry.py). Records refused per record with UNABLE_TO_LOCK_ROW are sent again under the
same policy; what is still locked or unavailable after it is left for the next run (deferred). 403
REQUEST_LIMIT_EXCEEDED (Salesforce's daily limit: no 429, no Retry-After) stops cleanly.

Orgs with State and Country picklists refuse a code in `Country`: the sink reads the Lead describe once
and, when `CountryCode` exists, sends the ISO codes as `CountryCode` / `StateCode` instead.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)
from simple_salesforce.util import exception_handler

from connectors.sinks.address import crm_address
from connectors.sinks.base import (
    FeedbackRecord,
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
from connectors.sinks.salesforce import feedback
from connectors.sinks.salesforce.auth import SalesforceSession, oauth_config
from connectors.sinks.salesforce.settings import CAPABILITIES, SalesforceSettings
from leadpipe.core.retry import RetryPolicy, Verdict

log = logging.getLogger(__name__)

BULK_JOB_RECORDS = 50_000  # ~25 MB of Lead CSV per job upload


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
                 policies: dict | None = None, retry: RetryPolicy | None = None):
        self.settings = settings
        self.sf = sf
        self.retry = retry or retry_policy(settings)
        self.mapping = FieldMapping({k: v for k, v in mapping.items() if k != "person_id"}, policies or {})
        self.capabilities = replace(CAPABILITIES, batch_size=settings.collection_size,
                                    writable_fields=frozenset({*self.mapping.properties, "person_id"}))
        self._fields: set[str] | None = None
        self._states: set[str] | None = None  # active StateCode picklist values, when the describe lists them

    def check(self) -> str:
        """Logged in (building the sink did that) and the Lead fields we write exist. Writes nothing."""
        self._describe()
        picklists = " (State/Country picklists on: codes go to CountryCode/StateCode)" if self.picklists else ""
        return f"logged in to Salesforce at {self.sf.sf_instance} (Connection '{self.settings.connection_id}'); " \
               f"the {self.settings.sobject} fields we write exist{picklists}"

    @property
    def picklists(self) -> bool:
        return "CountryCode" in self._describe()

    def _describe(self) -> set[str]:
        """The sObject's field names, read once; a mapped field the org lacks stops before anything is written."""
        if self._fields is None:
            try:
                desc = self.sf.restful(f"sobjects/{self.settings.sobject}/describe")
            except SalesforceExpiredSession as exc:
                raise SinkAuthError(f"Salesforce refused the renewed session ({_first(exc)}); check Airflow "
                                    f"Connection '{self.settings.connection_id}'") from None
            except SalesforceRefusedRequest as exc:
                if _code(exc) == "REQUEST_LIMIT_EXCEEDED":
                    raise SinkQuotaExhausted("Salesforce daily API limit reached (REQUEST_LIMIT_EXCEEDED)") from None
                raise SinkAuthError(f"Salesforce refused to describe {self.settings.sobject} ({_first(exc)}): give "
                                    "the integration user's permission set Read on it") from None
            except SalesforceError as exc:
                raise SinkError(f"Salesforce could not describe {self.settings.sobject} ({_first(exc)}); nothing "
                                "was written") from None
            fields = {f["name"] for f in desc.get("fields") or []}
            self._states = {v["value"] for f in desc.get("fields") or [] if f["name"] == "StateCode"
                            for v in f.get("picklistValues") or [] if v.get("active", True)} or None
            wanted = {*self.mapping.properties.values(), self.settings.external_id_field}
            if "CountryCode" in fields:
                wanted = {_PICKLIST.get(f, f) for f in wanted}
            missing = sorted(wanted - fields)
            if missing:
                raise SinkError(f"Salesforce {self.settings.sobject} has no field(s) {', '.join(missing)} (or the "
                                "integration user cannot see them): create them and grant access in the "
                                "permission set (docs/crm-sinks.md), or change sink.field_map")
            self._fields = fields
        return self._fields

    def sync_list(self, list_name: str, crm_ids: list[str], list_id: str | None = None) -> tuple[str, int, int]:
        return sync_campaign(self, list_name, crm_ids, list_id)

    def changes_since(self, watermark: datetime | None) -> Iterator[FeedbackRecord]:
        """CRM feedback (connectors.sinks.base.FeedbackSource): Leads and Contacts modified after `watermark`."""
        return feedback.changes_since(self, watermark)

    def check_setup(self) -> list:  # crmlists: `leadpipe sinks check salesforce` (connectors/sinks/salesforce/check.py)
        from connectors.sinks.salesforce.check import check_salesforce  # only the check command needs it

        return check_salesforce(self)

    def _row(self, p: PlannedPush) -> dict:
        # Street is a text area: line 1, a line break, line 2 (connectors.sinks.address)
        row = self.mapping.payload(crm_address(p.record, "\n"), p.existing)
        if self.picklists:
            row = picklist_row(row, self._states)
        row[self.settings.external_id_field] = p.person_id
        return row

    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        todo = [p for p in plan if p.action in ("create", "update")]
        if not todo:
            return []
        self._describe()
        try:
            if len(todo) > self.settings.bulk_threshold:
                return self._bulk(todo, on_batch)
            return self._collections(todo, on_batch)
        except SalesforceExpiredSession as exc:
            # the session renewed itself once for this request and Salesforce still refused it
            raise SinkAuthError(f"Salesforce refused the renewed session ({_first(exc)}); check the integration "
                                f"user and Airflow Connection '{self.settings.connection_id}'") from None

    def _upsert_batch(self, batch: list[PlannedPush], path: str, headers: dict) -> list[PushResult]:
        """One collection PATCH; records refused with UNABLE_TO_LOCK_ROW are sent again under the retry policy."""
        done: dict[str, PushResult] = {}
        pending = list(batch)

        def attempt() -> int:
            nonlocal pending
            body = {"allOrNone": False,
                    "records": [{"attributes": {"type": self.settings.sobject}, **self._row(p)} for p in pending]}
            answers = self.sf.restful(path, method="PATCH", json=body, headers=headers)
            locked = []
            for p, a in zip(pending, answers, strict=True):
                errors = a.get("errors") or []
                if a.get("success"):
                    done[p.person_id] = PushResult(p.person_id, p.action, a["id"], None, "confirmed", a.get("created"))
                elif errors and all(e.get("statusCode") == "UNABLE_TO_LOCK_ROW" for e in errors):
                    locked.append(p)
                else:
                    reason = "; ".join(_reason(e) for e in errors) or "no reason given"
                    done[p.person_id] = PushResult(p.person_id, p.action, None, f"Salesforce refused: {reason}",
                                                   "refused")
            pending = locked
            return len(locked)

        self.retry.run(attempt, lambda n: Verdict(isinstance(n, int) and n > 0, f"UNABLE_TO_LOCK_ROW on {n} "
                                                  "record(s)"), what=f"Salesforce PATCH {path}")
        for p in pending:
            done[p.person_id] = PushResult(p.person_id, p.action, None, "Salesforce record locked "
                                           "(UNABLE_TO_LOCK_ROW) after retries; left for the next run", "deferred")
        return [done[p.person_id] for p in batch]

    def _collections(self, todo: list[PlannedPush], on_batch: OnBatch | None) -> list[PushResult]:
        path = f"composite/sobjects/{self.settings.sobject}/{self.settings.external_id_field}"
        headers = {"Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=true"} \
            if self.settings.allow_duplicate_save else {}
        results: list[PushResult] = []
        batches = chunks(todo, self.settings.collection_size)
        for i, batch in enumerate(batches):
            try:
                batch_results = self._upsert_batch(batch, path, headers)
            except SalesforceMalformedRequest as exc:
                raise SinkError(f"Salesforce refused the upsert request ({_first(exc)})") from None
            except (SalesforceGeneralError, requests.ConnectionError, requests.Timeout) as exc:
                status = getattr(exc, "status", None)
                if isinstance(exc, SalesforceGeneralError) and status is not None and status < 500:
                    raise SinkError(f"Salesforce refused the upsert ({_first(exc)})") from None
                # still unavailable after the retries: this batch and the rest wait for the next run
                what = f"answered {status}" if status else f"unreachable ({type(exc).__name__})"
                return results + self._defer([p for b in batches[i:] for p in b], on_batch,
                                             f"Salesforce {what} after retries; left for the next run")
            except SalesforceRefusedRequest as exc:
                if _code(exc) != "REQUEST_LIMIT_EXCEEDED":
                    raise SinkAuthError(f"Salesforce refused the request ({_first(exc)})") from None
                return results + self._defer([p for b in batches[i:] for p in b], on_batch, "Salesforce daily API "
                                             "limit reached (REQUEST_LIMIT_EXCEEDED); left for the next run")
            results.extend(batch_results)
            if on_batch:
                on_batch(batch_results)
        return results

    @staticmethod
    def _defer(left: list[PlannedPush], on_batch: OnBatch | None, reason: str) -> list[PushResult]:
        deferred = [PushResult(p.person_id, p.action, None, reason, "deferred") for p in left]
        if on_batch:
            on_batch(deferred)
        log.warning("%s (%d records)", reason, len(left))
        return deferred

    # ---- Bulk API 2.0 ----------------------------------------------------------------------------------
    def _bulk_call(self, method: str, path: str, **kwargs) -> requests.Response:
        """One Bulk API 2.0 call on the renewing, retrying session; a refusal raises simple-salesforce's error."""
        headers = {**self.sf.headers, **kwargs.pop("headers", {})}
        resp = self.sf.session.request(method, f"{self.sf.base_url}jobs/ingest{path}", headers=headers,
                                       timeout=120, **kwargs)
        if resp.status_code >= 300:
            exception_handler(resp, name="bulk2")
        return resp

    def _bulk(self, todo: list[PlannedPush], on_batch: OnBatch | None) -> list[PushResult]:
        """One ingest job per BULK_JOB_RECORDS records (an upload stays far below the 150 MB per job)."""
        results: list[PushResult] = []
        try:
            for part in chunks(todo, BULK_JOB_RECORDS):
                done = self._bulk_job(part)
                results.extend(done)
                if on_batch:
                    on_batch(done)
            return results
        except SalesforceRefusedRequest as exc:
            if _code(exc) != "REQUEST_LIMIT_EXCEEDED":
                raise SinkAuthError(f"Salesforce refused the request ({_first(exc)})") from None
            raise SinkQuotaExhausted("Salesforce daily API limit reached (REQUEST_LIMIT_EXCEEDED)") from None
        except (SalesforceMalformedRequest, SalesforceGeneralError) as exc:
            raise SinkError(f"Salesforce Bulk API refused the job ({_first(exc)})") from None

    def _bulk_job(self, todo: list[PlannedPush]) -> list[PushResult]:
        by_pid = {p.person_id: p for p in todo}
        ext = self.settings.external_id_field
        rows = [self._row(p) for p in todo]
        fields = sorted({k for r in rows for k in r})
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", restval="")  # "" = leave as is
        writer.writeheader()
        writer.writerows(rows)
        job = self._bulk_call("POST", "", json={
            "object": self.settings.sobject, "operation": "upsert", "externalIdFieldName": ext,
            "contentType": "CSV", "lineEnding": "LF", "columnDelimiter": "COMMA"}).json()
        jid = job["id"]
        self._bulk_call("PUT", f"/{jid}/batches", data=out.getvalue().encode("utf-8"),
                        headers={"Content-Type": "text/csv"})
        self._bulk_call("PATCH", f"/{jid}", json={"state": "UploadComplete"})
        state, deadline, pause = "UploadComplete", time.monotonic() + self.settings.bulk_timeout_seconds, \
            self.settings.bulk_poll_seconds
        while state not in ("JobComplete", "Failed", "Aborted"):
            if time.monotonic() > deadline:
                log.warning("Bulk API job still %s after %.0f s; %d records left for the next run", state,
                            self.settings.bulk_timeout_seconds, len(todo))
                return [PushResult(p.person_id, p.action, None, f"Salesforce Bulk API job {jid} still running; "
                                   "left for the next run", "deferred") for p in todo]
            time.sleep(pause)
            pause = min(pause * 1.5, 30.0)
            info = self._bulk_call("GET", f"/{jid}").json()
            state = info["state"]
        if state != "JobComplete":
            log.warning("Bulk API job %s ended %s (%s); reading what it did", jid, state, info.get("errorMessage"))
        results: dict[str, PushResult] = {}
        locked: list[PlannedPush] = []
        for row in self._bulk_rows(jid, "successfulResults"):
            p = by_pid[row[ext]]
            results[p.person_id] = PushResult(p.person_id, p.action, row["sf__Id"], None, "confirmed",
                                              row.get("sf__Created") == "true")
        for row in self._bulk_rows(jid, "failedResults"):
            p = by_pid[row[ext]]
            if row["sf__Error"].startswith("UNABLE_TO_LOCK_ROW"):
                locked.append(p)
                continue
            results[p.person_id] = PushResult(p.person_id, p.action, None, f"Salesforce refused: {row['sf__Error']}",
                                              "refused")
        for row in self._bulk_rows(jid, "unprocessedrecords"):
            p = by_pid[row[ext]]
            results[p.person_id] = PushResult(p.person_id, p.action, None, "Salesforce did not process it "
                                              "(Bulk API unprocessed record); retried next run", "deferred")
        if locked:  # a lock is transient: send those again through collections, which retry it
            results.update({r.person_id: r for r in self._collections(locked, None)})
        why = f"Salesforce Bulk API job {jid} ended {state}: {info.get('errorMessage') or 'no result'}; " \
              "left for the next run" if state != "JobComplete" else None
        return [results.get(p.person_id) or (PushResult(p.person_id, p.action, None, why, "deferred") if why else
                PushResult(p.person_id, p.action, None, "Salesforce gave no result for this record", "refused"))
                for p in todo]

    def _bulk_rows(self, jid: str, kind: str) -> list[dict]:
        """A result CSV at its documented path: successfulResults, failedResults, unprocessedrecords."""
        text = self._bulk_call("GET", f"/{jid}/{kind}", headers={"Accept": "text/csv"}).content.decode("utf-8")
        return list(csv.DictReader(io.StringIO(text)))


_PICKLIST = {"Country": "CountryCode", "State": "StateCode"}


def picklist_row(row: dict, states: set[str] | None = None) -> dict:
    """Country/State codes moved to CountryCode/StateCode (orgs with State and Country picklists).

    Our country is ISO 3166-1 alpha-2 and our state ISO 3166-2 ("US-CA"); Salesforce's StateCode is the part
    after the hyphen. A state the org's picklist does not offer (states are switched on per country), or one
    of another country, is left out rather than have Salesforce refuse the whole Lead for it.
    """
    out = dict(row)
    country = (out.pop("Country", None) or "").strip().upper()
    if country:
        out["CountryCode"] = country
    state = (out.pop("State", None) or "").strip().upper()
    prefix, dash, sub = state.partition("-")
    code = sub if dash else state
    if state and (not dash or prefix == country) and country and (states is None or code in states):
        out["StateCode"] = code
    return out


def retry_policy(settings: SalesforceSettings) -> RetryPolicy:
    return RetryPolicy(attempts=settings.retry_attempts, base=settings.retry_base_seconds,
                       cap=max(settings.retry_base_seconds, 30.0), total=settings.retry_max_seconds)


def sync_campaign(sink: SalesforceSink, name: str, lead_ids: list[str],
                  campaign_id: str | None = None) -> tuple[str, int, int]:
    """Make the Campaign `name` have exactly these Leads as CampaignMembers -> (campaign id, added, removed).

    Every refusal is a SinkError saying what Salesforce said, so a caller syncing many lists can go on with
    the next one.
    """
    try:
        cid = _campaign(sink.sf, name, campaign_id)
        return cid, *_sync_members(sink.sf, cid, lead_ids)
    except SalesforceError as exc:
        raise _campaign_error(sink, name, exc) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SinkError(f"Salesforce could not be reached while syncing the Campaign '{name}' "
                        f"({type(exc).__name__}); nothing more was changed") from None


def _campaign(sf: Salesforce, name: str, known: str | None) -> str:
    """The list's Campaign: the one recorded at the last sync while it exists (a user may have renamed it: it is
    still this list), else the one Campaign named `name`, else a new one.

    SOQL compares names ignoring case and Salesforce lets several Campaigns share one; with more than one and
    no recorded id, which is this list cannot be told, so nothing is changed (never the first one found).
    """
    if known and sf.query(format_soql("SELECT Id FROM Campaign WHERE Id = {}", known))["records"]:
        return known
    found = [r["Id"] for r in sf.query(format_soql("SELECT Id FROM Campaign WHERE Name = {}", name))["records"]]
    if len(found) > 1:
        raise SinkError(f"{len(found)} Campaigns are named '{name}' (Salesforce compares names ignoring case): "
                        f"{', '.join(sorted(found))}; which one is this list cannot be told, so none was changed: "
                        "rename or delete all but one of them in Salesforce")
    return found[0] if found else sf.Campaign.create({"Name": name, "IsActive": True})["id"]


def _sync_members(sf: Salesforce, cid: str, lead_ids: list[str]) -> tuple[int, int]:
    """Add the missing Leads and remove the others (200 per call) -> (added, removed)."""
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
    return len(add), len(remove)


def _campaign_error(sink: SalesforceSink, name: str, exc: SalesforceError) -> SinkError:
    """A refused Campaign call as the push reports refusals: credentials and the daily limit concern every
    list (SinkAuthError, SinkQuotaExhausted); anything else, this one."""
    if isinstance(exc, SalesforceExpiredSession):
        return SinkAuthError(f"Salesforce refused the renewed session ({_first(exc)}); check Airflow Connection "
                             f"'{sink.settings.connection_id}'")
    if _code(exc) == "REQUEST_LIMIT_EXCEEDED":
        return SinkQuotaExhausted("Salesforce daily API limit reached (REQUEST_LIMIT_EXCEEDED): the org's API "
                                  "requests of the last 24 hours are used up; the sync can run when they free up")
    return SinkError(f"Salesforce answered {exc.status} on the Campaign '{name}' ({_first(exc)})")


def _first(exc: SalesforceError) -> str:
    content = exc.content if isinstance(exc.content, list) else [exc.content]
    first = content[0] if content and isinstance(content[0], dict) else {}
    return f"{first.get('errorCode', exc.status)}: {first.get('message', '')}"


def _code(exc: SalesforceError) -> str:
    content = exc.content if isinstance(exc.content, list) else [exc.content]
    return (content[0] or {}).get("errorCode", "") if content and isinstance(content[0], dict) else ""


def salesforce_sink(settings, session: SalesforceSession | None = None) -> SalesforceSink:
    """Build the sink from the Airflow Connection (JWT bearer or client credentials; see auth.py) and log in."""
    own = settings.salesforce
    try:
        cfg = oauth_config(own.connection_id)
    except ValueError as exc:
        raise SinkAuthError(str(exc)) from None
    session = session or SalesforceSession(cfg, retry_policy(own))
    token, instance = session.login()
    sf = Salesforce(instance_url=instance, session_id=token, session=session, version=own.api_version)

    def renewed(new_token: str) -> None:  # keep simple-salesforce's own copy current too
        sf.session_id = new_token
        sf.headers["Authorization"] = f"Bearer {new_token}"

    session.on_renew = renewed
    return SalesforceSink(own, sf, settings.mapping_for("salesforce"), dict(settings.write_policy), session.policy)

"""HubSpot sink through the official `hubspot-api-client`.

Contacts are batch-upserted by email (100 per call), companies by a unique custom property holding the
normalised domain (HubSpot cannot upsert by `domain`), and linked with v4 default associations. Every call
goes through one shared rolling-window budget and one retry policy, because the client's own urllib3
retry never retries POST: 429 TEN_SECONDLY_ROLLING waits out the window (or Retry-After), 429 DAILY stops
cleanly, 423/477/5xx back off and retry, 401/403 fail fast.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hubspot import HubSpot
from hubspot.crm.properties import PropertyCreate
from urllib3.util.retry import Retry

from connectors.sinks.base import (
    FieldMapping,
    OnBatch,
    PlannedPush,
    PushResult,
    Sink,
    SinkAuthError,
    SinkContext,
    SinkError,
    SinkQuotaExhausted,
    chunks,
)
from connectors.sinks.credentials import hubspot_token
from connectors.sinks.hubspot.settings import CAPABILITIES, CUSTOM_CONTACT_PROPS, HubSpotSettings
from connectors.sinks.ratelimit import RequestLimiter, RollingWindowLimiter

if TYPE_CHECKING:
    from connectors.sinks.settings import CommonSinkSettings

log = logging.getLogger(__name__)
TRANSIENT = {423, 477, 500, 502, 503, 504, 524}


class BatchRefused(SinkError):
    """HubSpot refused a whole batch (e.g. 400 VALIDATION_ERROR): every record in it gets this reason."""


@dataclass
class CallStats:
    calls: int = 0
    rate_limited: int = 0
    transient: int = 0


def error_reason(status: int, body: str | bytes | None) -> tuple[str, dict]:
    """'CATEGORY: message' from a HubSpot error body, never echoing headers or tokens."""
    try:
        data = json.loads(body or "{}")
    except (TypeError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    category = data.get("category") or data.get("errorType") or f"HTTP {status}"
    return f"{category}: {data.get('message') or 'no message'}", data


class HubSpotSink(Sink):
    name = "hubspot"

    def __init__(self, settings: HubSpotSettings, token: str, mapping: dict[str, str],
                 policies: dict | None = None, window: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep, limiter: RequestLimiter | None = None):
        self.settings = settings
        self.mapping = FieldMapping(mapping, policies or {})
        self.capabilities = replace(CAPABILITIES, batch_size=settings.batch_size,
                                    lookup_existing=settings.match_existing, writable_fields=frozenset(mapping))
        self.window = window
        self.sleep = sleep
        # crmlists: the budget shared across processes when the push stage hands one in (SinkContext.limiter)
        self.limiter = limiter or RollingWindowLimiter(settings.requests_per_10s, window, sleep=sleep)
        # retry=0: urllib3 must not retry behind our back; _call owns retries (it knows POST upsert is safe).
        self.api = HubSpot(access_token=token, host=settings.host.rstrip("/"),
                           retry=Retry(total=0, raise_on_status=False))
        self.stats = CallStats()
        self._props_checked = False
        # the client imports each sub-API lazily (~1 s for associations v4); do it once, up front
        for api in (self.api.crm.contacts, self.api.crm.companies, self.api.crm.associations.v4):
            api.batch_api  # noqa: B018

    # ---- the one place that talks to HubSpot -------------------------------------------------------------
    def _call(self, what: str, fn: Callable, *args: object, **kwargs: object) -> object:
        attempt = limited = 0
        while True:
            self.stats.calls += 1
            try:
                with self.limiter.slot():
                    return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - each generated sub-package has its own ApiException
                status = getattr(exc, "status", None)
                if status == 0:  # the client could not parse HubSpot's answer: retrying will not help
                    raise SinkError(f"HubSpot {what}: unreadable answer ({getattr(exc, 'reason', exc)})") from None
                if status is None:  # connection dropped / reset: transient, upserts are idempotent
                    reason, data, status = f"connection problem: {type(exc).__name__}", {}, 0
                else:
                    reason, data = error_reason(status, getattr(exc, "body", None))
                headers = getattr(exc, "headers", None) or {}
            if status in (401, 403):
                raise SinkAuthError(f"HubSpot refused the credentials on {what} ({status} {reason}); check the "
                                    f"private-app token in Airflow Connection '{self.settings.connection_id}' "
                                    "and its scopes") from None
            retry_after = _float(headers.get("Retry-After"))
            if status == 429:
                policy = data.get("policyName", "")
                if policy == "DAILY":
                    raise SinkQuotaExhausted("HubSpot daily API limit reached") from None
                limited += 1
                self.stats.rate_limited += 1
                if limited > max(self.settings.max_retries * 5, 20):
                    raise SinkError(f"HubSpot kept answering 429 on {what} after {limited} waits") from None
                wait = retry_after if retry_after is not None else (
                    self.window if policy != "SECONDLY" else 1.0)
                log.info("HubSpot 429 %s on %s: pausing %.1fs", policy or "(no policy)", what, wait)
                self.limiter.pause(wait)
                continue
            if status in TRANSIENT or status == 0:
                attempt += 1
                self.stats.transient += 1
                if attempt > self.settings.max_retries:
                    raise SinkError(f"HubSpot {what} still failing after {attempt} tries: {reason}") from None
                wait = retry_after if retry_after is not None else (
                    2.0 * attempt if status == 423 else min(0.25 * 2 ** attempt, 10.0))
                self.sleep(wait)
                continue
            raise BatchRefused(reason)

    def check(self) -> str:
        """One read call (contact properties): proves the token and its CRM schema scope, writes nothing."""
        props = self._call("read contacts properties", self.api.crm.properties.core_api.get_all, "contacts")
        return f"HubSpot at {self.settings.host} accepted the token ({len(props.results or [])} contact properties readable)"

    def sync_list(self, list_name: str, crm_ids: list[str], list_id: str | None = None) -> tuple[str, int, int]:
        return sync_hubspot_list(self, list_name, crm_ids, list_id)

    def check_setup(self) -> list:  # crmlists: `leadpipe sinks check hubspot` (connectors/sinks/hubspot/check.py)
        from connectors.sinks.hubspot.check import check_hubspot  # only the check command needs it

        return check_hubspot(self)

    # ---- setup ---------------------------------------------------------------------------------------------
    def ensure_properties(self) -> list[str]:
        """Create our custom properties if missing (idempotent); returns the ones created."""
        if self._props_checked:
            return []
        created = []
        wanted = {"contacts": {p for p in self.mapping.properties.values() if p in CUSTOM_CONTACT_PROPS}}
        wanted["companies"] = {self.settings.company_key_property} if self.settings.associate_companies else set()
        for otype, names in wanted.items():
            have = {p.name for p in self._call(f"read {otype} properties",
                                               self.api.crm.properties.core_api.get_all, otype).results}
            for name in sorted(names - have):
                unique = otype == "companies"
                body = PropertyCreate(name=name, label=CUSTOM_CONTACT_PROPS.get(name, "leadpipe domain key"),
                                      type="string", field_type="text",
                                      group_name="contactinformation" if otype == "contacts" else "companyinformation",
                                      has_unique_value=unique, description="Written by leadpipe.")
                try:
                    self._call(f"create property {name}", self.api.crm.properties.core_api.create, otype, body)
                    created.append(f"{otype}.{name}")
                except BatchRefused as exc:
                    if "already exists" not in str(exc) and "OBJECT_ALREADY_EXISTS" not in str(exc):
                        raise
        self._props_checked = True
        return created

    # ---- planning help: what HubSpot already holds -------------------------------------------------------
    def lookup(self, emails: list[str]) -> dict[str, list[dict]]:
        """email (lower-case) -> [{'id', 'person_id', **properties}] for contacts HubSpot already has."""
        props = sorted(set(self.mapping.properties.values()))
        found: dict[str, list[dict]] = {}
        for batch in chunks(sorted({e.lower() for e in emails if e}), 100):
            body = {"idProperty": "email", "properties": props, "propertiesWithHistory": [],
                    "inputs": [{"id": e} for e in batch]}
            raw = self._call("read contacts", self.api.crm.contacts.batch_api.read, body, _preload_content=False)
            for r in json.loads(raw.data or b"{}").get("results") or []:
                p = r.get("properties") or {}
                found.setdefault((p.get("email") or "").lower(), []).append(
                    {**p, "id": str(r["id"]), "person_id": p.get("lp_person_id")})
        return found

    # ---- writing -------------------------------------------------------------------------------------------
    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        todo = [p for p in plan if p.action in ("create", "update")]
        if not todo:
            return []
        self.ensure_properties()
        results: list[PushResult] = []
        companies: dict[str, str] = {}
        held: list[PushResult] = []
        pairs: list[tuple[str, str]] = []
        batches = chunks(todo, self.settings.batch_size)
        stop_reason: str | None = None
        try:
            if self.settings.associate_companies:
                companies = self._upsert_companies(todo)
        except SinkQuotaExhausted as exc:
            stop_reason = str(exc)
            batches_done = 0
        else:
            batches_done = 0
            # associations go to their own thread so contact batches keep flowing; a batch's records are
            # confirmed (on_batch) once their association call has been answered
            flushing: deque = deque()

            def confirm(block: bool) -> str | None:
                while flushing and (block or flushing[0][0].done()):
                    fut, done_results = flushing.popleft()
                    stopped = None
                    try:
                        fut.result()
                    except SinkQuotaExhausted as exc:  # contacts are in HubSpot; only their links are missing
                        stopped = str(exc)
                    results.extend(done_results)
                    if on_batch:
                        on_batch(done_results)
                    if stopped:
                        return stopped
                return None

            with ThreadPoolExecutor(self.settings.concurrency) as pool, ThreadPoolExecutor(1) as linker:
                # at most `concurrency` batches in flight, so a stop leaves nothing running ahead of it
                futures: deque = deque()
                pending = iter(batches)
                for b in itertools.islice(pending, self.settings.concurrency):
                    futures.append(pool.submit(self._upsert_contacts, b))
                try:
                    for batch in batches:
                        res = futures.popleft().result()
                        nxt = next(pending, None)
                        if nxt is not None:
                            futures.append(pool.submit(self._upsert_contacts, nxt))
                        batches_done += 1
                        held.extend(res)
                        by_pid = {p.person_id: p for p in batch}
                        pairs.extend((r.crm_id, companies[_domain(by_pid[r.person_id].record)]) for r in res
                                     if r.crm_id and _domain(by_pid[r.person_id].record) in companies)
                        if (not self.settings.associate_companies or batches_done == len(batches)
                                or len(pairs) >= self.settings.association_batch_size):
                            flushing.append((linker.submit(self._associate, pairs), held))
                            pairs, held = [], []
                        stop_reason = confirm(block=False)
                        if stop_reason:
                            break
                    stop_reason = stop_reason or confirm(block=True)
                except SinkQuotaExhausted as exc:
                    stop_reason = str(exc)
                    for f in futures:
                        f.cancel()
                    confirm(block=True)
                except BaseException:
                    for f in futures:
                        f.cancel()
                    try:  # batches HubSpot already answered still reach the ledger before the run dies
                        confirm(block=True)
                    except Exception:
                        log.exception("HubSpot push: could not confirm answered batches while stopping")
                    raise
                if stop_reason:
                    for f in futures:
                        f.cancel()
            if held:  # answered by HubSpot before a stop, not yet linked
                results.extend(held)
                if on_batch:
                    on_batch(held)
        if stop_reason:
            answered = {r.person_id for r in results}
            deferred = [PushResult(p.person_id, p.action, None, f"{stop_reason}; left for the next run",
                                   status="deferred") for p in todo if p.person_id not in answered]
            results.extend(deferred)
            if on_batch and deferred:
                on_batch(deferred)
            log.warning("HubSpot push stopped: %s; %d records left for the next run", stop_reason, len(deferred))
        return results

    def _upsert_companies(self, todo: list[PlannedPush]) -> dict[str, str]:
        key = self.settings.company_key_property
        names: dict[str, str] = {}
        for p in todo:
            d = _domain(p.record)
            if d and d not in names:
                names[d] = p.record.get("company") or d
        out: dict[str, str] = {}
        for batch in chunks(sorted(names), 100):
            body = {"inputs": [{"id": d, "idProperty": key, "properties": {"name": names[d], "domain": d}}
                               for d in batch]}
            try:
                raw = self._call("upsert companies", self.api.crm.companies.batch_api.upsert, body,
                                 _preload_content=False)
            except BatchRefused as exc:
                log.warning("HubSpot refused %d companies (%s); their contacts go in without a company",
                            len(batch), exc)
                continue
            for r in json.loads(raw.data or b"{}").get("results") or []:
                out[(r.get("properties") or {}).get(key) or ""] = str(r["id"])
        return out

    def _upsert_contacts(self, batch: list[PlannedPush]) -> list[PushResult]:
        # The body is the documented JSON as a plain dict and the answer is read raw (_preload_content=False):
        # the generated models cost more CPU per 100 records than the whole HTTP round trip.
        inputs = []
        for p in batch:
            props = self.mapping.payload(p.record, p.existing)
            props.pop("email", None)
            inputs.append({"id": str(p.record["email"]).lower(), "idProperty": "email", "properties": props,
                           "objectWriteTraceId": p.person_id})
        try:
            raw = self._call("upsert contacts", self.api.crm.contacts.batch_api.upsert, {"inputs": inputs},
                             _preload_content=False)
        except BatchRefused as exc:
            return [PushResult(p.person_id, p.action, None, f"HubSpot refused the batch: {exc}", "refused")
                    for p in batch]
        resp = json.loads(raw.data or b"{}")
        by_email = {str(p.record["email"]).lower(): p for p in batch}
        by_pid = {p.person_id: p for p in batch}
        out: dict[str, PushResult] = {}
        for r in resp.get("results") or []:
            p = by_pid.get(r.get("objectWriteTraceId") or "") or by_email.get(
                ((r.get("properties") or {}).get("email") or "").lower())
            if p:
                out[p.person_id] = PushResult(p.person_id, p.action, str(r["id"]), None, "confirmed",
                                              bool(r.get("new")))
        for e in resp.get("errors") or []:
            reason = f"HubSpot refused: {e.get('category', 'ERROR')}: {e.get('message', 'no message')}"
            for key in [v for vals in (e.get("context") or {}).values() for v in vals]:
                p = by_email.get(str(key).lower()) or by_pid.get(str(key))
                if p and p.person_id not in out:
                    out[p.person_id] = PushResult(p.person_id, p.action, None, reason, "refused")
        return [out.get(p.person_id) or PushResult(p.person_id, p.action, None,
                                                   "HubSpot gave no result for this record", "refused")
                for p in batch]

    def _associate(self, pairs: list[tuple[str, str]]) -> None:
        for batch in chunks(pairs, self.settings.association_batch_size):
            body = {"inputs": [{"from": {"id": c}, "to": {"id": co}} for c, co in batch]}
            try:
                self._call("associate contacts with companies",
                           self.api.crm.associations.v4.batch_api.create_default, "contacts", "companies", body,
                           _preload_content=False)
            except BatchRefused as exc:
                log.warning("HubSpot refused %d contact-company associations: %s", len(batch), exc)


def _domain(record: dict) -> str:
    return str(record.get("domain") or "").strip().lower()


def _float(value: object) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def sync_hubspot_list(sink: HubSpotSink, list_name: str, contact_ids: list[str],
                      list_id: str | None = None) -> tuple[str, int, int]:
    """Make the HubSpot static (MANUAL) contact list `list_name` hold exactly `contact_ids`.

    Returns (list id, added, removed). Creates the list when it does not exist.
    """
    from hubspot.crm.lists import ListCreateRequest, MembershipChangeRequest  # only list rebuilds need these

    lists = sink.api.crm.lists
    if list_id is None:
        try:
            found = sink._call("find list", lists.lists_api.get_by_name, list_name=list_name, object_type_id="0-1")
            list_id = str(found.list.list_id)
        except BatchRefused:  # 404: not there yet
            made = sink._call("create list", lists.lists_api.create,
                              ListCreateRequest(name=list_name, object_type_id="0-1", processing_type="MANUAL"))
            list_id = str(made.list.list_id)
    current: set[str] = set()
    after = None
    while True:
        kwargs = {"limit": 250, **({"after": after} if after else {})}
        page = sink._call("read list members", lists.memberships_api.get_page, list_id, **kwargs)
        current |= {str(m.record_id) for m in page.results or []}
        after = page.paging.next.after if page.paging and page.paging.next else None
        if not after:
            break
    wanted = {str(c) for c in contact_ids}
    add, remove = sorted(wanted - current, key=int), sorted(current - wanted, key=int)
    for i in range(0, max(len(add), len(remove)), 50_000):
        sink._call("change list members", lists.memberships_api.add_and_remove, list_id,
                   MembershipChangeRequest(record_ids_to_add=add[i : i + 50_000],
                                           record_ids_to_remove=remove[i : i + 50_000]))
    return list_id, len(add), len(remove)


def build(settings: CommonSinkSettings, context: SinkContext) -> HubSpotSink:
    """The sink from the `sink:` section; the token comes from the Airflow Connection or the environment."""
    hs = settings.hubspot
    # crmlists: one request budget per HubSpot app (token's Connection) and host, shared by every process
    limiter = context.limiter(budget_key(hs), hs.requests_per_10s, 10.0)
    return HubSpotSink(hs, hubspot_token(hs.connection_id), settings.mapping_for("hubspot"),
                       dict(settings.write_policy), limiter=limiter)


def budget_key(hs: HubSpotSettings) -> str:
    """Names the shared budget: HubSpot's burst limit is per app, i.e. per private-app token (Connection)."""
    return f"hubspot:{hs.connection_id}@{hs.host.rstrip('/')}"

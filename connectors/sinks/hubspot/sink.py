"""HubSpot sink through the official `hubspot-api-client`.

Contacts are batch-upserted by email (100 per call), companies by a unique custom property holding the
normalised domain (HubSpot cannot upsert by `domain`), and linked with v4 default associations. Every call
goes through one shared rolling-window budget and the project's one retry policy (leadpipe/core/retry.py,
tenacity), because the client's own urllib3 retry never retries POST: 429 TEN_SECONDLY_ROLLING waits out the window (or Retry-After), 429 DAILY stops
cleanly, 423/477/5xx back off and retry, 401/403 fail fast.

What HubSpot refuses is never lost or misreported: a batch refused whole (400/409, which integrators see on
upsert when one input is bad) is split until the bad inputs stand alone; results are matched to records by ids
we know or a read-back by the idProperty values we sent (HubSpot need not echo keys or trace ids, nor keep
order); 207 reasons and failed company links (also inside a 200 association answer) are reported per record.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from hubspot import HubSpot
from hubspot.crm.properties import PropertyCreate
from urllib3.util.retry import Retry

from connectors.sinks.address import crm_address
from connectors.sinks.base import (
    FeedbackRecord,
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
from connectors.sinks.hubspot import feedback
from connectors.sinks.hubspot.settings import CAPABILITIES, CUSTOM_CONTACT_PROPS, HubSpotSettings
from connectors.sinks.ratelimit import RequestLimiter, RollingWindowLimiter
from leadpipe.core.retry import GIVE_UP, RetryPolicy, Verdict, retry_after_seconds

if TYPE_CHECKING:
    from connectors.sinks.settings import CommonSinkSettings

log = logging.getLogger(__name__)
TRANSIENT = {423, 477, 500, 502, 503, 504, 524}
# HubSpot's search/read index may lag a write by a second or two: a read-back is asked again after ~1 s and ~2 s.
READ_BACK = RetryPolicy(attempts=3, base=1.0, cap=3.0, total=30.0, jitter=0.0)
SYSTEMIC = 10  # a refusal given to this many records sent alone is about the request, not a record


class BatchRefused(SinkError):
    """HubSpot refused a whole batch (e.g. 400 VALIDATION_ERROR): every record in it gets this reason."""

    def __init__(self, reason: str, status: int = 0):
        super().__init__(reason)
        self.status = status  # the HTTP status HubSpot answered, for messages that name it


class NotFound(BatchRefused):
    """HubSpot answered 404: what was asked for is not there (a list name nobody took, a list id it no longer
    holds). The only answer that may lead to creating something: any other refusal must not."""


@dataclass
class CallStats:
    calls: int = 0
    rate_limited: int = 0
    transient: int = 0
    splits: int = 0  # refused batches split in two to isolate the bad inputs
    read_backs: int = 0  # batch reads that matched upsert results to inputs


@dataclass(frozen=True)
class _Failed:
    """A call HubSpot did not answer with success: what it said and whether another try is worth it."""

    status: int  # 0: the connection failed before an answer
    reason: str
    data: dict
    wait: float | None = None  # seconds HubSpot asked for (or a 429's window); None: the policy's backoff
    retry: bool = True


@dataclass(frozen=True)
class Answer:
    """What HubSpot did with one upsert input, keyed by the idProperty value we sent as its `id`."""

    crm_id: str | None
    created: bool | None = None
    reason: str | None = None  # HubSpot's reason when it refused the input


def standard_error(e: dict) -> str:
    """'CATEGORY: message (detail; ...)' from a StandardError: only documented fields, every one optional."""
    details = "; ".join(str(d.get("message")) for d in e.get("errors") or [] if isinstance(d, dict) and d.get("message"))
    text = f"{e.get('category') or 'ERROR'}: {e.get('message') or 'no message'}"
    return f"{text} ({details})" if details and details not in text else text


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
        # 429s are HubSpot's pacing signal and are waited out more often than 5xx/423 (each has its own count);
        # the policy's own bounds are set so that only these counts and the total time stop a call.
        self._max_rate_limited = max(settings.max_retries * 5, 20)
        self.retry = RetryPolicy(attempts=settings.max_retries + self._max_rate_limited + 1, base=0.5, cap=10.0,
                                 total=settings.retry_max_seconds)
        # retry=0: urllib3 must not retry behind our back; _call owns retries (it knows POST upsert is safe).
        self.api = HubSpot(access_token=token, host=settings.host.rstrip("/"),
                           retry=Retry(total=0, raise_on_status=False))
        self.stats = CallStats()
        self._alone: Counter[str] = Counter()  # reason -> records refused with it when sent alone
        self._props_checked = False
        # the client imports each sub-API lazily (~1 s for associations v4); do it once, up front
        for api in (self.api.crm.contacts, self.api.crm.companies, self.api.crm.associations.v4):
            api.batch_api  # noqa: B018

    # ---- the one place that talks to HubSpot -------------------------------------------------------------
    def _call(self, what: str, fn: Callable, *args: object, **kwargs: object) -> object:
        """One API call under the shared retry policy (leadpipe/core/retry.py) and the shared rate budget.

        The policy does the waiting and counting; this sink only says what each answer means. A 429 also
        pauses the limiter, so every thread of this sink stops sending until HubSpot's window has passed.
        """
        tally: Counter[str] = Counter()  # failures of this call so far: "limited" (429) and "transient"

        def attempt() -> object:
            self.stats.calls += 1
            try:
                with self.limiter.slot():
                    return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - each generated sub-package has its own ApiException
                failed = self._failure(what, exc, tally)
            if failed.status == 429 and failed.retry:
                self.limiter.pause(failed.wait or 0.0)
            return failed

        def classify(outcome: object) -> Verdict:
            if not isinstance(outcome, _Failed) or not outcome.retry:
                return GIVE_UP
            return Verdict(True, outcome.reason, outcome.wait)

        out = self.retry.run(attempt, classify, what=f"HubSpot {what}", sleep=self.sleep)
        if not isinstance(out, _Failed):
            return out
        if out.status == 429:
            if out.data.get("policyName") == "DAILY":
                raise SinkQuotaExhausted("HubSpot daily API limit reached")
            raise SinkError(f"HubSpot kept answering 429 on {what} after {tally['limited']} waits")
        if out.status in TRANSIENT or out.status == 0:
            raise SinkError(f"HubSpot {what} still failing after {tally['transient']} tries: {out.reason}")
        raise (NotFound if out.status == 404 else BatchRefused)(out.reason, out.status)

    def _failure(self, what: str, exc: Exception, tally: Counter[str]) -> _Failed:
        """What a failed call means: fail fast (raised here), retry after some wait, or give up (`retry` False)."""
        status = getattr(exc, "status", None)
        if status == 0:  # the client could not parse HubSpot's answer: retrying will not help
            raise SinkError(f"HubSpot {what}: unreadable answer ({getattr(exc, 'reason', exc)})") from None
        if status is None:  # connection dropped / reset: transient, upserts are idempotent
            reason, data, status = f"connection problem: {type(exc).__name__}", {}, 0
        else:
            reason, data = error_reason(status, getattr(exc, "body", None))
        if status in (401, 403):
            raise SinkAuthError(f"HubSpot refused the credentials on {what} ({status} {reason}); check the "
                                f"private-app token in Airflow Connection '{self.settings.connection_id}' "
                                "and its scopes") from None
        retry_after = retry_after_seconds(str((getattr(exc, "headers", None) or {}).get("Retry-After") or ""))
        if status == 429:
            tally["limited"] += 1
            self.stats.rate_limited += 1
            policy = data.get("policyName", "")
            if policy == "DAILY" or tally["limited"] > self._max_rate_limited:
                return _Failed(status, reason, data, retry=False)
            wait = retry_after if retry_after is not None else (self.window if policy != "SECONDLY" else 1.0)
            return _Failed(status, f"HTTP 429 {policy or '(no policy)'}", data, wait=wait)
        if status in TRANSIENT or status == 0:
            tally["transient"] += 1
            self.stats.transient += 1
            if status == 423 and retry_after is None:
                retry_after = 2.0 * tally["transient"]  # HubSpot: wait at least 2 s after a 423 LOCKED
            return _Failed(status, reason, data, wait=retry_after, retry=tally["transient"] <= self.settings.max_retries)
        return _Failed(status, reason, data, retry=False)

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
    def changes_since(self, watermark: datetime | None) -> Iterator[FeedbackRecord]:
        """CRM feedback (connectors.sinks.base.FeedbackSource): contacts modified after `watermark`."""
        return feedback.changes_since(self, watermark)

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
        company_refused: dict[str, str] = {}
        held: list[PushResult] = []
        pairs: list[tuple[str, str]] = []
        batches = chunks(todo, self.settings.batch_size)
        stop_reason: str | None = None
        try:
            if self.settings.associate_companies:
                companies, company_refused = self._upsert_companies(todo)
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
                        unlinked = fut.result()
                    except SinkQuotaExhausted as exc:  # contacts are in HubSpot; only their links are missing
                        stopped = str(exc)
                        unlinked = {r.crm_id: f"{exc}; link it by hand or re-push" for r in done_results}
                    done_results = [_note_link(r, unlinked.get(r.crm_id)) for r in done_results]
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
                        by_pid = {p.person_id: p for p in batch}
                        held.extend(_note_link(r, company_refused.get(_domain(by_pid[r.person_id].record)))
                                    for r in res)
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

    def _upsert_companies(self, todo: list[PlannedPush]) -> tuple[dict[str, str], dict[str, str]]:
        """domain -> company id, and domain -> HubSpot's reason for the companies it refused."""
        key = self.settings.company_key_property
        names: dict[str, str] = {}
        for p in todo:
            d = _domain(p.record)
            if d and d not in names:
                names[d] = p.record.get("company") or d
        ids: dict[str, str] = {}
        refused: dict[str, str] = {}
        for batch in chunks(sorted(names), 100):
            answers = self._upsert("companies", key, [(d, {"name": str(names[d]), "domain": d}) for d in batch], {})
            for d, a in answers.items():
                if a.crm_id:
                    ids[d] = a.crm_id
                else:
                    refused[d] = a.reason or "no result"
        if refused:
            log.warning("HubSpot refused %d of %d companies; their contacts go in unlinked, with the reason",
                        len(refused), len(names))
        return ids, refused

    def _upsert_contacts(self, batch: list[PlannedPush]) -> list[PushResult]:
        # The body is the documented JSON as a plain dict and the answer is read raw (_preload_content=False):
        # the generated models cost more CPU per 100 records than the whole HTTP round trip.
        items, known = [], {}
        for p in batch:
            email = _email(p)
            # `address` is one line: line 2 follows line 1 after a comma (connectors.sinks.address)
            props = self.mapping.payload(crm_address(p.record, ", "), p.existing)
            props.pop("email", None)  # the idProperty value is the `id`; HubSpot sets the property from it
            items.append((email, props))
            if (p.existing or {}).get("id"):
                known[email] = str(p.existing["id"])
        answers = self._upsert("contacts", "email", items, known)
        out = []
        for p in batch:
            a = answers[_email(p)]
            out.append(PushResult(p.person_id, p.action, a.crm_id, None, "confirmed", a.created) if a.crm_id else
                       PushResult(p.person_id, p.action, None, f"HubSpot refused it: {a.reason}", "refused"))
        return out

    def _upsert(self, otype: str, id_prop: str, items: list[tuple[str, dict]], known: dict[str, str]) -> dict[str, Answer]:
        """Batch-upsert `items` ((idProperty value, properties)); one Answer per value, never a guess.

        A batch refused whole (400/409: integrators see this when one input is bad) is split in two until the
        bad inputs stand alone, so the good ones are written and each bad one gets HubSpot's own reason.
        Results are matched to inputs by what HubSpot guarantees: ids we already know, else a read-back by the
        idProperty values we sent; never by an echoed property or trace id, which HubSpot need not return.
        """
        api = self.api.crm.contacts if otype == "contacts" else self.api.crm.companies
        body = {"inputs": [{"idProperty": id_prop, "id": k, "properties": props} for k, props in items]}
        try:
            raw = self._call(f"upsert {otype}", api.batch_api.upsert, body, _preload_content=False)
        except BatchRefused as exc:
            why = str(exc)
            if len(items) == 1:
                self._alone[why] += 1
                return {items[0][0]: Answer(None, reason=why)}
            if self._alone[why] >= SYSTEMIC:  # not about one record: splitting would cost ~2 calls per record
                return {k: Answer(None, reason=f"{why} (HubSpot gave this answer for every record alone too)")
                        for k, _ in items}
            self.stats.splits += 1
            half = len(items) // 2
            return {**self._upsert(otype, id_prop, items[:half], known),
                    **self._upsert(otype, id_prop, items[half:], known)}
        resp = json.loads(raw.data or b"{}")
        new = {str(r["id"]): r.get("new") for r in resp.get("results") or [] if r.get("id") is not None}
        errors = [e for e in resp.get("errors") or [] if isinstance(e, dict)]
        out: dict[str, Answer] = {}
        for k, _ in items:
            if known.get(k) in new:
                out[k] = Answer(known[k], new[known[k]])
        left = [k for k, _ in items if k not in out]
        unclaimed = set(new) - {a.crm_id for a in out.values()}
        if len(left) == 1 and len(unclaimed) == 1 and not errors:  # all succeeded, one result left: it is this one
            rid = unclaimed.pop()
            out[left[0]] = Answer(rid, new[rid])
        elif left and unclaimed:
            def read_back() -> int:
                """Match what a read by idProperty finds; how many results are still unmatched (0: done)."""
                nonlocal left
                found = self._read_back(otype, id_prop, left)
                for k in left:
                    if found.get(k) in unclaimed:
                        out[k] = Answer(found[k], new[found[k]])
                        unclaimed.discard(found[k])
                left = [k for k in left if k not in out]
                return len(left) if unclaimed else 0

            # a read right after the write may not see it yet: ask again, under the shared policy
            READ_BACK.run(read_back, lambda n: Verdict(isinstance(n, int) and n > 0, f"{n} written records not "
                          "readable yet"), what=f"HubSpot read-back of {otype}", sleep=self.sleep)
        failed = [(k, props) for k, props in items if k not in out]
        if not failed:
            return out
        reasons = sorted({standard_error(e) for e in errors})
        if len(failed) > 1 and len(reasons) != 1:
            # several refused with different reasons and none names its input: ask again one by one
            for item in failed:
                out.update(self._upsert(otype, id_prop, [item], known))
            return out
        why = reasons[0] if len(reasons) == 1 else (
            "; ".join(reasons) or "HubSpot answered without a result the read-back could match to it")
        out.update({k: Answer(None, reason=why) for k, _ in failed})
        return out

    def _read_back(self, otype: str, id_prop: str, keys: list[str]) -> dict[str, str]:
        """idProperty value -> record id, read by the unique values we sent (batch read, up to 100)."""
        api = self.api.crm.contacts if otype == "contacts" else self.api.crm.companies
        found: dict[str, str] = {}
        for batch in chunks(keys, 100):
            self.stats.read_backs += 1
            body = {"idProperty": id_prop, "properties": [id_prop], "propertiesWithHistory": [],
                    "inputs": [{"id": k} for k in batch]}
            try:
                raw = self._call(f"read back {otype}", api.batch_api.read, body, _preload_content=False)
            except BatchRefused as exc:  # written but unmatched: reported, and the next run's upsert matches them
                log.warning("HubSpot refused reading back %d %s: %s", len(batch), otype, exc)
                continue
            for r in json.loads(raw.data or b"{}").get("results") or []:
                value = str((r.get("properties") or {}).get(id_prop) or "")
                found[value.lower() if id_prop == "email" else value] = str(r["id"])
        return found

    def _associate(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        """Link contacts to companies; contact id -> HubSpot's reason for each link it did not make."""
        failed: dict[str, str] = {}
        for batch in chunks(pairs, self.settings.association_batch_size):
            failed.update(self._link(batch))
        if failed:
            log.warning("HubSpot did not link %d contacts to their company; reported on each record", len(failed))
        return failed

    def _link(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        body = {"inputs": [{"from": {"id": c}, "to": {"id": co}} for c, co in pairs]}
        try:
            raw = self._call("associate contacts with companies",
                             self.api.crm.associations.v4.batch_api.create_default, "contacts", "companies", body,
                             _preload_content=False)
        except BatchRefused as exc:
            if len(pairs) == 1:
                return {pairs[0][0]: str(exc)}
            self.stats.splits += 1
            half = len(pairs) // 2
            return {**self._link(pairs[:half]), **self._link(pairs[half:])}
        resp = json.loads(raw.data or b"{}")  # a 200 can carry errors too: read them whatever the status
        made = {(str((r.get("from") or {}).get("id")), str((r.get("to") or {}).get("id")))
                for r in resp.get("results") or []}
        missing = [pair for pair in pairs if pair not in made]
        if not missing:
            return {}
        reasons = sorted({standard_error(e) for e in resp.get("errors") or [] if isinstance(e, dict)})
        if len(missing) > 1 and len(reasons) != 1:
            out: dict[str, str] = {}
            for pair in missing:
                out.update(self._link([pair]))
            return out
        why = reasons[0] if len(reasons) == 1 else ("; ".join(reasons) or "HubSpot gave no result for the link")
        return {c: why for c, _ in missing}


def _note_link(r: PushResult, why: str | None) -> PushResult:
    """A written contact whose company link failed stays confirmed, with the reason on the record."""
    if not why or r.outcome != "confirmed":
        return r
    return replace(r, error=f"not linked to its company: HubSpot said {why}")


def _email(p: PlannedPush) -> str:
    return str(p.record["email"]).strip().lower()


def _domain(record: dict) -> str:
    return str(record.get("domain") or "").strip().lower()


def sync_hubspot_list(sink: HubSpotSink, list_name: str, contact_ids: list[str],
                      list_id: str | None = None) -> tuple[str, int, int]:
    """Make the HubSpot static (MANUAL) contact list `list_name` hold exactly `contact_ids`.

    Returns (list id, added, removed); the id may differ from `list_id` when that list is gone (see
    `_static_list`), so the caller records it. Every refusal is a SinkError saying what HubSpot answered
    (SinkAuthError for the token, SinkQuotaExhausted for the daily limit), so a caller syncing many lists can
    go on with the next one.
    """
    try:
        found = _static_list(sink, list_name, list_id)
        return found, *_sync_members(sink, found, contact_ids)
    except BatchRefused as exc:
        raise SinkError(f"HubSpot answered {exc.status} on the list '{list_name}' ({exc})") from None


def _static_list(sink: HubSpotSink, name: str, known: str | None) -> str:
    """The list's id: the one recorded at the last sync while HubSpot still holds that list (a user may have
    renamed it: it is still this list), else the live list named `name`, else a new static list.

    A list a user deleted is kept by HubSpot for 90 days and still answered by id, with `deletedAt` set
    (HubSpot/hubspot-api-php#486); once purged its id answers 404. Look-ups by name find live lists only (404
    otherwise). Only a 404 means "not there": a rate limit, an outage or a refused token is raised (after the
    retries `_call` makes), never taken for a missing list, which would make a second list of the same name.
    """
    from hubspot.crm.lists import ListCreateRequest  # only list syncs need these

    lists = sink.api.crm.lists.lists_api
    if known and _still_there(sink, known, name):
        return known
    try:
        found = sink._call("find list", lists.get_by_name, list_name=name, object_type_id="0-1")
        return str(found.list.list_id)
    except NotFound:
        made = sink._call("create list", lists.create,
                          ListCreateRequest(name=name, object_type_id="0-1", processing_type="MANUAL"))
        return str(made.list.list_id)


def _still_there(sink: HubSpotSink, list_id: str, name: str) -> bool:
    """Whether HubSpot holds the list `list_id`, not deleted (a deleted list answers 200 with deletedAt set)."""
    try:
        deleted = sink._call("read list", sink.api.crm.lists.lists_api.get_by_id, list_id).list.deleted_at
    except NotFound:
        deleted = "purged"
    if deleted:
        log.warning("HubSpot list %s ('%s') was deleted in HubSpot (%s): syncing into the live list of that "
                    "name, or a new one", list_id, name, deleted)
    return not deleted


def _sync_members(sink: HubSpotSink, list_id: str, contact_ids: list[str]) -> tuple[int, int]:
    """Add the missing contacts and remove the others (50,000 ids per call) -> (added, removed)."""
    from hubspot.crm.lists import MembershipChangeRequest  # only list syncs need these

    memberships = sink.api.crm.lists.memberships_api
    current: set[str] = set()
    after = None
    while True:
        kwargs = {"limit": 250, **({"after": after} if after else {})}
        page = sink._call("read list members", memberships.get_page, list_id, **kwargs)
        current |= {str(m.record_id) for m in page.results or []}
        after = page.paging.next.after if page.paging and page.paging.next else None
        if not after:
            break
    wanted = {str(c) for c in contact_ids}
    add, remove = sorted(wanted - current, key=int), sorted(current - wanted, key=int)
    for i in range(0, max(len(add), len(remove)), 50_000):
        sink._call("change list members", memberships.add_and_remove, list_id,
                   MembershipChangeRequest(record_ids_to_add=add[i : i + 50_000],
                                           record_ids_to_remove=remove[i : i + 50_000]))
    return len(add), len(remove)


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

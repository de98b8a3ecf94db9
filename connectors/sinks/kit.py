"""Contract test kit: the checks every sink must pass, built-in or third party.

Use it from a pytest test, with a case that builds the sink over an empty target and reads back what the
target holds:

    from connectors.sinks.kit import SinkCase, check_sink

    def test_my_sink_keeps_the_contract(my_crm):
        check_sink(SinkCase(make_sink=lambda: MySink(my_crm), read_back=my_crm.records))

It checks, in this order, on one target:
- plan: fresh records plan as creates, re-planned against the ledger of confirmed hashes as skips, a changed
  record as an update (and a sink that looks records up finds what it wrote);
- write: one result per planned create/update, naming the record, confirmed ones with a CRM id and passed
  to `on_batch` (the push stage writes the ledger from there); the records land in the target;
- idempotent re-run: writing the same records again (a crash before the ledger was written) leaves one copy
  each, under the same CRM id;
- partial failure (`spoil`): one bad record is refused with a reason, the rest land;
- retry (`inject_transient`): a transient failure is retried or reported as deferred (or stops the push with
  a SinkError), never lost: a second write lands everything exactly once;
- named list (when the sink declares `named_lists`): the list holds exactly the ids asked for, twice over;
- CRM feedback (when the sink is a `FeedbackSource`): well-formed facts, honouring the watermark.
- channel fields: the sink declares every channel readiness field writable (leadpipe.core.schema.CHANNEL_FIELDS)
  and each landed record holds the values sent, so `read_back` must return them under our field names
  (a yes/no may come back as "true"/"false").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from connectors.sinks.base import (
    FEEDBACK_KINDS,
    FeedbackRecord,
    FeedbackSource,
    PlannedPush,
    PushResult,
    Sink,
    SinkCapabilities,
    SinkError,
    plan_pushes,
)
from leadpipe.core.schema import CHANNEL_FIELDS


class ContractViolation(AssertionError):
    """The sink breaks the Sink contract; the message says which rule and which record."""


def sample_records(start: int, n: int) -> list[dict]:
    """Complete prospects (every field a CRM commonly requires, and the channel fields), numbered from `start`."""
    return [{"person_id": f"kit{i:04d}", "email": f"kit.person{i}@kit-co{i % 3}.example", "first_name": f"Kim{i}",
             "last_name": f"Kitson{i}", "company": f"Kit Co {i % 3}", "domain": f"kit-co{i % 3}.example",
             "job_title": "Head of Testing", "country": "DE", "score": 50 + i, "tier": "B", "market": "dach",
             "seniority": "head", "lead_source": "kit", **_channels(i)} for i in range(start, start + n)]


def _channels(i: int) -> dict:
    """Channel readiness values that differ between records (yes and no, each with its reason)."""
    sendable, callable_ = i % 2 == 0, i % 3 != 0
    return {
        "email_sendable": sendable,
        "email_reason": "legitimate interest (LIA-KIT); domain accepts mail (MX)" if sendable
        else "unsubscribed from email per kitcrm since 2026-11-02",
        "phone_callable": callable_,
        "phone_reason": "mobile; not on the DNC registry (checked 2026-11-20, 3 days ago); local zone Europe/Berlin"
        if callable_ else f"DNC check of 2026-10-0{i % 9 + 1} is more than 31 days old: re-scrub before calling",
        "phone_line_type": ("mobile", "fixed_line", "voip")[i % 3],
        "phone_timezone": "Europe/Berlin",
        "linkedin_url": f"https://www.linkedin.com/in/kim-kitson-{i}",
        "preferred_channel": "email" if sendable else "phone" if callable_ else "linkedin",
        "preferred_channel_reason": "first ready channel in channels.preferred_order (email, phone, linkedin)",
    }


def _same(held: object, sent: object) -> bool:
    """A value as the target gives it back equals the one sent (blank = None; a yes/no as text or bool)."""
    def norm(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v).strip().lower() if str(v).strip().lower() in ("true", "false") else str(v)
    return norm(held) == norm(sent)


@dataclass
class SinkCase:
    make_sink: Callable[[], Sink]  # a fresh sink; every call writes to the same (initially empty) target
    read_back: Callable[[], list[dict]]  # one dict per record the target holds: 'person_id', 'email', 'score'
    spoil: Callable[[dict], dict] | None = None  # turn a record into one the target refuses (partial failure)
    inject_transient: Callable[[], None] | None = None  # make the next write call fail transiently once
    read_list: Callable[[str], set[str]] | None = None  # CRM ids on the named list (named-list check)
    list_name: str = "leadpipe kit list"
    ledger: dict[str, str] = field(default_factory=dict)  # person_id -> confirmed hash, kept while checking
    crm_ids: dict[str, str] = field(default_factory=dict)  # person_id -> CRM id of confirmed records


def _require(ok: bool, rule: str) -> None:
    if not ok:
        raise ContractViolation(rule)


def _plan(case: SinkCase, sink: Sink, records: list[dict], ledger: dict[str, str]) -> list[PlannedPush]:
    existing = sink.lookup([r["email"] for r in records]) if sink.capabilities.lookup_existing else None
    return plan_pushes(records, ledger, existing)


def _write(case: SinkCase, sink: Sink, plan: list[PlannedPush], step: str) -> dict[str, PushResult]:
    """Write, check the results name each planned record once, and keep the ledger as the push stage would."""
    reported: list[PushResult] = []
    results = sink.write(plan, f"kit-{step}", reported.extend)
    _require(all(isinstance(r, PushResult) for r in results), f"{step}: write() must return PushResult objects")
    todo = [p.person_id for p in plan if p.action in ("create", "update")]
    named = Counter(r.person_id for r in results)
    missing = sorted(set(todo) - set(named))
    _require(not missing, f"{step}: no result for {missing[:3]}; every planned create/update needs one")
    extra = sorted(set(named) - set(todo))
    _require(not extra, f"{step}: results for records that were not to be written: {extra[:3]}")
    twice = sorted(p for p, n in named.items() if n > 1)
    _require(not twice, f"{step}: more than one result for {twice[:3]}")
    by_pid = {r.person_id: r for r in results}
    hashes = {p.person_id: p.content_hash for p in plan}
    for r in results:
        _require(r.outcome in ("confirmed", "refused", "deferred"), f"{step}: {r.person_id}: unknown outcome")
        if r.outcome == "confirmed":
            _require(bool(r.crm_id), f"{step}: {r.person_id} is confirmed without a CRM id")
        else:
            _require(bool(r.error and r.error.strip()), f"{step}: {r.person_id} is {r.outcome} without a reason")
    confirmed_reported = {r.person_id for r in reported if r.outcome == "confirmed"}
    unreported = sorted({r.person_id for r in results if r.outcome == "confirmed"} - confirmed_reported)
    _require(not unreported, f"{step}: confirmed {unreported[:3]} but never passed them to on_batch, so the "
             "push ledger would not record them")
    for r in results:
        if r.outcome == "confirmed":
            case.ledger[r.person_id] = hashes[r.person_id]
            case.crm_ids[r.person_id] = str(r.crm_id)
    return by_pid


def _held(case: SinkCase, step: str) -> dict[str, dict]:
    """person_id -> the one record the target holds for them; a second copy is a violation."""
    rows = case.read_back()
    counts = Counter(str(r.get("person_id")) for r in rows)
    dupes = sorted(p for p, n in counts.items() if n > 1)
    _require(not dupes, f"{step}: the target holds {counts[dupes[0]] if dupes else 0} copies of {dupes[:3]}; "
             "writing a record again must update it, never duplicate it")
    return {str(r.get("person_id")): r for r in rows}


def _landed(case: SinkCase, records: list[dict], step: str) -> None:
    held = _held(case, step)
    for rec in records:
        got = held.get(rec["person_id"])
        _require(got is not None, f"{step}: {rec['person_id']} was confirmed but is not in the target")
        _require(str(got.get("email", "")).lower() == rec["email"].lower(),
                 f"{step}: {rec['person_id']} holds email {got.get('email')!r}, expected {rec['email']!r}")
        _require(str(got.get("score")) == str(rec["score"]),
                 f"{step}: {rec['person_id']} holds score {got.get('score')!r}, expected {rec['score']!r}")
        for name in CHANNEL_FIELDS:
            if name in rec:
                _require(name in got, f"{step}: {rec['person_id']}: read_back gives no {name!r}; every sink "
                         "receives the channel fields, so read them back under our field names")
                _require(_same(got.get(name), rec[name]), f"{step}: {rec['person_id']} holds {name} "
                         f"{got.get(name)!r}, expected {rec[name]!r}")


def check_capabilities(sink: Sink) -> None:
    _require(isinstance(getattr(sink, "name", None), str) and sink.name != "", "a sink needs a name")
    caps = getattr(sink, "capabilities", None)
    _require(isinstance(caps, SinkCapabilities), f"{sink.name}: capabilities must be a SinkCapabilities")
    _require(len(caps.upsert_keys) >= 1, f"{sink.name}: declare the key(s) the CRM upserts on")
    _require(caps.batch_size >= 1, f"{sink.name}: batch_size must be at least 1")
    _require(set(caps.required_fields) <= set(caps.writable_fields) | {"person_id"},
             f"{sink.name}: required fields {sorted(caps.required_fields)} must be among the writable fields")
    missing = [f for f in CHANNEL_FIELDS if f not in caps.writable_fields]
    _require(not missing, f"{sink.name}: every sink receives the channel fields; not writable: {missing}")


def check_plan_and_write(case: SinkCase) -> list[dict]:
    sink = case.make_sink()
    check_capabilities(sink)
    records = sample_records(0, 4)
    plan = _plan(case, sink, records, case.ledger)
    _require([p.action for p in plan] == ["create"] * 4,
             f"plan: new records on an empty target must plan as creates, got {[p.action for p in plan]}")
    results = _write(case, sink, plan, "write")
    refused = {p: r.error for p, r in results.items() if r.outcome != "confirmed"}
    _require(not refused, f"write: good records were not confirmed: {dict(list(refused.items())[:2])}")
    _landed(case, records, "write")

    again = _plan(case, case.make_sink(), records, case.ledger)
    _require(all(p.action == "skip" for p in again),
             "plan: records unchanged since their confirmed push must plan as skips, got "
             f"{[p.action for p in again]}")
    changed = [{**records[0], "score": records[0]["score"] + 7}, *records[1:]]
    plan = _plan(case, case.make_sink(), changed, case.ledger)
    actions = {p.person_id: p.action for p in plan}
    _require(actions[records[0]["person_id"]] == "update", "plan: a changed record must plan as an update")
    _require(all(actions[r["person_id"]] == "skip" for r in records[1:]), "plan: unchanged records must skip")
    _write(case, case.make_sink(), plan, "update")
    _landed(case, changed, "update")
    return changed


def check_idempotent_rerun(case: SinkCase, records: list[dict]) -> None:
    """The push crashed after the CRM took the records but before the ledger: they are sent again."""
    sink = case.make_sink()
    first_ids = {p: case.crm_ids[p] for p in (r["person_id"] for r in records)}
    plan = _plan(case, sink, records, {})
    _require(all(p.action in ("create", "update") for p in plan), "re-run: without a ledger nothing may skip")
    results = _write(case, sink, plan, "re-run")
    for pid, r in results.items():
        _require(r.outcome == "confirmed", f"re-run: {pid} was {r.outcome} ({r.error}) when sent again")
        _require(str(r.crm_id) == first_ids[pid], f"re-run: {pid} got CRM id {r.crm_id}, first {first_ids[pid]}: "
                 "the same record must be updated, not created again")
        _require(r.created is not True, f"re-run: {pid} was reported created again")
    _landed(case, records, "re-run")


def check_partial_failure(case: SinkCase) -> None:
    if case.spoil is None:
        return
    good_a, bad, good_b = sample_records(20, 3)
    bad = case.spoil(bad)
    plan = plan_pushes([good_a, bad, good_b], case.ledger)
    _require([p.action for p in plan] == ["create"] * 3, "partial failure: the spoiled record must still plan as "
             "a create (keep its person_id and email; spoil what the target checks)")
    results = _write(case, case.make_sink(), plan, "partial failure")
    _require(results[bad["person_id"]].outcome == "refused",
             f"partial failure: the bad record {bad['person_id']} must be refused with a reason, "
             f"was {results[bad['person_id']].outcome}")
    for rec in (good_a, good_b):
        _require(results[rec["person_id"]].outcome == "confirmed",
                 f"partial failure: {rec['person_id']} must land although another record in its batch was bad "
                 f"({results[rec['person_id']].error})")
    _landed(case, [good_a, good_b], "partial failure")
    _require(bad["person_id"] not in _held(case, "partial failure"),
             f"partial failure: the refused record {bad['person_id']} is in the target")


def check_retry(case: SinkCase) -> None:
    if case.inject_transient is None:
        return
    records = sample_records(40, 3)
    case.inject_transient()
    try:
        results = _write(case, case.make_sink(), plan_pushes(records, case.ledger), "transient failure")
    except SinkError:
        results = {}  # the push stopped cleanly; nothing confirmed is lost, the next run sends them
    except Exception as exc:
        raise ContractViolation(f"transient failure: raised {type(exc).__name__}: {exc}; retry it, report the "
                                "records deferred, or raise SinkError") from exc
    lost = sorted(p for p, r in results.items() if r.outcome == "refused")
    _require(not lost, f"transient failure: {lost[:3]} were refused ({results[lost[0]].error if lost else ''}); a "
             "transient failure must be retried or reported as deferred")
    rest = plan_pushes(records, case.ledger)
    again = _write(case, case.make_sink(), rest, "retry")
    _require(all(r.outcome == "confirmed" for r in again.values()), "retry: records left by a transient "
             "failure must land on the next write")
    _landed(case, records, "retry")


def check_named_list(case: SinkCase) -> None:
    sink = case.make_sink()
    if not sink.capabilities.named_lists:
        return
    _require(case.read_list is not None, f"{sink.name} declares named lists: give the case a read_list")
    ids = sorted(case.crm_ids.values())
    _require(len(ids) >= 4, "named list: the earlier checks left too few confirmed records")
    first, second = ids[:3], ids[1:4]
    list_id, added, removed = sink.sync_list(case.list_name, first)
    _require(case.read_list(case.list_name) == set(first), "named list: the list does not hold exactly the ids given")
    _require((added, removed) == (3, 0), f"named list: first sync reported {added} added, {removed} removed")
    again_id, added, removed = case.make_sink().sync_list(case.list_name, second, list_id)
    _require(str(again_id) == str(list_id), "named list: syncing again made a second list")
    _require(case.read_list(case.list_name) == set(second), "named list: a second sync must replace the members")
    _require((added, removed) == (1, 1), f"named list: second sync reported {added} added, {removed} removed")


def check_feedback(case: SinkCase) -> None:
    """A sink that reports CRM feedback (FeedbackSource): every fact names this CRM, a record id, a known kind
    and a timezone-aware time; asking again from the newest time returns nothing older than that second (a CRM
    whose query language has whole seconds, like SOQL, repeats that second's changes; the store drops them)."""
    sink = case.make_sink()
    if not isinstance(sink, FeedbackSource):
        return
    facts = list(sink.changes_since(None))
    for f in facts:
        _require(isinstance(f, FeedbackRecord), f"feedback: {sink.name} returned {type(f).__name__}, not FeedbackRecord")
        _require(f.crm == sink.name and bool(f.crm_id), f"feedback: a fact must name crm {sink.name!r} and a record id")
        _require(f.kind in FEEDBACK_KINDS, f"feedback: unknown kind {f.kind!r}")
        _require(f.changed_at.tzinfo is not None, f"feedback: changed_at of {f.crm_id} has no time zone")
    times = [f.changed_at for f in facts if f.kind != "email_hard_bounce"]  # a bounce is dated by the bounce
    if times:
        newest = max(times)
        later = list(sink.changes_since(newest))
        _require(all(f.changed_at > newest - timedelta(seconds=1) or f.kind == "email_hard_bounce" for f in later),
                 "feedback: changes_since(t) returned a change made well before t")


def check_sink(case: SinkCase) -> None:
    """Run every contract check; raise ContractViolation naming the first broken rule."""
    written = check_plan_and_write(case)
    check_idempotent_rerun(case, written)
    check_partial_failure(case)
    check_retry(case)
    check_named_list(case)
    check_feedback(case)


__all__ = ["ContractViolation", "SinkCase", "check_sink", "sample_records"]

"""The crm_feedback stage: what each CRM says happened after the push, read back nightly and incrementally.

Before qualify, for each CRM in `crm_feedback.crms` (default: the configured sink), the sink plug-in's
optional `changes_since` (connectors.sinks.base.FeedbackSource) is asked for the records the CRM changed after
this CRM's watermark (less `overlap_seconds`, for changes a CRM indexes late). Every fact it returns (email
opt-out, hard bounce, do-not-call, lead status, lifecycle/conversion, owner) is appended to `crm_feedback`,
idempotent on (crm, crm_id, kind, changed_at), with the person it belongs to (the push ledger's CRM id, else
the one person with that email). The watermark moves to the latest change stored, only after a pull that
read to the end, so a pull that fails half-way is read again next night.

A CRM that cannot be read does not stop the run: its error is noted (the run summary lists it and marks
the run failed), the others and every later stage go on. `latest_crm_flags` is what qualify and the channel
checks read: the current flags per CRM record, with the date each flag was first seen set.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from connectors.sinks.base import FeedbackRecord, FeedbackSource
from connectors.sinks.registry import build_sink
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.push import sink_context, sink_settings_for
from leadpipe.store.ledger import write_json
from leadpipe.store.warehouse import crm_feedback as feedback_table
from leadpipe.store.warehouse import crm_watermarks, in_chunks, people, push_ledger

log = logging.getLogger("leadpipe")

BATCH = 2_000  # feedback rows written per transaction
RESULT_FILE = "crm_feedback.json"
FLAG_KINDS = ("email_opt_out", "do_not_call", "converted")  # "true" / "false"
CRM_LABELS = {"hubspot": "HubSpot", "salesforce": "Salesforce", "local": "the local CRM"}
FLAG_COLUMNS = ["crm", "crm_id", "person_id", "email", "phone", "email_opted_out_at", "email_bounced_at",
                "email_bounce_reason", "do_not_call_at", "lead_status", "lifecycle", "converted_at", "owner",
                "changed_at"]


def crm_label(crm: str) -> str:
    return CRM_LABELS.get(crm, crm)


def crm_feedback(ctx: RunContext) -> str:
    """The stage: pull every configured CRM's changes since its watermark; returns the run file with counts."""
    cfg, engine = ctx.cfg, ctx.engine
    settings = cfg.crm_feedback
    crms = list(dict.fromkeys(settings.crms or [cfg.sink.type]))
    result: dict[str, dict] = {}
    with ctx.timed("crm_feedback"):
        for crm in crms:
            if not settings.enabled:
                result[crm] = {"skipped": "crm_feedback.enabled is false"}
                continue
            try:
                sink = build_sink(sink_settings_for(cfg.sink, crm),
                                  replace(sink_context(engine, ctx.folder, cfg.redis_url), resolve=cfg.resolve))
                if not isinstance(sink, FeedbackSource):
                    result[crm] = {"skipped": f"the {crm} sink cannot report feedback", "pulled": 0, "new": 0}
                    continue
                result[crm] = pull(engine, ctx.run_id, crm, sink, settings.overlap_seconds)
                ctx.forget_note("crm_feedback_errors", crm)
            except SQLAlchemyError:
                raise  # the warehouse, not the CRM: the stage fails and the summary says so
            except Exception as exc:  # noqa: BLE001 - any CRM/client failure: noted, the run goes on
                message = f"{type(exc).__name__}: {exc}"
                log.error("crm_feedback: could not read %s: %s", crm, message)
                ctx.note("crm_feedback_errors", crm, message)
                result[crm] = {"error": message, "pulled": 0, "new": 0}
        for crm, r in result.items():
            log.info("crm_feedback: %s: %s", crm, r.get("skipped") or r.get("error") or
                     f"{r['pulled']} facts read, {r['new']} new, by kind {r['by_kind'] or 'none'}")
    path = ctx.folder / RESULT_FILE
    write_json(path, {"crms": result})
    return str(path)


def pull(engine: Engine, run_id: str, crm: str, source: FeedbackSource, overlap_seconds: int = 0) -> dict:
    """Read one CRM's changes since its watermark into `crm_feedback`; move the watermark; return the counts."""
    watermark = read_watermark(engine, crm)
    since = watermark - timedelta(seconds=overlap_seconds) if watermark is not None else None
    pulled, new, newest = 0, Counter(), watermark
    set_now: Counter[str] = Counter()  # new facts that set something (an opt-out, a bounce, a status ...)
    batch: list[FeedbackRecord] = []

    def flush() -> None:
        added = store(engine, run_id, batch)
        for r in added:
            new[r.kind] += 1
            if r.value not in (None, "", "false"):
                set_now[r.kind] += 1
        batch.clear()

    for record in source.changes_since(since):
        pulled += 1
        batch.append(record)
        newest = record.changed_at if newest is None or record.changed_at > newest else newest
        if len(batch) >= BATCH:
            flush()
    flush()
    if newest is not None and newest != watermark:
        write_watermark(engine, crm, newest, run_id)
    return {"pulled": pulled, "new": sum(new.values()), "by_kind": dict(sorted(new.items())),
            "set": dict(sorted(set_now.items())), "since": since.isoformat() if since else None,
            "watermark": newest.isoformat() if newest else None}


def read_watermark(engine: Engine, crm: str) -> datetime | None:
    with engine.connect() as conn:
        value = conn.execute(select(crm_watermarks.c.watermark).where(crm_watermarks.c.crm == crm)).scalar()
    return _utc(value)


def write_watermark(engine: Engine, crm: str, watermark: datetime, run_id: str) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        done = conn.execute(update(crm_watermarks).where(crm_watermarks.c.crm == crm)
                            .values(watermark=watermark, run_id=run_id, updated_at=now)).rowcount
        if not done:
            conn.execute(insert(crm_watermarks).values(crm=crm, watermark=watermark, run_id=run_id, updated_at=now))


def store(engine: Engine, run_id: str, records: list[FeedbackRecord]) -> list[FeedbackRecord]:
    """Append the facts that are news: not held yet (same crm, crm_id, kind, changed_at) and not a repeat of the
    latest value held for that CRM record and kind (a contact edited for another reason reports its unchanged
    opt-out again): the fact held just before it in time has the same value. Returns what was appended."""
    if not records:
        return []
    unique = sorted({_key(r): r for r in records}.values(), key=_key)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        known, held = _known_keys(conn, unique)
        fresh = []
        for r in unique:  # oldest first: a fact repeating the value held just before it says nothing new
            key = _key(r)
            history = held.setdefault(key[:3], [])
            before = bisect.bisect_right(history, (key[3],), key=lambda h: h[:1]) - 1
            if key in known or (before >= 0 and history[before][1] == r.value):
                continue
            bisect.insort(history, (key[3], r.value), key=lambda h: h[:1])
            fresh.append(r)
        if not fresh:
            return []
        owners = _people_of(conn, fresh)
        rows = [{"crm": r.crm, "crm_id": r.crm_id, "email": r.email, "phone": r.phone, "kind": r.kind,
                 "value": r.value, "changed_at": _utc(r.changed_at), "person_id": owners.get((r.crm, r.crm_id, r.email)),
                 "run_id": run_id, "pulled_at": now} for r in fresh]
        dialect = engine.dialect.name
        maker = pg_insert if dialect == "postgresql" else sqlite_insert if dialect == "sqlite" else None
        if maker is None:
            conn.execute(insert(feedback_table), rows)
        else:  # a concurrent pull of the same change (a retried task) adds nothing either
            conn.execute(maker(feedback_table).on_conflict_do_nothing(
                index_elements=["crm", "crm_id", "kind", "changed_at"]), rows)
    return fresh


def _key(r: FeedbackRecord) -> tuple:
    return (r.crm, r.crm_id, r.kind, _utc(r.changed_at))


def _utc(value: datetime | None) -> datetime | None:
    """Timestamps as the warehouse compares them: UTC, microseconds (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _known_keys(conn: Connection, records: list[FeedbackRecord]) -> tuple[set[tuple], dict[tuple, list[tuple]]]:
    """The keys already held for these CRM records, and per (crm, crm_id, kind) the (changed_at, value) held,
    oldest first."""
    t = feedback_table
    known: set[tuple] = set()
    held: dict[tuple, list[tuple]] = {}
    by_crm: dict[str, list[str]] = {}
    for r in records:
        by_crm.setdefault(r.crm, []).append(r.crm_id)
    for crm, ids in by_crm.items():
        for chunk in in_chunks(sorted(set(ids))):
            rows = conn.execute(select(t.c.crm, t.c.crm_id, t.c.kind, t.c.changed_at, t.c.id, t.c.value)
                                .where(t.c.crm == crm, t.c.crm_id.in_(chunk)))
            for a, b, c, d, _, value in rows:
                at = _utc(d)
                known.add((a, b, c, at))
                held.setdefault((a, b, c), []).append((at, value))
    for history in held.values():
        history.sort(key=lambda h: h[0])
    return known, held


def _people_of(conn: Connection, records: list[FeedbackRecord]) -> dict[tuple, str]:
    """(crm, crm_id, email) -> person_id: the person we pushed as that CRM record, else the only person with
    that email (an email two people share is left unmatched rather than guessed)."""
    out: dict[tuple, str] = {}
    by_crm: dict[str, set[str]] = {}
    for r in records:
        by_crm.setdefault(r.crm, set()).add(r.crm_id)
    pushed: dict[tuple[str, str], str] = {}
    for crm, ids in by_crm.items():
        for chunk in in_chunks(sorted(ids)):
            pushed.update({(crm, cid): pid for cid, pid in conn.execute(
                select(push_ledger.c.crm_id, push_ledger.c.person_id)
                .where(push_ledger.c.sink == crm, push_ledger.c.crm_id.in_(chunk)))})
    emails = sorted({r.email for r in records if r.email})
    by_email: dict[str, list[str]] = {}
    for chunk in in_chunks(emails):
        for email, pid in conn.execute(select(people.c.email, people.c.person_id).where(people.c.email.in_(chunk))):
            by_email.setdefault((email or "").lower(), []).append(pid)
    for r in records:
        pid = pushed.get((r.crm, r.crm_id))
        if pid is None and r.email and len(by_email.get(r.email, [])) == 1:
            pid = by_email[r.email][0]
        if pid is not None:
            out[(r.crm, r.crm_id, r.email)] = pid
    return out


def people_with_new_feedback(engine: Engine, run_id: str) -> set[str]:
    """People whose CRM feedback this run stored: qualify decides them again."""
    with engine.connect() as conn:
        return set(conn.execute(select(feedback_table.c.person_id).distinct().where(
            feedback_table.c.run_id == run_id, feedback_table.c.person_id.is_not(None))).scalars())


def latest_crm_flags(engine: Engine, emails: Iterable[str] | None = None) -> pd.DataFrame:
    """The current CRM flags, one row per CRM record (crm, crm_id), from everything `crm_feedback` holds.

    Columns (FLAG_COLUMNS): crm, crm_id, person_id (ours, or None), email (lower-case), phone (as the CRM
    holds it), email_opted_out_at, email_bounced_at, do_not_call_at, converted_at (UTC timestamps: when the
    flag was first seen set in its current run of reports; NaT when not set now), email_bounce_reason,
    lead_status, lifecycle, owner (the latest value reported, None when empty) and changed_at (the
    record's latest change). A flag the CRM switched off again is None. `emails` limits the rows to those
    records (any of those emails, lower-case).
    """
    t = feedback_table
    q = select(t.c.crm, t.c.crm_id, t.c.person_id, t.c.email, t.c.phone, t.c.kind, t.c.value, t.c.changed_at,
               t.c.id)
    with engine.connect() as conn:
        if emails is None:
            rows = list(conn.execute(q))
        else:
            wanted = sorted({e.strip().lower() for e in emails if e})
            ids: set[tuple[str, str]] = set()
            for chunk in in_chunks(wanted):
                ids |= {(a, b) for a, b in conn.execute(select(t.c.crm, t.c.crm_id).where(t.c.email.in_(chunk)))}
            rows = []
            for chunk in in_chunks(sorted({b for _, b in ids})):
                rows += [r for r in conn.execute(q.where(t.c.crm_id.in_(chunk))) if (r.crm, r.crm_id) in ids]
    rows.sort(key=lambda r: (r.crm, r.crm_id, r.kind, _utc(r.changed_at), r.id))
    records: dict[tuple[str, str], dict] = {}
    for r in rows:
        rec = records.setdefault((r.crm, r.crm_id), {c: None for c in FLAG_COLUMNS} | {"crm": r.crm,
                                                                                       "crm_id": r.crm_id})
        at = _utc(r.changed_at)
        if rec["changed_at"] is None or at >= rec["changed_at"]:
            rec["changed_at"] = at
            rec["email"], rec["phone"] = r.email or rec["email"], r.phone or rec["phone"]
            rec["person_id"] = r.person_id or rec["person_id"]
        rec["person_id"] = rec["person_id"] or r.person_id
        column, is_set = _FLAG_OF.get(r.kind, (None, None))
        if column is not None:  # a flag: the start of its current run of "set" reports
            if is_set(r.value):
                rec[column] = rec[column] or at
                if r.kind == "email_hard_bounce":
                    rec["email_bounce_reason"] = r.value
            else:
                rec[column] = None
                if r.kind == "email_hard_bounce":
                    rec["email_bounce_reason"] = None
        elif r.kind in ("lead_status", "lifecycle", "owner"):
            rec[r.kind] = r.value
    return pd.DataFrame.from_records(list(records.values()), columns=FLAG_COLUMNS)


_FLAG_OF = {
    "email_opt_out": ("email_opted_out_at", lambda v: v == "true"),
    "do_not_call": ("do_not_call_at", lambda v: v == "true"),
    "converted": ("converted_at", lambda v: v == "true"),
    "email_hard_bounce": ("email_bounced_at", lambda v: v not in (None, "")),
}


def run_result(ctx: RunContext) -> dict | None:
    """This run's crm_feedback.json (None when the stage did not run), for the summary and the report."""
    path = ctx.folder / RESULT_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())

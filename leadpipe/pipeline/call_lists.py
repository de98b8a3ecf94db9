"""Daily call lists: per owner, today's callable prospects up to the owner's quota (`call_lists_daily` DAG,
`leadpipe call-lists`).

Who may be called is decided again on the day, not taken from the last qualification: the phone's
readiness (enrichment.channels.phone_readiness) is asked with today's date, so a DNC check that has grown
older than `suppression.dnc_max_age_days` since takes the person off, and with the CRM's flags of today
(`crm_flags.crm_flags_for`), so a do-not-call set in the CRM yesterday keeps them off today's list. People
put on a list within `call_lists.cooldown_days` are left out too (the `call_list_entries` history).
The order inside each owner's list and the quotas are enrichment.call_lists'.

What a build writes, in `<run folder>/call_lists/`: `call_list.csv` (every owner's list, formula-safe; the
reports plugin serves an Excel copy), `report.html` (quota use per owner, who was left out and why) and
`call_lists.json` (the same for tools). The warehouse keeps who went on which list on which day; a second
build for the same day keeps the day's lists unless asked to rebuild them (then they are replaced). Where the
configured CRM keeps named lists (HubSpot static lists, Salesforce Campaigns) each owner's list is synced there
as "Call list <owner>" (an owner with nobody to call today has that list emptied, not left as it was); with the
local sink the warehouse table and the files are the lists. A list the CRM does not take is reported, with
what the CRM said and what to change, under `crm.not_synced` (summary, JSON, report); the other owners' lists
are synced all the same, and the command and the DAG task fail at the end (`not_synced`).
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, insert, select

from connectors.sinks.base import SinkAuthError, SinkError, SinkQuotaExhausted
from enrichment.call_lists import Candidate, plan_call_lists, quota_for
from enrichment.channels import NO_FLAGS, minutes_until_window, phone_readiness
from enrichment.suppress import list_reason
from leadpipe.core.redact import mask_text
from leadpipe.core.spreadsheet import neutralise_row
from leadpipe.pipeline import crm_flags
from leadpipe.pipeline.context import run_folder
from leadpipe.pipeline.crm_feedback import crm_label
from leadpipe.pipeline.push import declared_capabilities, make_sink, sync_named_list
from leadpipe.pipeline.report import write_call_list_report
from leadpipe.pipeline.settings import Config
from leadpipe.pipeline.suppression_files import load_lists
from leadpipe.store import ledger
from leadpipe.store.warehouse import call_list_entries, crm_lists, engine_for, in_chunks, migrate, people

log = logging.getLogger("leadpipe")

FOLDER = "call_lists"
CSV_COLUMNS = ("owner", "position", "person_id", "first_name", "last_name", "company", "job_title", "phone",
               "phone_line_type", "phone_timezone", "local_time", "in_calling_window", "score", "tier", "email",
               "phone_reason")


class CallListError(ValueError):
    """A request the call lists cannot serve (e.g. a date in the future); the message says what to change."""


def build_call_lists(cfg: Config, run_id: str, now: datetime | None = None, *, rebuild: bool = False,
                     dry_run: bool = False, engine: Engine | None = None) -> dict:
    """Build (or keep) today's call lists, export them and sync them to the CRM; returns the summary.

    `now` is the clock (default: the current time; tests pass a fixed one): the list date is its UTC date,
    the calling windows are judged at that moment. `dry_run` shows what the lists would be and writes
    nothing to the warehouse or CRM.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise CallListError("the call lists need an aware time (with a time zone) to judge calling windows")
    today = now.astimezone(UTC).date()
    folder = run_folder(cfg, run_id) / FOLDER
    migrate(cfg.warehouse_url)
    engine = engine or engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        kept = conn.execute(select(call_list_entries).where(call_list_entries.c.list_date == today)
                            .order_by(call_list_entries.c.owner, call_list_entries.c.position)).mappings().all()
    details, left_out, available = _candidates(cfg, engine, today, now)
    quotas = {owner: quota_for(owner, cfg.call_lists, cfg.routing.teams) for owner in _owners(cfg, details)}
    if kept and not rebuild:  # the day's lists exist: keep them (a re-run of the DAG must not reshuffle them)
        lists = {}
        for row in kept:  # in their order; anyone no longer callable (a CRM flag since the morning) is left off
            if row["person_id"] in details:
                lists.setdefault(row["owner"], []).append(details[row["person_id"]])
        status = "kept: the lists for this day were built earlier (rebuild to replace them)"
    else:
        lists = plan_call_lists(details.values(), {o: q for o, (q, _) in quotas.items()})
        status = "dry run: nothing written" if dry_run else ("rebuilt" if kept else "built")
        if not dry_run:
            _record(engine, today, lists, run_id, now)
    result = {
        "list_date": today.isoformat(), "built_at": now.isoformat(), "run_id": run_id, "status": status,
        "cooldown_days": cfg.call_lists.cooldown_days,
        "calling_window": {"start": cfg.channels.calling_window.start.strftime("%H:%M"),
                           "end": cfg.channels.calling_window.end.strftime("%H:%M"),
                           "days": list(cfg.channels.calling_window.days)},
        "owners": [{"owner": owner, "quota": quota, "quota_from": source, "on_list": len(lists.get(owner, [])),
                    "available": available.get(owner, 0),
                    "in_window": sum(1 for c in lists.get(owner, []) if c.in_window)}
                   for owner, (quota, source) in sorted(quotas.items())],
        "left_out": dict(left_out.most_common()),
        "people": sum(len(v) for v in lists.values()),
    }
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "call_list.csv", lists)
    if not dry_run and cfg.call_lists.crm_lists:
        result["crm"] = _sync_crm(cfg, engine, folder, lists)
    ledger.write_json(folder / "call_lists.json", result)
    write_call_list_report(folder, result)
    log.info("call lists for %s: %s; %d people on %d owners' lists; left out: %s", today, status,
             result["people"], len(lists), result["left_out"] or "nobody")
    return result


def _owners(cfg: Config, details: dict[str, Candidate]) -> list[str]:
    """Every owner with a callable prospect, and every configured team member (their quota use shows 0)."""
    return sorted({c.owner for c in details.values()} | {o for owners in cfg.routing.teams.values() for o in owners})


def _candidates(cfg: Config, engine: Engine, today: date, now: datetime
                ) -> tuple[dict[str, Candidate], Counter[str], Counter[str]]:
    """Callable prospects not in the cool-down (person_id -> Candidate), who was left out and why (counts), and
    how many candidates each owner has."""
    with engine.connect() as conn:
        rows = conn.execute(select(people.c.person_id, people.c.owner, people.c.score, people.c.tier,
                                   people.c.record, people.c.compliance)
                            .where(people.c.prospect.is_(True), people.c.owner.is_not(None))).mappings().all()
        since = today - timedelta(days=cfg.call_lists.cooldown_days)
        recent: set[str] = set()
        for chunk in in_chunks([r["person_id"] for r in rows]):
            recent.update(conn.execute(select(call_list_entries.c.person_id).where(
                call_list_entries.c.person_id.in_(chunk), call_list_entries.c.list_date >= since,
                call_list_entries.c.list_date < today)).scalars())
    flags = crm_flags.crm_flags_for(engine, [r["person_id"] for r in rows])
    # the do-not-contact files as they are this morning: a number added since the nightly run is not called
    lists = load_lists([cfg.resolve(p) for p in cfg.suppression.do_not_contact_files])
    out: dict[str, Candidate] = {}
    left_out: Counter[str] = Counter()
    available: Counter[str] = Counter()
    for r in rows:
        rec, comp = r["record"] or {}, r["compliance"] or {}
        ready = phone_readiness(rec.get("phone") or None, dnc_status=comp.get("dnc_status"),
                                dnc_checked_at=comp.get("dnc_checked_at"), today=today,
                                max_age_days=cfg.suppression.dnc_max_age_days, cfg=cfg.channels,
                                suppressed=comp.get("suppressed") or list_reason(rec, lists), flags=flags.get(r["person_id"], NO_FLAGS))
        if not ready.callable:
            left_out[_reason_kind(ready.reason)] += 1
            continue
        if r["person_id"] in recent:
            left_out[f"on a call list in the last {cfg.call_lists.cooldown_days} days (cool-down)"] += 1
            continue
        opens_in = minutes_until_window(ready.timezone, now, cfg.channels.calling_window)
        window = None if opens_in is None else opens_in == 0  # inside the window now; None: zone unknown
        local = now.astimezone(ZoneInfo(ready.timezone)).strftime("%a %H:%M") if ready.timezone else ""
        available[r["owner"]] += 1
        out[r["person_id"]] = Candidate(r["person_id"], r["owner"], int(r["score"] or 0), window, opens_in, {
            "first_name": rec.get("first_name"), "last_name": rec.get("last_name"), "company": rec.get("company"),
            "job_title": rec.get("job_title"), "phone": rec.get("phone"), "phone_line_type": ready.line_type,
            "phone_timezone": ready.timezone, "local_time": local, "tier": r["tier"], "email": rec.get("email"),
            "phone_reason": ready.reason})
    return out, left_out, available


def _reason_kind(reason: str) -> str:
    """A not-callable reason without the person's own dates or CRM names, so the report can count them."""
    for start, kind in (("no phone", "no phone number"), ("not a valid", "not a valid phone number"),
                        ("person is suppressed", "suppressed"), ("do-not-call", "do-not-call flag in the CRM"),
                        ("on the national", "on the national DNC registry"),
                        ("DNC check", "DNC check too old: re-scrub before calling")):
        if reason.startswith(start):
            return kind
    return reason if reason.endswith("not called") else "not callable"


def _record(engine: Engine, today: date, lists: dict[str, list[Candidate]], run_id: str, now: datetime) -> None:
    """The day's lists replace any earlier ones of the same day (a rebuild), in one transaction."""
    rows = [{"list_date": today, "owner": owner, "person_id": c.person_id, "position": i, "score": c.score,
             "in_window": c.in_window, "run_id": run_id, "created_at": now}
            for owner, cs in lists.items() for i, c in enumerate(cs, 1)]
    with engine.begin() as conn:
        conn.execute(delete(call_list_entries).where(call_list_entries.c.list_date == today))
        if rows:
            conn.execute(insert(call_list_entries), rows)


def _write_csv(path: Path, lists: dict[str, list[Candidate]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for owner, cs in sorted(lists.items()):
            for i, c in enumerate(cs, 1):
                d = c.details
                window = "" if c.in_window is None else ("yes" if c.in_window else "no")
                writer.writerow(neutralise_row([owner, i, c.person_id, d.get("first_name"), d.get("last_name"),
                                                d.get("company"), d.get("job_title"), d.get("phone"),
                                                d.get("phone_line_type"), d.get("phone_timezone"),
                                                d.get("local_time"), window, c.score, d.get("tier"), d.get("email"),
                                                d.get("phone_reason")]))


def _sync_crm(cfg: Config, engine: Engine, folder: Path, lists: dict[str, list[Candidate]]) -> dict:
    """Each owner's list as a named list in the configured CRM, when it keeps lists; else say where they are.

    One owner's list the CRM does not take (a name it refuses, an error answered for that list) must not cost
    the other owners theirs, nor the day's files: it goes under `not_synced` with what the CRM said and what
    to change, and the command and the DAG task fail at the end (`not_synced`). A refused login or a spent
    daily limit concerns every list: the lists after it are not tried.
    """
    if not declared_capabilities(cfg.sink).named_lists:
        return {"target": cfg.sink.type, "status": "the call_list_entries table and call_list.csv are the lists "
                                                   "(this CRM keeps no named lists)"}
    try:
        sink = make_sink(cfg.sink, engine, folder, cfg.redis_url)
    except (SinkError, ValueError, NotImplementedError) as exc:  # no credentials, login refused: every list
        reason = mask_text(str(exc))
        owners = sorted({*lists, *_emptied_owners(cfg, engine, cfg.sink.type, lists)})
        return {"target": cfg.sink.type, "status": f"not synced: {reason}", "lists": {},
                "not_synced": {o: _refusal(o, _list_name(cfg, o), crm_label(cfg.sink.type), reason) for o in owners}}
    emptied = {owner: [] for owner in _emptied_owners(cfg, engine, sink.name, lists)}
    synced: dict[str, dict] = {}
    refused: dict[str, str] = {}
    stop = ""  # why the remaining lists are not tried (credentials or daily limit refused)
    for owner, cs in sorted({**emptied, **lists}.items()):
        name = _list_name(cfg, owner)
        reason = stop or _name_problem(cfg, name, sink.name, sink.capabilities.list_name_max)
        if not reason:
            try:
                synced[owner] = sync_named_list(sink, name, [c.person_id for c in cs], engine)
                continue
            except SinkError as exc:
                reason = str(exc)
                if isinstance(exc, (SinkAuthError, SinkQuotaExhausted)):
                    stop = f"not tried after {crm_label(sink.name)} refused an earlier list: {reason}"
        refused[owner] = _refusal(owner, name, crm_label(sink.name), reason)
        log.warning("call list not synced: %s", refused[owner])
    status = f"{len(refused)} of {len(refused) + len(synced)} lists not synced" if refused else "synced"
    return {"target": sink.name, "status": status, "lists": synced, "not_synced": refused}


def not_synced(result: dict) -> list[str]:
    """Why each owner's list that belongs in the CRM is not there (empty: all synced, or the CRM keeps no lists).

    The command exits 1 and the DAG task fails on any, after the lists, files and report are saved.
    """
    return list(((result.get("crm") or {}).get("not_synced") or {}).values())


def _name_problem(cfg: Config, name: str, sink: str, longest: int | None) -> str:
    """Why the CRM cannot take this list name ('' when it can): a name is never cut, since two owners' cut
    names could be one list. It is the config's to change (`call_lists.list_name`)."""
    if longest is None or len(name) <= longest:
        return ""
    return (f"the name has {len(name)} characters and {crm_label(sink)} list names hold at most {longest}, so "
            f"nothing was sent; shorten call_lists.list_name (now \"{cfg.call_lists.list_name}\") in the config "
            "so that it fits with every owner (the name is not cut: two owners' cut names could be one list)")


def _refusal(owner: str, name: str, crm: str, reason: str) -> str:
    """One owner's list not synced, in the user's words: whose list, which CRM, what it said, what to do next."""
    return mask_text(f"{owner}'s list \"{name}\" was not synced to {crm}: {reason}. Until then the list in {crm} "
                     "holds what its last sync put there; today's list is in call_list.csv. Once fixed, run "
                     "`leadpipe call-lists` (or trigger call_lists_daily) again: it keeps today's lists and syncs them")


def _list_name(cfg: Config, owner: str) -> str:
    """The owner's list in the CRM (`call_lists.list_name`): the name is how the sink finds it again each day."""
    return cfg.call_lists.list_name.replace("{owner}", owner)


def _emptied_owners(cfg: Config, engine: Engine, sink_name: str, lists: dict[str, list[Candidate]]) -> list[str]:
    """Owners with nobody on today's list whose named list in this CRM still holds people from an earlier day.

    Today's lists have only owners with someone callable, so without these an owner whose every lead was
    flagged do-not-call overnight (or is resting in the cool-down) would keep yesterday's people, do-not-call
    included, in "Call list <owner>" in the CRM. Their list is synced empty once (crm_lists then says 0 members).
    """
    with engine.connect() as conn:
        owners = set(conn.execute(select(call_list_entries.c.owner).distinct()).scalars()) - set(lists)
        held = set(conn.execute(select(crm_lists.c.list_name).where(crm_lists.c.sink == sink_name,
                                                                    crm_lists.c.members > 0)).scalars())
    return sorted(owner for owner in owners if _list_name(cfg, owner) in held)

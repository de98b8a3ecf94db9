"""The push stage (and `leadpipe push --dry-run`): build the sink, plan, write, account.

The sink comes from the registry (`leadpipe.sinks` entry points); this stage injects what a sink may need
from the store (engine, `prospects` table, fast INSERT, run folder) and reads only declared capabilities.

Ledger contract: a record's CRM id and content hash go into the push ledger only after the CRM confirmed it,
batch by batch, so a run killed mid-push and re-run re-sends only unconfirmed records (which the CRM upserts
by key, so nothing is duplicated). Every prospect ends in one outcome: pushed (confirmed create/update),
merged (unchanged, skipped), or quarantined with the CRM's reason (refused, deferred by a daily limit, or held
for review); those have no ledger entry, so the next push retries them.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from connectors.sinks.base import (
    CheckItem,
    PlannedPush,
    PushResult,
    Sink,
    SinkCapabilities,
    SinkContext,
    SinkError,
    content_hash,
    plan_pushes,
)
from connectors.sinks.ratelimit import local_limiter
from connectors.sinks.registry import build_sink, load_sink_factory, sink_types
from connectors.sinks.settings import SinkSettings
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.requalify import record_push_results
from leadpipe.store import ledger
from leadpipe.store.bulk_write import write_many
from leadpipe.store.ledger import Outcome, QuarantinedRow
from leadpipe.store.request_budget import shared_limiter_factory
from leadpipe.store.run_files import read_frame
from leadpipe.store.warehouse import (
    crm_lists,
    engine_for,
    in_chunks,
    lineage_of,
    prospects,
    push_ledger,
    push_plans,
)

log = logging.getLogger(__name__)


def push(ctx: RunContext, path: str | None) -> dict[str, int]:
    """The stage: send new and changed prospects to the configured sink (local by default); the ledger gets only
    what the CRM confirmed, batch by batch, and refused or deferred records are quarantined with the CRM's reason."""
    counts = {"create": 0, "update": 0, "skip": 0, "failed": 0}
    if path is None:
        return counts
    with ctx.timed("push"):
        df = read_frame(ctx.file(path))
        primary = dict(zip(df["person_id"], df["primary_raw_row_id"].astype(int), strict=True))
        # re-qualified after a config change: no raw row of this run, so no outcome (leadpipe.pipeline.requalify)
        again = set(df.loc[df["requalified"].fillna(False).astype(bool), "person_id"]) \
            if "requalified" in df.columns else set()
        sink = make_sink(ctx.cfg.sink, ctx.engine, ctx.folder, ctx.cfg.redis_url)
        return run_push(ctx.engine, ctx.run_id, sink, prospect_records(df), primary, requalified=again)


def prospect_records(df: pd.DataFrame) -> list[dict]:
    """Prospects as every sink takes them: the prospect fields, None for blanks, plain Python scalars."""
    return [{f: _value(r.get(f)) for f in PROSPECT_FIELDS} for r in df.to_dict("records")]


def _value(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def sink_context(engine: Engine, folder: Path, redis_url: str = "") -> SinkContext:
    """What a sink may need from the store, handed in so that sinks never import it; the CRM request budget
    is shared with every other process calling the same CRM account (Redis when configured, else the warehouse)."""
    return SinkContext(folder=folder, engine=engine, table=prospects, insert_many=write_many,
                       limiter=shared_limiter_factory(engine, redis_url))


def make_sink(settings: SinkSettings, engine: Engine, folder: Path, redis_url: str = "") -> Sink:
    """The configured sink, built through the registry; credentials come from Airflow Connections / env only."""
    return build_sink(settings, sink_context(engine, folder, redis_url))


def sink_settings_for(settings: SinkSettings, sink_type: str) -> SinkSettings:
    """The `sink:` section with another type (same mapping, policies and per-sink sections)."""
    return type(settings).model_validate({**settings.model_dump(), "type": sink_type})


def declared_capabilities(settings: SinkSettings) -> SinkCapabilities:
    """The configured sink type's declared capabilities, plus the fields this config's `field_map` maps."""
    declared = load_sink_factory(settings.type).capabilities
    return replace(declared, writable_fields=declared.writable_fields | frozenset(settings.field_map))


def installed_sinks() -> dict[str, SinkCapabilities]:
    """type -> declared capabilities, for `leadpipe sinks list`."""
    return {name: load_sink_factory(name).capabilities for name in sink_types()}


def check_sink(settings: SinkSettings, sink_type: str, warehouse_url: str, folder: Path,
               redis_url: str = "") -> list[CheckItem]:
    """Build the sink of `sink_type` from the config and check credentials, permissions and the custom fields
    it writes; nothing is written to the CRM. A sink that cannot even be built (no credentials, login
    refused) is one failed item saying why. A check sends a handful of reads on a budget of its own, so it
    writes nothing anywhere, not even the shared budget's rows into the warehouse."""
    load_sink_factory(sink_type)  # an unknown type: UnknownSink names the installed ones
    try:
        sink = build_sink(sink_settings_for(settings, sink_type),
                          replace(sink_context(engine_for(warehouse_url), folder, redis_url), limiter=local_limiter))
    except (SinkError, ValueError) as exc:
        return [CheckItem("credentials", False, str(exc))]
    return sink.check_setup()


def confirmed_hashes(engine: Engine, sink_name: str) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.content_hash)
                                 .where(push_ledger.c.sink == sink_name)).all())


def make_plan(sink: Sink, engine: Engine, records: list[dict]) -> list[PlannedPush]:
    """Compare with the ledger and, where the sink can look records up, with what the CRM already holds."""
    done = confirmed_hashes(engine, sink.name)
    existing = None
    if sink.capabilities.lookup_existing:
        changed = [r["email"] for r in records if r.get("email") and done.get(r["person_id"]) != content_hash(r)]
        existing = sink.lookup(changed)
    return plan_pushes(records, done, existing)


def store_plan(engine: Engine, run_id: str, sink_name: str, plan: list[PlannedPush], dry_run: bool) -> None:
    with engine.begin() as conn:
        conn.execute(delete(push_plans).where(push_plans.c.run_id == run_id, push_plans.c.sink == sink_name,
                                              push_plans.c.dry_run == dry_run))
        if plan:
            write_many(conn, insert(push_plans), [
                {"run_id": run_id, "sink": sink_name, "person_id": p.person_id, "action": p.action,
                 "reason": p.reason, "crm_id": p.crm_id, "content_hash": p.content_hash, "dry_run": dry_run,
                 "planned_at": ledger.now()} for p in plan])


def record_confirmed(engine: Engine, sink_name: str, run_id: str, confirmed: list[PushResult],
                     hashes: dict[str, str]) -> None:
    """Put what the CRM confirmed into the push ledger (replacing earlier entries); nothing unconfirmed."""
    if not confirmed:
        return
    with engine.begin() as conn:
        for chunk in in_chunks([r.person_id for r in confirmed]):
            conn.execute(delete(push_ledger).where(push_ledger.c.sink == sink_name,
                                                   push_ledger.c.person_id.in_(chunk)))
        write_many(conn, insert(push_ledger), [
            {"sink": sink_name, "person_id": r.person_id, "crm_id": r.crm_id,
             "content_hash": hashes[r.person_id], "run_id": run_id, "pushed_at": ledger.now()}
            for r in confirmed])


def _ledger_writer(engine: Engine, sink_name: str, run_id: str, hashes: dict[str, str]):
    def on_batch(results: list[PushResult]) -> None:
        record_confirmed(engine, sink_name, run_id, [r for r in results if r.outcome == "confirmed"], hashes)

    return on_batch


def run_push(engine: Engine, run_id: str, sink: Sink, records: list[dict], primary: dict[str, int],
             requalified: set[str] | frozenset[str] = frozenset()) -> dict[str, int]:
    """Plan, store the plan, write through the sink, then give every prospect's primary raw row its outcome.

    People in `requalified` (decided again after a config change, with no raw row in this run) get no outcome
    and no quarantine row: what happened to them goes into the run's re-qualification record instead.
    """
    plan = make_plan(sink, engine, records)
    store_plan(engine, run_id, sink.name, plan, dry_run=False)
    hashes = {p.person_id: p.content_hash for p in plan}
    results = sink.write(plan, run_id, _ledger_writer(engine, sink.name, run_id, hashes))
    by_pid = {r.person_id: r for r in results}
    outcomes: list[Outcome] = []
    held: list[tuple[str, str, str]] = []  # person_id, check, reason
    again: dict[str, str] = {}
    for p in plan:
        if p.person_id in requalified:
            again[p.person_id] = _requalified_result(p, by_pid.get(p.person_id), sink.name)
        elif p.action == "skip":
            outcomes.append(Outcome(primary[p.person_id], "merged", f"already in {sink.name} CRM, unchanged",
                                    p.person_id))
        elif p.action == "review":
            held.append((p.person_id, "crm_review", f"held for review before pushing to {sink.name}: {p.reason}"))
        else:
            r = by_pid.get(p.person_id)
            if r is None:
                held.append((p.person_id, "crm_refused", f"{sink.name} gave no answer; retried next run"))
            elif r.outcome == "confirmed":
                verb = {True: "created", False: "updated"}.get(r.created, f"{p.action}d")
                note = f"; {r.error}" if r.error else ""  # e.g. written, but its company link failed
                outcomes.append(Outcome(primary[p.person_id], "pushed",
                                        f"{verb} in {sink.name} CRM as {r.crm_id}{note}", p.person_id))
            elif r.outcome == "deferred":
                held.append((p.person_id, "crm_deferred", f"not pushed to {sink.name} yet: {r.error}"))
            else:
                held.append((p.person_id, "crm_refused", f"{sink.name} refused it: {r.error}; retried next run"))
    ledger.record_outcomes(engine, run_id, outcomes)
    _quarantine(engine, run_id, [(primary[pid], pid, check, reason) for pid, check, reason in held])
    if again:
        record_push_results(engine, run_id, again)
    counts = Counter(p.action for p in plan)
    status = Counter(r.outcome for r in results)
    out = {"create": counts["create"], "update": counts["update"], "skip": counts["skip"],
           "review": counts["review"], "confirmed": status["confirmed"], "failed": status["refused"],
           "deferred": status["deferred"]}
    log.info("push to %s: %d created, %d updated, %d unchanged, %d for review; %d refused, %d deferred",
             sink.name, out["create"], out["update"], out["skip"], out["review"], out["failed"], out["deferred"])
    return out


def _requalified_result(p: PlannedPush, r: PushResult | None, sink: str) -> str:
    """One line for the re-qualification record: created / updated / unchanged / held, with the CRM id or why."""
    if p.action == "skip":
        return f"unchanged in {sink} CRM"
    if p.action == "review":
        return f"held: for review before pushing to {sink}: {p.reason}"
    if r is None:
        return f"held: {sink} gave no answer"
    if r.outcome == "confirmed":
        verb = {True: "created", False: "updated"}.get(r.created, f"{p.action}d")
        return f"{verb} in {sink} CRM as {r.crm_id}" + (f"; {r.error}" if r.error else "")
    return f"held: {sink} did not take it: {r.error}"


def _quarantine(engine: Engine, run_id: str, items: list[tuple[int, str, str, str]]) -> None:
    if not items:
        return
    with engine.connect() as conn:
        where = lineage_of(conn, [i[0] for i in items])
    ledger.record_quarantine(engine, run_id, [
        QuarantinedRow(raw_id, where[raw_id].source, where[raw_id].source_file, where[raw_id].source_row,
                       check, reason, "email")
        for raw_id, _pid, check, reason in items])


def sync_named_list(sink: Sink, list_name: str, person_ids: list[str], engine: Engine) -> dict[str, int | str]:
    """Make the CRM's named list hold exactly these people (for the list-rebuild DAG, issue 9).

    Only people the CRM confirmed (push ledger) can be members; the rest are reported as 'not_in_crm'
    so the caller can push first. HubSpot: a static contact list (Lists API v3); Salesforce: a Campaign with
    its CampaignMembers; any sink that declares `named_lists`.
    """
    if not sink.capabilities.named_lists:
        raise NotImplementedError(f"named lists need a CRM sink that declares them (e.g. hubspot or salesforce), "
                                  f"not {sink.name}")
    with engine.connect() as conn:
        crm_ids = dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.crm_id)
                                    .where(push_ledger.c.sink == sink.name)).all())
        known = conn.execute(select(crm_lists.c.crm_list_id).where(
            crm_lists.c.sink == sink.name, crm_lists.c.list_name == list_name)).scalar()
    members = sorted({crm_ids[p] for p in person_ids if p in crm_ids})
    missing = len({p for p in person_ids if p not in crm_ids})
    list_id, added, removed = sink.sync_list(list_name, members, known)
    with engine.begin() as conn:
        conn.execute(delete(crm_lists).where(crm_lists.c.sink == sink.name, crm_lists.c.list_name == list_name))
        conn.execute(insert(crm_lists).values(sink=sink.name, list_name=list_name, crm_list_id=list_id,
                                              members=len(members), synced_at=ledger.now()))
    log.info("list %s in %s: %d members (%d added, %d removed, %d not in the CRM yet)",
             list_name, sink.name, len(members), added, removed, missing)
    return {"list_id": list_id, "members": len(members), "added": added, "removed": removed, "not_in_crm": missing}

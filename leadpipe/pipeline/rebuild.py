"""Rebuild a named prospect list from the warehouse: pick a segment, plan the CRM writes, then write them.

Sales-ops trigger this from the Airflow form (dags/rebuild_prospect_list.py). Nothing is re-ingested:
people, their segments and scores are already in the warehouse from the nightly runs. Suppression is
checked again against today's do-not-contact lists, because a list can change between nightly runs.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from connectors.sinks.base import PlannedPush, Sink, SinkError, plan_pushes
from enrichment.normalise import normalise_email
from enrichment.revenue import parse_revenue
from enrichment.suppress import combine_crm_flags, crm_suppression_reason, suppression_reason
from leadpipe.core.redact import mask_text
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.core.spreadsheet import neutralise_row
from leadpipe.pipeline import crm_flags
from leadpipe.pipeline.channel_decisions import stored_channel_fields
from leadpipe.pipeline.dag_settings import crm_labels
from leadpipe.pipeline.push import make_sink, record_confirmed, sink_settings_for, sync_named_list
from leadpipe.pipeline.settings import Config
from leadpipe.pipeline.suppression_files import load_lists
from leadpipe.store import ledger
from leadpipe.store.warehouse import engine_for, membership, migrate, outcomes, people, push_ledger, raw_rows

log = logging.getLogger("leadpipe")

TIER_ORDER = ("A", "B", "C")


class RebuildError(ValueError):
    """A choice the config no longer allows (the form is built from the config, so this is rare)."""


@dataclass(frozen=True)
class Segment:
    """What sales-ops picked in the form."""

    list_name: str
    markets: list[str] = field(default_factory=list)  # empty = every market
    personas: list[str] = field(default_factory=list)  # empty = every persona
    countries: list[str] = field(default_factory=list)  # empty = every country
    min_score: int = 0
    tier: str = "any"  # "A", "B" (A or B), "C" (A, B or C) or "any"
    crm_target: str = "local"
    dry_run: bool = True
    include_already_pushed: bool = False

    @classmethod
    def from_params(cls, params: dict) -> Segment:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in params.items() if k in names}
        for key in ("markets", "personas", "countries"):  # the form sends null for an empty multi-select
            values[key] = list(values.get(key) or [])
        return cls(**values)


def check_segment(cfg: Config, seg: Segment) -> None:
    """The Param schema already rejects bad choices; this guards runs triggered with an older form."""
    problems = []
    known_markets = {m.name for m in cfg.markets}
    known_personas = {p.name for p in cfg.personas}
    if unknown := sorted(set(seg.markets) - known_markets):
        problems.append(f"unknown market(s) {unknown}")
    if unknown := sorted(set(seg.personas) - known_personas):
        problems.append(f"unknown persona(s) {unknown}")
    if seg.crm_target not in cfg.airflow.rebuild.crm_targets:
        problems.append(f"CRM target '{seg.crm_target}' is not offered (config airflow.rebuild.crm_targets)")
    if seg.tier != "any" and seg.tier not in TIER_ORDER:
        problems.append(f"unknown tier '{seg.tier}'")
    if problems:
        raise RebuildError("; ".join(problems))


def plan_list(cfg: Config, folder: Path, seg: Segment) -> dict:
    """Select the segment, check suppression, and plan creates/updates/skips against the CRM's push ledger.

    Writes plan.json (counts), plan_records.json (the planned writes) and plan_people.json (who is left
    out, with the reason; each person's persona as the preview shows it) into ``folder``; returns the counts.
    """
    check_segment(cfg, seg)
    engine = engine_for(cfg.warehouse_url)
    personas = [p for p in cfg.personas if p.name in seg.personas]
    allowed_tiers = set(TIER_ORDER[: TIER_ORDER.index(seg.tier) + 1]) if seg.tier in TIER_ORDER else None
    lists = load_lists([cfg.resolve(p) for p in cfg.suppression.do_not_contact_files])
    feedback = crm_flags.FeedbackIndex.read(engine)  # what the CRMs reported since (opt-outs, customers)
    with engine.connect() as conn:
        rows = conn.execute(select(people.c.person_id, people.c.record, people.c.segments, people.c.score,
                                   people.c.tier, people.c.persona, people.c.department, people.c.owner,
                                   people.c.compliance, people.c.channels)).mappings().all()
        last_suppressed = _suppressed_last_run(conn)
        lead_source = _lead_sources(conn)
        done = dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.content_hash)
                                 .where(push_ledger.c.sink == seg.crm_target)).all())
    counts = {"people_in_warehouse": len(rows), "in_segment": 0, "suppressed": 0, "no_email": 0,
              "already_pushed_left_out": 0}
    suppression_reasons: dict[str, int] = {}
    suppressed: list[dict] = []  # who is left out and why: the list preview shows them before approval
    shown_persona: dict[str, str | None] = {}  # the preview's persona: the classifier's, else the first rule met
    records = []
    for row in rows:
        rec, segs = row["record"] or {}, row["segments"] or {}
        markets = segs.get("markets") or []
        if seg.markets and not set(markets) & set(seg.markets):
            continue
        if seg.personas and not any(_is_persona(p, segs) for p in personas):
            continue
        if seg.countries and (rec.get("country") or "").upper() not in seg.countries:
            continue
        if row["score"] is None or row["score"] < seg.min_score:
            continue
        if allowed_tiers is not None and row["tier"] not in allowed_tiers:
            continue
        counts["in_segment"] += 1
        shown_persona[row["person_id"]] = row["persona"] or persona_of(cfg.personas, segs)
        if not rec.get("email"):
            counts["no_email"] += 1
            continue
        email = normalise_email(rec.get("email"))
        flags = {"email_role": email.role, "email_disposable": email.disposable, "from_form": False}
        why = suppression_reason(rec, flags, lists, role=cfg.suppression.suppress_role_addresses,
                                 disposable=cfg.suppression.suppress_disposable_addresses,
                                 require_form_consent=False) or _crm_reason(cfg, feedback, row["person_id"], rec)
        why = why or last_suppressed.get(row["person_id"])
        if why:
            counts["suppressed"] += 1
            suppression_reasons[why] = suppression_reasons.get(why, 0) + 1
            suppressed.append({"person_id": row["person_id"], "first_name": rec.get("first_name"),
                               "last_name": rec.get("last_name"), "company": rec.get("company"),
                               "job_title": rec.get("job_title"), "market": markets[0] if markets else None,
                               "persona": shown_persona[row["person_id"]], "score": row["score"],
                               "tier": row["tier"], "reason": why})
            continue
        if row["person_id"] in done and not seg.include_already_pushed:
            counts["already_pushed_left_out"] += 1
            continue
        comp = row["compliance"] or {}
        records.append({
            **{f: rec.get(f) for f in PROSPECT_FIELDS},
            **{f: comp.get(f) for f in ("lawful_basis", "consent_evidence", "lia_ref", "dnc_status",
                                        "dnc_checked_at")},
            "person_id": row["person_id"], "market": markets[0] if markets else None,
            "seniority": segs.get("seniority") or None, "score": row["score"], "tier": row["tier"],
            "persona": row["persona"], "department": row["department"], "owner": row["owner"],
            "annual_revenue": parse_revenue(rec.get("annual_revenue")),
            "lead_source": lead_source.get(row["person_id"]),
            **stored_channel_fields(row["channels"]),
        })
    plan = plan_pushes(records, done)
    for action in ("create", "update", "skip"):
        counts[action] = sum(p.action == action for p in plan)
    counts["list_size"] = len(plan)
    counts["writes"] = counts["create"] + counts["update"]
    result = {"segment": asdict(seg), "counts": counts,
              "suppression_reasons": dict(sorted(suppression_reasons.items(), key=lambda kv: -kv[1])),
              "needs_approval": counts["writes"] > cfg.airflow.rebuild.approval_above,
              "approval_above": cfg.airflow.rebuild.approval_above,
              "crm_label": crm_labels().get(seg.crm_target, seg.crm_target)}
    folder.mkdir(parents=True, exist_ok=True)
    ledger.write_json(folder / "plan.json", result)
    (folder / "plan_records.json").write_text(json.dumps([asdict(p) for p in plan], default=str), encoding="utf-8")
    ledger.write_json(folder / "plan_people.json", {"suppressed": suppressed, "persona": shown_persona})
    log.info("rebuild %s: %d people in segment, %d suppressed, plan: %d create, %d update, %d unchanged",
             seg.list_name, counts["in_segment"], counts["suppressed"], counts["create"], counts["update"],
             counts["skip"])
    return result


def _is_persona(rule, segs: dict) -> bool:
    """The classifier's own verdict when the nightly run stored one; else its seniority/department rule.

    A person without a known department matches on seniority alone, so older records are not dropped.
    """
    if segs.get("persona"):
        return segs["persona"] == rule.name
    if rule.seniorities and segs.get("seniority") not in rule.seniorities:
        return False
    return not (rule.departments and segs.get("department") and segs["department"] not in rule.departments)


def persona_of(rules: list, segs: dict) -> str | None:
    """The first configured persona a person fits (the config's order decides, as in the classifier)."""
    return next((p.name for p in rules if _is_persona(p, segs)), None)


def _crm_reason(cfg: Config, feedback: crm_flags.FeedbackIndex | None, person_id: str, rec: dict) -> str | None:
    """Why the CRM's feedback keeps this person off any list (opt-out, hard bounce, customer), as the nightly
    suppression says it: a rebuilt list must not push again whom the CRM told us to leave alone."""
    mine = feedback.records_of(person_id, rec.get("email")) if feedback is not None else []
    return crm_suppression_reason(combine_crm_flags(mine, cfg.suppression.crm_customer_stages)) if mine else None


def _suppressed_last_run(conn) -> dict[str, str]:
    """People whose latest ledger outcome is 'suppressed' (e.g. a form lead without consent)."""
    latest = (select(outcomes.c.person_id, func.max(outcomes.c.run_id).label("run_id"))
              .where(outcomes.c.person_id.is_not(None)).group_by(outcomes.c.person_id).subquery())
    q = (select(outcomes.c.person_id, outcomes.c.reason)
         .join(latest, (outcomes.c.person_id == latest.c.person_id) & (outcomes.c.run_id == latest.c.run_id))
         .where(outcomes.c.outcome == "suppressed"))
    return {pid: reason for pid, reason in conn.execute(q)}


def _lead_sources(conn) -> dict[str, str]:
    """The source of each person's first row: what the nightly push sends as lead_source."""
    first = (select(membership.c.person_id, func.min(membership.c.raw_row_id).label("rid"))
             .group_by(membership.c.person_id).subquery())
    q = select(first.c.person_id, raw_rows.c.source).join(raw_rows, raw_rows.c.id == first.c.rid)
    return {pid: src for pid, src in conn.execute(q)}


def load_plan(folder: Path) -> tuple[dict, list[PlannedPush]]:
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    records = json.loads((folder / "plan_records.json").read_text(encoding="utf-8"))
    return plan, [PlannedPush(**r) for r in records]


def sink_for(cfg: Config, target: str, folder: Path) -> Sink:
    """Turn a CRM target into a sink through the same registry as the push stage (the `sink:` section's
    mapping and per-sink settings, with the target's type)."""
    try:
        return make_sink(sink_settings_for(cfg.sink, target), engine_for(cfg.warehouse_url), folder, cfg.redis_url)
    except (ValueError, NotImplementedError) as exc:
        raise RebuildError(f"CRM target '{target}' cannot be used: {exc}; configured targets: "
                           f"{cfg.airflow.rebuild.crm_targets}") from None


def write_list(cfg: Config, run_id: str, folder: Path) -> dict:
    """Write the planned creates/updates to the CRM, record what it confirmed, save the list members, and
    make the CRM's named list (HubSpot static list, Salesforce Campaign) hold exactly this list's people.

    Called by the DAG's write task after the approval step, with the folder the plan task wrote; the sink
    comes from the same registry and credentials (Airflow Connection / environment) as the nightly push.
    A named list the CRM does not take is reported under `not_synced` (crm_result.json, the report) with what
    the CRM said and what to do; the records written stay recorded, and the DAG task fails after saving it.
    """
    plan, planned = load_plan(folder)
    seg = Segment(**plan["segment"])
    migrate(cfg.warehouse_url)  # the shared CRM request budget's tables (a warehouse from an older version)
    sink = sink_for(cfg, seg.crm_target, folder)
    engine = engine_for(cfg.warehouse_url)
    hashes = {p.person_id: p.content_hash for p in planned}
    # the ledger is written batch by batch, so a failure later (e.g. in the list sync) loses no confirmation
    reported: set[str] = set()

    def on_batch(batch: list) -> None:
        done = [r for r in batch if r.outcome == "confirmed"]
        record_confirmed(engine, sink.name, run_id, done, hashes)
        reported.update(r.person_id for r in done)

    results = sink.write(planned, run_id, on_batch)
    confirmed = [r for r in results if r.outcome == "confirmed"]
    record_confirmed(engine, sink.name, run_id, [r for r in confirmed if r.person_id not in reported], hashes)
    members = folder / "list_members.csv"
    with members.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["list_name", "person_id", "action"])
        writer.writerows(neutralise_row([seg.list_name, p.person_id, p.action]) for p in planned)
    failed = [r for r in results if r.outcome != "confirmed"]
    crm = {"target": seg.crm_target, "written": len(confirmed), "failed": len(failed),
           "unchanged": sum(p.action == "skip" for p in planned), "members_csv": str(members),
           "errors": sorted({r.error for r in failed if r.error})[:10]}
    if sink.capabilities.named_lists:
        # the list's people are the plan's (created, updated or unchanged); anyone the CRM has not confirmed
        # is left off and counted as not_in_crm; people who left the segment are removed from the list
        crm.update(_sync_list(sink, seg, [p.person_id for p in planned], engine, plan.get("crm_label") or sink.name))
    ledger.write_json(folder / "crm_result.json", crm)
    log.info("rebuild %s: %d written to %s, %d failed, %d unchanged", seg.list_name, len(confirmed),
             seg.crm_target, len(failed), crm["unchanged"])
    return crm


def _sync_list(sink: Sink, seg: Segment, person_ids: list[str], engine: Engine, crm: str) -> dict:
    """The named list's sync -> {"named_list": counts} or, when the CRM refuses it, {"not_synced": {name: why}}.

    A refusal must not lose what was already done: the records are written and recorded, so it is saved
    in crm_result.json and the report in the user's words instead of failing the task before them.
    """
    try:
        return {"named_list": sync_named_list(sink, seg.list_name, person_ids, engine), "not_synced": {}}
    except SinkError as exc:
        why = _refusal(seg.list_name, crm, str(exc))
        log.warning("rebuild list not synced: %s", why)
        return {"not_synced": {seg.list_name: why}}


def _refusal(name: str, crm: str, reason: str) -> str:
    """The list not synced, in the user's words: which list, which CRM, what it said, what to do next (masked:
    a CRM's answer may carry a URL with credentials)."""
    return mask_text(f"the list \"{name}\" was not synced to {crm}: {reason}. The records written to {crm} are "
                     f"recorded; the list in {crm} holds what its last sync put there. Once fixed, clear this run's "
                     "failed write task in Airflow: it writes the same plan again (the CRM updates the records it "
                     "has, nothing is duplicated) and syncs the list")


def not_synced(crm: dict | None) -> list[str]:
    """Why the rebuild's named list is not in the CRM (empty: synced, or no named list for this CRM).

    The DAG's write task fails on any, after crm_result.json and the report are saved (as the call lists do).
    """
    return list(((crm or {}).get("not_synced") or {}).values())

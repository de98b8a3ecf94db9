"""The qualify stage: segment, classify, score, check compliance and route every resolved person.

Reads resolved.parquet, writes prospects.parquet (only people who may be contacted and qualify), records
a `suppressed` or `disqualified` outcome with its reason for everyone else, and stores the decision on the
person (segments, persona, score breakdown, compliance verdict, owner) for `leadpipe explain` and audits.
People erased earlier (a tombstone matches) are suppressed and erased again, so a re-bought list cannot
bring their data back into the warehouse.

When the qualification config changed since the last run (leadpipe.pipeline.requalify), everyone else in the
warehouse is decided again in the same pass; newly qualified people join prospects.parquet (`requalified`
true) and every change is recorded per run, not as a second outcome of an old raw row.

The decisions are made frame-wise (leadpipe.pipeline.decisions) and written back in bulk: at 700k people a
per-person loop with one UPDATE each was the slowest part of a run.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from enrichment.routing import assign_owners
from enrichment.suppress import combine_crm_flags
from leadpipe.core.schema import CHANNEL_FIELDS
from leadpipe.pipeline import crm_flags, requalify
from leadpipe.pipeline.channel_decisions import channels_frame
from leadpipe.pipeline.context import RunContext
from leadpipe.pipeline.crm_feedback import people_with_new_feedback
from leadpipe.pipeline.decisions import Context, decide_frame, stored_json
from leadpipe.pipeline.forget import forget_people
from leadpipe.pipeline.settings import Config
from leadpipe.pipeline.suppression_files import load_account_owners, load_dnc_registry, load_lists
from leadpipe.pipeline.tombstone_key import tombstone_key
from leadpipe.store import ledger
from leadpipe.store.ledger import Outcome
from leadpipe.store.run_files import read_frame, write_frame
from leadpipe.store.warehouse import in_chunks, people, suppression_entries

log = logging.getLogger("leadpipe")
NEW_COLUMNS = ["market", "markets", "seniority", "department", "persona", "score", "fit_score", "intent_score",
               "tier", "lawful_basis", "consent_evidence", "lia_ref", "dnc_status", "dnc_checked_at",
               "phone_withheld", "owner", "owner_reason", "requalified"]
_DECISION_COLUMNS = [c for c in NEW_COLUMNS if c not in ("owner", "owner_reason", "requalified")]


def qualify(ctx: RunContext, path: str | None) -> str | None:
    """The stage: segment, classify titles, score, check compliance (suppression, GDPR, DNC) and route everyone.

    Writes prospects.parquet; suppressed and disqualified people get their outcome with the reason.
    """
    cfg, run_id, engine = ctx.cfg, ctx.run_id, ctx.engine
    now = datetime.now(UTC)
    fingerprint = requalify.config_fingerprint(cfg)
    again, previous = requalify.needs_requalification(engine, run_id, fingerprint)
    told = people_with_new_feedback(engine, run_id)  # what a CRM reported back this run changes their decision
    if path is None and not again and not told:
        requalify.record_run(engine, run_id, fingerprint, previous, [], 0)
        return None
    with ctx.timed("qualify"):
        df = read_frame(ctx.file(path)) if path is not None else pd.DataFrame(columns=["person_id"])
        df = df.assign(requalified=False)
        if again or told:  # the config changed: everyone else in the warehouse is decided again; else those
            others = requalify.load_people(engine, cfg, run_id, exclude=set(df["person_id"]),  # the CRM told about
                                           only=None if again else told)
            df = pd.concat([df, others.assign(requalified=True)], ignore_index=True)
        df = df.reset_index(drop=True)
        if df.empty:
            requalify.record_run(engine, run_id, fingerprint, previous, [], 0)
            return None
        sup = cfg.suppression
        lists = load_lists([cfg.resolve(p) for p in sup.do_not_contact_files])
        with engine.connect() as conn:
            lists.tombstones = {r[0] for r in conn.execute(select(suppression_entries.c.value_hash))}
        if lists.tombstones:
            lists.tombstone_key = tombstone_key(cfg.home)
        registry = None
        if sup.national_dnc_registry is not None:
            registry = load_dnc_registry(cfg.resolve(sup.national_dnc_registry.path),
                                         sup.national_dnc_registry.country_code)
        flags = crm_flags_of(engine, df, sup.crm_customer_stages)
        dec = decide_frame(df, cfg, Context(lists, registry, now, flags))
        requalified = df["requalified"].to_numpy(dtype=bool)
        keep = (dec["outcome"] == "prospect").to_numpy()
        # channel readiness of the prospects builds on the verdict; the CRM's flags come from its feedback
        flags = crm_flags.crm_flags_for(engine, df.loc[keep, "person_id"].tolist())
        chan = channels_frame(df, dec, cfg, flags, now.date(), now.isoformat(), only=keep)
        owners = _route(engine, cfg, df, keep)
        stay = requalified & ~keep
        if stay.any():  # a re-qualified person who is no prospect keeps the owner they had
            owners.loc[stay, "owner"] = df.loc[stay, "old_owner"].to_numpy()
        _store(engine, df, dec, chan, owners, run_id, fingerprint, now)

        in_run = ~requalified
        outcomes = [Outcome(int(rid), kind, why, pid) for rid, kind, why, pid in zip(
            df.loc[in_run, "primary_raw_row_id"], dec.loc[in_run, "outcome"], dec.loc[in_run, "reason"],
            df.loc[in_run, "person_id"], strict=True) if kind != "prospect"]
        ledger.record_outcomes(engine, run_id, outcomes)
        changes = _changes(df, dec, keep) if again or told else []
        counts = requalify.record_run(engine, run_id, fingerprint, previous, changes, int(requalified.sum()),
                                      crm_feedback=bool(told) and not again)
        erased = [pid for pid, why in zip(df.loc[in_run, "person_id"], dec.loc[in_run, "suppressed"], strict=True)
                  if why and why.startswith("erased on request")]
        if erased:  # re-bought after an erasure: take their data out again, by person id, this run's files too
            forget_people(engine, erased, reason="re-bought after erasure", runs_dir=ctx.folder)

        out = ctx.folder / "prospects.parquet"
        write_frame(_prospects(df, dec, chan, owners, keep), out)
        log.info("qualify: %d people (%d re-qualified after a config change), %d prospects, %d suppressed "
                 "(%d erased people re-bought), %d disqualified; prospects reachable by email %d, by phone %d, "
                 "on LinkedIn %d; re-qualification changes: %s",
                 len(df), int(requalified.sum()), int(keep.sum()), sum(o.outcome == "suppressed" for o in outcomes),
                 len(erased), sum(o.outcome == "disqualified" for o in outcomes),
                 int(chan.loc[keep, "email_sendable"].astype(bool).sum()),
                 int(chan.loc[keep, "phone_callable"].astype(bool).sum()),
                 int(chan.loc[keep, "linkedin_url"].notna().sum()),
                 {k: v for k, v in counts.items() if k not in ("people", "config_changed", "crm_feedback")} or "none")
        return str(out)


def crm_flags_of(engine: Engine, df: pd.DataFrame, customer_stages: list[str]) -> list[dict | None] | None:
    """Per person (df's order), what the CRMs reported back about them: the CRM records pushed as them (push
    ledger) or carrying their email (leadpipe.pipeline.crm_feedback). None when no CRM reported anything."""
    index = crm_flags.FeedbackIndex.read(engine)
    if index is None:
        return None
    emails = df["email"].tolist() if "email" in df.columns else [None] * len(df)
    out: list[dict | None] = []
    for pid, email in zip(df["person_id"].tolist(), emails, strict=True):
        mine = index.records_of(pid, email if isinstance(email, str) else None)
        out.append(combine_crm_flags(mine, customer_stages) if mine else None)
    return out


def _prospects(df: pd.DataFrame, dec: pd.DataFrame, chan: pd.DataFrame, owners: pd.DataFrame,
               keep: np.ndarray) -> pd.DataFrame:
    """The people who go on to the push, with their decision and channel readiness; a phone the compliance
    verdict withholds (DNC registered or stale) is dropped, the reason stays in `phone_reason`."""
    base = df.loc[keep].drop(columns=[c for c in df.columns if c.startswith("old_")])
    d = dec.loc[keep]
    out = base.assign(**{c: d[c] for c in _DECISION_COLUMNS}, annual_revenue=d["annual_revenue"],
                      owner=owners.loc[keep, "owner"], owner_reason=owners.loc[keep, "owner_reason"],
                      **{c: chan.loc[keep, c] for c in CHANNEL_FIELDS})
    if "phone" in out.columns:
        out["phone"] = out["phone"].astype(object).where(d["phone_callable"].to_numpy(dtype=bool), None)
    columns = list(dict.fromkeys(list(base.columns) + ["annual_revenue"] + NEW_COLUMNS + list(CHANNEL_FIELDS)))
    return out.reindex(columns=columns).reset_index(drop=True)


def _changes(df: pd.DataFrame, dec: pd.DataFrame, keep: np.ndarray) -> list[dict]:
    """Re-qualified people whose decision changed: the run-level record (see leadpipe.pipeline.requalify)."""
    out = []
    mask = df["requalified"].to_numpy(dtype=bool)
    for i in np.flatnonzero(mask).tolist():
        old_score = df.at[i, "old_score"]
        old_score = None if pd.isna(old_score) else int(old_score)
        old_tier = None if pd.isna(df.at[i, "old_tier"]) else df.at[i, "old_tier"]
        new_score, new_tier = int(dec.at[i, "score"]), dec.at[i, "tier"]
        change = requalify.change_of(bool(df.at[i, "old_prospect"]), bool(keep[i]), old_score, new_score,
                                     old_tier, new_tier)
        if change:
            out.append({"person_id": df.at[i, "person_id"], "change": change, "old_score": old_score,
                        "old_tier": old_tier, "new_score": new_score, "new_tier": new_tier,
                        "reason": dec.at[i, "reason"]})
    return out


def _route(engine: Engine, cfg: Config, df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """owner and owner_reason per person (None for people who are not prospects)."""
    owners = pd.DataFrame({"owner": [None] * len(df), "owner_reason": [None] * len(df)}, index=df.index,
                          dtype=object)
    routing = cfg.routing
    if not keep.any() or not (routing.teams or routing.account_owners_files):
        return owners
    account_owners = load_account_owners([cfg.resolve(p) for p in routing.account_owners_files])
    chosen = df.loc[keep, [c for c in ("person_id", "domain", "country", "state") if c in df.columns]]
    chosen = chosen.astype(object).where(chosen.notna(), None)
    prospects = chosen.to_dict("records")
    pids = chosen["person_id"].tolist()
    with engine.connect() as conn:
        current: dict[str, str] = {}
        for chunk in in_chunks(pids):
            current.update(conn.execute(select(people.c.person_id, people.c.owner).where(
                people.c.person_id.in_(chunk), people.c.owner.is_not(None))).all())
        per_owner = dict(conn.execute(select(people.c.owner, func.count()).where(people.c.owner.is_not(None))
                                      .group_by(people.c.owner)).all())
    so_far = {team: sum(per_owner.get(o, 0) for o in owners_) for team, owners_ in routing.teams.items()}
    assigned = assign_owners(prospects, routing, account_owners, current, so_far)
    owners.loc[keep, "owner"] = [assigned[p].owner for p in pids]
    owners.loc[keep, "owner_reason"] = [assigned[p].reason for p in pids]
    return owners


_STORED = ("segments", "score", "tier", "score_breakdown", "persona", "department", "owner", "compliance",
           "lead_source", "from_form", "primary_raw_row_id", "prospect", "qualified_run_id", "config_fingerprint",
           "channels")
_JSON = ("segments", "score_breakdown", "compliance", "channels")
UPDATE_CHUNK = 20_000


def _store(engine: Engine, df: pd.DataFrame, dec: pd.DataFrame, chan: pd.DataFrame, owners: pd.DataFrame,
           run_id: str, fingerprint: str, now: datetime) -> None:
    """Write every person's decision back in bulk: JSON serialised once per distinct value, one executemany
    per chunk on SQLite, a temporary table and one UPDATE ... FROM elsewhere (PostgreSQL)."""
    segments, breakdowns, compliance = stored_json(dec, now.isoformat())
    primary = pd.to_numeric(df["primary_raw_row_id"], errors="coerce")
    rows = list(zip(  # one tuple per person, person_id last
        segments, dec["score"].tolist(), dec["tier"].tolist(), breakdowns, dec["persona"].tolist(),
        dec["department"].tolist(), owners["owner"].tolist(), compliance,
        df["lead_source"].astype(object).where(df["lead_source"].notna(), None).tolist(),
        df["from_form"].fillna(False).astype(bool).tolist(),
        [None if math.isnan(v) else int(v) for v in primary.tolist()],
        (dec["outcome"] == "prospect").tolist(), [run_id] * len(df), [fingerprint] * len(df),
        chan["channels"].tolist(), df["person_id"].tolist(), strict=True))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # in the frame's order, which is the order dedupe inserted the rows in (sorting by key was slower)
            sql = f"UPDATE people SET {', '.join(f'{c} = ?' for c in _STORED)} WHERE person_id = ?"
            for chunk in in_chunks(rows, UPDATE_CHUNK):
                conn.exec_driver_sql(sql, chunk)
            return
        types = {"from_form": Boolean, "prospect": Boolean, "score": Integer, "primary_raw_row_id": BigInteger}
        tmp = Table("tmp_qualified", MetaData(), *[Column(c, types.get(c, Text)) for c in _STORED],
                    Column("person_id", String(36)), prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
        tmp.create(conn)
        names = [*_STORED, "person_id"]
        for chunk in in_chunks(rows, UPDATE_CHUNK):
            conn.execute(insert(tmp), [dict(zip(names, r, strict=True)) for r in chunk])
        sets = ", ".join(f"{c} = t.{c}" + ("::json" if c in _JSON else "") for c in _STORED)
        conn.exec_driver_sql(f"UPDATE people SET {sets} FROM tmp_qualified t WHERE people.person_id = t.person_id")

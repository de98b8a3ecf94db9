"""Re-qualifying everyone when the qualification config changes, and the run-level record of what changed.

"A score change in config changes tiers on the next run" must hold for every person in the warehouse, not
only for those the next run happens to buy again. Each run stores the fingerprint of the config parts that
decide (markets, personas, scoring, suppression, routing, plus LOGIC_VERSION for code changes); when the next
run's fingerprint differs, the qualify stage decides again for every person, from the golden record and the
facts their last qualification used (lead source, form or not, primary row), stored on the person.

Ledger: a re-qualified person brought no raw row into this run, and their raw rows already have their one
outcome in the run that ingested them. So their change is not an outcome: it is a row in `requalifications`
(old and new score/tier, what changed, what the push did), and the counts go into `qualify_runs` and the run
summary. The ledger of the run still adds up over the rows it ingested.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select, update

from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.pipeline.settings import Config
from leadpipe.store.bulk_write import write_many
from leadpipe.store.ledger import now
from leadpipe.store.warehouse import in_chunks, membership, people, qualify_runs, raw_rows, requalifications

# Bump when the decision code changes in a way that must re-decide everyone (not for config changes).
LOGIC_VERSION = 3  # 3: channel readiness (0008_channel_readiness) is decided for everyone


def config_fingerprint(cfg: Config) -> str:
    """sha256 over the config sections that decide who qualifies (sorted JSON, so key order does not count)."""
    parts = {
        "logic": LOGIC_VERSION,
        "markets": [m.model_dump(mode="json") for m in cfg.markets],
        "personas": [p.model_dump(mode="json") for p in cfg.personas],
        "scoring": cfg.scoring.model_dump(mode="json"),
        "suppression": cfg.suppression.model_dump(mode="json"),
        "routing": cfg.routing.model_dump(mode="json"),
        "channels": cfg.channels.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def previous_fingerprint(engine: Engine, run_id: str) -> str | None:
    """The fingerprint the latest earlier run qualified under (None: no run recorded one yet)."""
    with engine.connect() as conn:
        return conn.execute(select(qualify_runs.c.config_fingerprint).where(qualify_runs.c.run_id != run_id)
                            .order_by(qualify_runs.c.created_at.desc()).limit(1)).scalar()


def needs_requalification(engine: Engine, run_id: str, fingerprint: str) -> tuple[bool, str | None]:
    """(re-qualify everyone?, previous fingerprint). A warehouse without a recorded fingerprint but with
    people (qualified before fingerprints existed) is re-qualified once."""
    previous = previous_fingerprint(engine, run_id)
    if previous == fingerprint:
        return False, previous
    with engine.connect() as conn:  # people this run's dedupe did not touch
        anyone = conn.execute(select(people.c.person_id).where(people.c.updated_run_id != run_id)
                              .limit(1)).first() is not None
    return anyone, previous


def load_people(engine: Engine, cfg: Config, run_id: str, exclude: set[str],
                only: set[str] | None = None) -> pd.DataFrame:
    """Every person this run's dedupe did not touch (and not in `exclude`; only those in `only` when given: the
    people a CRM reported back about), as the qualify stage reads resolved people, plus their last decision.

    Columns: the golden record's fields, person_id, primary_raw_row_id, lead_source, from_form, and old_score,
    old_tier, old_prospect, old_owner. People qualified before these columns existed (old dev warehouses) have no stored facts: their lead source is
    the source of their newest row, `from_form` whether any of their rows came from a form source.
    """
    cols = [people.c.person_id, people.c.record, people.c.score, people.c.tier, people.c.owner,
            people.c.compliance, people.c.lead_source, people.c.from_form, people.c.primary_raw_row_id,
            people.c.prospect]
    with engine.connect() as conn:
        query = select(*cols).where(people.c.updated_run_id != run_id)
        if only is not None:
            rows = [r for chunk in in_chunks(sorted(only)) for r in conn.execute(query.where(people.c.person_id.in_(chunk)))
                    if r.person_id not in exclude]
        else:
            rows = [r for r in conn.execute(query) if r.person_id not in exclude]
        legacy = [r.person_id for r in rows if r.lead_source is None or r.primary_raw_row_id is None]
        newest, forms = _legacy_facts(conn, cfg, legacy) if legacy else ({}, set())
    records = []
    for r in rows:
        rec = {f: (r.record or {}).get(f) for f in MAPPABLE_FIELDS}
        suppressed = bool((r.compliance or {}).get("suppressed"))
        was_prospect = r.prospect if r.prospect is not None else (
            r.tier is not None and not suppressed and bool(rec.get("email")))
        primary, source = (r.primary_raw_row_id, r.lead_source) if r.primary_raw_row_id is not None \
            else newest.get(r.person_id, (None, None))
        records.append({**rec, "person_id": r.person_id, "primary_raw_row_id": primary,
                        "lead_source": r.lead_source or source,
                        "from_form": bool(r.from_form) if r.from_form is not None else r.person_id in forms,
                        "old_score": r.score, "old_tier": r.tier, "old_prospect": bool(was_prospect),
                        "old_owner": r.owner})
    return pd.DataFrame.from_records(records, columns=[*MAPPABLE_FIELDS, "person_id", "primary_raw_row_id",
                                                       "lead_source", "from_form", "old_score", "old_tier",
                                                       "old_prospect", "old_owner"])


def _legacy_facts(conn, cfg: Config, pids: list[str]) -> tuple[dict[str, tuple[int, str]], set[str]]:
    form_sources = [s.name for s in cfg.sources if s.kind == "form" or s.type == "forms"]
    newest: dict[str, tuple[int, str]] = {}
    forms: set[str] = set()
    for chunk in in_chunks(pids):
        q = (select(membership.c.person_id, func.max(membership.c.raw_row_id))
             .where(membership.c.person_id.in_(chunk)).group_by(membership.c.person_id))
        top = dict(conn.execute(q).all())
        sources = dict(conn.execute(select(raw_rows.c.id, raw_rows.c.source)
                                    .where(raw_rows.c.id.in_(list(top.values())))).all())
        newest.update({pid: (rid, sources.get(rid)) for pid, rid in top.items()})
        if form_sources:
            forms |= set(conn.execute(select(membership.c.person_id).distinct()
                                      .join(raw_rows, raw_rows.c.id == membership.c.raw_row_id)
                                      .where(membership.c.person_id.in_(chunk), raw_rows.c.source.in_(form_sources)))
                         .scalars())
    return newest, forms


def change_of(old_prospect: bool, new_prospect: bool, old_score: int | None, new_score: int,
              old_tier: str | None, new_tier: str | None) -> str | None:
    """What a re-qualification changed for one person, or None when nothing did."""
    if new_prospect and not old_prospect:
        return "newly_qualified"
    if old_prospect and not new_prospect:
        return "newly_disqualified"
    if old_tier != new_tier:
        return "tier_changed"
    if old_score != new_score:
        return "score_changed"
    return None


def record_run(engine: Engine, run_id: str, fingerprint: str, previous: str | None, changes: list[dict],
               requalified_people: int, crm_feedback: bool = False) -> dict:
    """Store this run's fingerprint and the re-qualification changes; return the counts for the summary.
    `crm_feedback`: the people were decided again because a CRM reported back about them, not for the config."""
    counts = {"people": requalified_people, "config_changed": previous is not None and previous != fingerprint}
    if crm_feedback:
        counts["crm_feedback"] = True
    for c in changes:
        counts[c["change"]] = counts.get(c["change"], 0) + 1
    with engine.begin() as conn:
        conn.execute(delete(requalifications).where(requalifications.c.run_id == run_id))
        if changes:
            write_many(conn, insert(requalifications), [{**c, "run_id": run_id, "push_result": None} for c in changes])
        conn.execute(delete(qualify_runs).where(qualify_runs.c.run_id == run_id))
        conn.execute(insert(qualify_runs).values(run_id=run_id, config_fingerprint=fingerprint,
                                                 previous_fingerprint=previous, requalified_people=requalified_people,
                                                 counts=counts, created_at=now()))
    return counts


def record_push_results(engine: Engine, run_id: str, results: dict[str, str]) -> None:
    """What the push did with re-qualified people (created / updated / unchanged / held: why)."""
    if not results:
        return
    with engine.begin() as conn:
        for pid, text in results.items():
            conn.execute(update(requalifications).where(requalifications.c.run_id == run_id,
                                                        requalifications.c.person_id == pid)
                         .values(push_result=text))
        counts = conn.execute(select(qualify_runs.c.counts).where(qualify_runs.c.run_id == run_id)).scalar() or {}
        pushed: dict[str, int] = {}
        for text in results.values():
            key = text.split(" ", 1)[0].rstrip(":")
            pushed[key] = pushed.get(key, 0) + 1
        conn.execute(update(qualify_runs).where(qualify_runs.c.run_id == run_id)
                     .values(counts={**counts, "push": pushed}))


def run_counts(engine: Engine, run_id: str) -> dict | None:
    """The run's re-qualification counts for summary.json (None when qualify did not run)."""
    with engine.connect() as conn:
        return conn.execute(select(qualify_runs.c.counts).where(qualify_runs.c.run_id == run_id)).scalar()


def pushed_count(counts: dict | None) -> int:
    """Re-qualified people the push created or updated in the CRM in this run (from `run_counts`)."""
    push = (counts or {}).get("push") or {}
    return int(push.get("created", 0)) + int(push.get("updated", 0))

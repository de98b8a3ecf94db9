"""The run ledger: every raw row of a run ends in exactly one outcome with a reason.

Stages call `record_outcomes` for the rows that leave the flow at that stage; `summarise` checks at the
end that the outcomes add up to the rows ingested, so a row can never silently disappear.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update

from leadpipe.core.redact import mask_secrets
from leadpipe.core.schema import OUTCOMES
from leadpipe.store.bulk_write import upsert_columns, write_many
from leadpipe.store.warehouse import (
    in_chunks,
    outcomes,
    quarantine,
    raw_rows,
    released_row_ids,
    runs,
    source_files,
)


class LedgerMismatch(RuntimeError):
    """Rows went missing or were counted twice: a bug, never to be papered over."""


@dataclass(frozen=True)
class Outcome:
    raw_row_id: int
    outcome: str
    reason: str
    person_id: str | None = None


@dataclass(frozen=True)
class QuarantinedRow:
    raw_row_id: int
    source: str
    source_file: str
    source_row: int
    check_name: str
    reason: str
    field: str | None = None


def now() -> datetime:
    return datetime.now(UTC)


class RunIdTaken(ValueError):
    """A new run was given the id of an existing one: going on would rewrite that run's outcomes."""


def start_run(engine: Engine, run_id: str, *, new: bool = False) -> None:
    """Register the run. A retried first task (Airflow retries with the same run id) finds it already there and
    goes on; with `new` (a run started by hand, `leadpipe run --run-id`) an existing run id is refused."""
    with engine.begin() as conn:
        exists = conn.execute(select(runs.c.run_id).where(runs.c.run_id == run_id)).first()
        if exists and new:
            raise RunIdTaken(f"run id {run_id!r} is already used by an earlier run; run ids are never reused "
                             "(leave out --run-id for a fresh one)")
        if not exists:
            conn.execute(insert(runs).values(run_id=run_id, started_at=now(), status="running"))


def record_outcomes(engine: Engine, run_id: str, items: Iterable[Outcome]) -> int:
    """Store terminal outcomes; re-recording a row (a retried task) replaces its earlier outcome."""
    rows = [
        {"run_id": run_id, "raw_row_id": o.raw_row_id, "outcome": o.outcome, "reason": o.reason,
         "person_id": o.person_id}
        for o in items
    ]
    _refuse_unknown({r["outcome"] for r in rows})
    if not rows:
        return 0
    with engine.begin() as conn:
        ids = [r["raw_row_id"] for r in rows]
        for chunk in in_chunks(ids):
            conn.execute(delete(outcomes).where(outcomes.c.run_id == run_id, outcomes.c.raw_row_id.in_(chunk)))
        write_many(conn, insert(outcomes), rows)
    return len(rows)


@dataclass
class OutcomeColumns:
    """One outcome for many rows, as columns: the dedupe stage's merged rows (hundreds of thousands at 1M
    leads), which as one Outcome object and one dict per row cost seconds before the database saw them."""

    outcome: str
    raw_row_ids: list[int]
    reasons: list[str]
    person_ids: list[str | None]


def write_outcome_columns(conn: Connection, run_id: str, cols: OutcomeColumns) -> int:
    """record_outcomes for OutcomeColumns, inside the caller's transaction (the dedupe stage stores its merged
    rows' outcomes in the transaction that stores their people: both or neither). Same effect: a row
    recorded again (a retried task) has its earlier outcome replaced."""
    _refuse_unknown({cols.outcome})
    n = len(cols.raw_row_ids)
    upsert_columns(conn, outcomes, {"run_id": [run_id] * n, "raw_row_id": cols.raw_row_ids,
                                    "outcome": [cols.outcome] * n, "reason": cols.reasons,
                                    "person_id": cols.person_ids}, ("run_id", "raw_row_id"))
    return n


def _refuse_unknown(names: set[str]) -> None:
    bad = names - set(OUTCOMES)
    if bad:
        raise ValueError(f"unknown outcome(s) {sorted(bad)}; allowed: {OUTCOMES}")


def record_quarantine(engine: Engine, run_id: str, items: list[QuarantinedRow]) -> int:
    """Quarantine rows with the check that caught them, and give each the 'quarantined' outcome."""
    if not items:
        return 0
    with engine.begin() as conn:
        ids = [q.raw_row_id for q in items]
        for chunk in in_chunks(ids):
            conn.execute(delete(quarantine).where(quarantine.c.run_id == run_id, quarantine.c.raw_row_id.in_(chunk)))
        write_many(
            conn, insert(quarantine),
            [{"run_id": run_id, "raw_row_id": q.raw_row_id, "source": q.source, "source_file": q.source_file,
              "source_row": q.source_row, "field": q.field, "check_name": q.check_name, "reason": q.reason}
             for q in items],
        )
    # the outcome's reason is the plain sentence alone: the check's name stays in the quarantine table
    return record_outcomes(engine, run_id, (Outcome(q.raw_row_id, "quarantined", q.reason) for q in items))


def outcome_counts(engine: Engine, run_id: str) -> dict[str, dict[str, int]]:
    """source -> outcome -> rows, plus 'raw_rows' per source, for this run's ingested rows.

    'released' counts the rows of stopped batches this run carried on after `leadpipe release`: rows stored
    by an earlier run that get their outcome in this one, so they count on both sides of the ledger.
    'already_ingested' counts the rows of this run's files that an earlier run had stored (a grown export):
    they are not raw rows of this run and have no outcome in it; their outcome is in the run that stored them.
    """
    by_source: dict[str, dict[str, int]] = {}

    def entry(source: str) -> dict[str, int]:
        return by_source.setdefault(source, {"raw_rows": 0, "released": 0, "already_ingested": 0,
                                             **{o: 0 for o in OUTCOMES}})

    released = released_row_ids(run_id)
    with engine.connect() as conn:
        for source, n in conn.execute(
            select(raw_rows.c.source, func.count()).where(raw_rows.c.run_id == run_id).group_by(raw_rows.c.source)
        ):
            entry(source)["raw_rows"] = n
        for source, n in conn.execute(
            select(raw_rows.c.source, func.count()).where(raw_rows.c.id.in_(released)).group_by(raw_rows.c.source)
        ):
            entry(source)["released"] = n
        for source, n in conn.execute(
            select(source_files.c.source, func.sum(source_files.c.rows_already_ingested))
            .where(source_files.c.run_id == run_id).group_by(source_files.c.source)
        ):
            if n:
                entry(source)["already_ingested"] = int(n)
        q = (
            select(raw_rows.c.source, outcomes.c.outcome, func.count())
            .join(outcomes, (outcomes.c.raw_row_id == raw_rows.c.id) & (outcomes.c.run_id == run_id))
            .where(or_(raw_rows.c.run_id == run_id, raw_rows.c.id.in_(released)))
            .group_by(raw_rows.c.source, outcomes.c.outcome)
        )
        for source, outcome, n in conn.execute(q):
            entry(source)[outcome] = n
    return by_source


def check_adds_up(by_source: dict[str, dict[str, int]]) -> None:
    problems = [
        f"{src}: {c['raw_rows'] + c.get('released', 0)} rows in, {sum(c[o] for o in OUTCOMES)} outcomes"
        for src, c in by_source.items()
        if sum(c[o] for o in OUTCOMES) != c["raw_rows"] + c.get("released", 0)
    ]
    if problems:
        raise LedgerMismatch("run ledger does not add up: " + "; ".join(problems))


def finish_run(engine: Engine, run_id: str, summary: dict, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(runs).where(runs.c.run_id == run_id).values(finished_at=now(), status=status,
                                                                summary=mask_secrets(summary))
        )


def write_json(path: Path, data: dict) -> Path:
    """Write a run file atomically; every URL and `password=` in it masked (run files are read by people)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(mask_secrets(data), indent=2, sort_keys=True, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


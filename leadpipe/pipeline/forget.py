"""`leadpipe forget EMAIL`: erase a person's personal data from the warehouse (GDPR Art. 17).

What happens, in one transaction:
- the person's golden record, memberships and local-CRM prospect row are deleted;
- the untouched source rows they came from keep their id and lineage (the run ledger must still add up)
  but their payload is replaced by an erasure marker;
- every other table is scanned, column by column, for the email, phone and full name; a hit is cleared
  (JSON -> erasure marker, text -> NULL or "[erased]", a hit in a key column deletes the row). Tables are
  read from the database itself, so tables added later are covered without changing this module;
- hashed tombstones (email, phone) go into `suppression_entries`, so the person is suppressed if a later
  purchased list brings them back (and `qualify` erases them again);
- the CRM records written for the person are reported (from the push ledger) for deletion in each CRM.
Run folders (Parquet, CSV exports under {home}/runs) are files, not tables: `scrub_run_files` cleans them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import JSON, Engine, MetaData, String, Text, cast, delete, func, insert, or_, select, update

from enrichment.suppress import tombstone_hash
from leadpipe.pipeline.tombstone_key import tombstone_key
from leadpipe.store.run_files import read_frame, write_frame
from leadpipe.store.warehouse import (
    erasures,
    in_chunks,
    membership,
    people,
    push_ledger,
    raw_rows,
    suppression_entries,
)

log = logging.getLogger("leadpipe")
ERASED = "[erased]"
_SKIP_TABLES = {"suppression_entries", "erasures", "alembic_version"}


@dataclass
class ErasureReport:
    people_erased: int = 0
    rows_scrubbed: dict[str, int] = field(default_factory=dict)  # table -> rows changed or deleted
    crm_records: list[dict] = field(default_factory=list)  # {"sink", "crm_id"}: delete these in the CRM
    tombstones_added: int = 0


def _needles(email: str, phones: set[str], names: set[str]) -> list[str]:
    """Lower-case strings whose presence marks a value as this person's, incl. their JSON-escaped forms."""
    out = {email, *phones, *names}
    out |= {json.dumps(v)[1:-1] for v in list(out)}  # JSON columns may store "M\u00fcller"
    return sorted(v.lower() for v in out if v and len(v) >= 5)


def forget(engine: Engine, email: str, *, reason: str = "erasure request") -> ErasureReport:
    email = email.strip().lower()
    report = ErasureReport()
    marker = {"erased": datetime.now(UTC).date().isoformat(), "reason": reason}
    with engine.begin() as conn:
        found = conn.execute(select(people.c.person_id, people.c.first_name, people.c.last_name, people.c.record)
                             .where(func.lower(people.c.email) == email)).all()
        pids = [r.person_id for r in found]
        phones = {str((r.record or {}).get("phone") or "") for r in found} - {""}
        names = {f"{r.first_name or ''} {r.last_name or ''}".strip() for r in found}
        names |= {str((r.record or {}).get("full_name") or "") for r in found}
        names -= {""}
        needles = _needles(email, phones, names)

        row_ids = set()
        if pids:
            row_ids |= {r[0] for r in conn.execute(select(membership.c.raw_row_id)
                                                   .where(membership.c.person_id.in_(pids)))}
            report.crm_records = [
                {"sink": r.sink, "crm_id": r.crm_id}
                for r in conn.execute(select(push_ledger.c.sink, push_ledger.c.crm_id)
                                      .where(push_ledger.c.person_id.in_(pids)).order_by(push_ledger.c.sink))
            ]
            conn.execute(delete(membership).where(membership.c.person_id.in_(pids)))
            report.people_erased = conn.execute(delete(people).where(people.c.person_id.in_(pids))).rowcount
            report.rows_scrubbed["people"] = report.people_erased
        text = func.lower(cast(raw_rows.c.payload, Text))
        row_ids |= {r[0] for r in conn.execute(
            select(raw_rows.c.id).where(or_(*[text.contains(n, autoescape=True) for n in needles]))
        )}
        if row_ids:
            ids = sorted(row_ids)
            for chunk in in_chunks(ids):
                conn.execute(update(raw_rows).where(raw_rows.c.id.in_(chunk)).values(payload=marker))
            report.rows_scrubbed["raw_rows"] = len(ids)
        for table, n in _scan_and_clear(conn, needles, pids, marker).items():
            report.rows_scrubbed[table] = report.rows_scrubbed.get(table, 0) + n

        keys = [("email", email)] + [("phone", p) for p in sorted(phones)]
        secret = tombstone_key()
        for kind, value in keys:
            h = tombstone_hash(kind, value, key=secret)
            exists = conn.execute(select(suppression_entries.c.id).where(
                suppression_entries.c.kind == kind, suppression_entries.c.value_hash == h)).first()
            if not exists:
                conn.execute(insert(suppression_entries).values(
                    kind=kind, value_hash=h, list_name="erasure", reason=f"erased on request ({reason})",
                    created_at=datetime.now(UTC)))
                report.tombstones_added += 1
        conn.execute(insert(erasures).values(
            email_hash=tombstone_hash("email", email, key=secret), people_erased=report.people_erased,
            rows_scrubbed=report.rows_scrubbed, crm_records=report.crm_records, erased_at=datetime.now(UTC)))
    log.info("forget: %d people erased, rows scrubbed %s, %d CRM records to delete",
             report.people_erased, report.rows_scrubbed, len(report.crm_records))
    return report


def _scan_and_clear(conn, needles: list[str], pids: list[str], marker: dict) -> dict[str, int]:
    """Clear every text/JSON value holding a needle, in every table the database has."""
    counts: dict[str, int] = {}
    if not needles:
        return counts
    meta = MetaData()
    meta.reflect(bind=conn)
    for table in meta.sorted_tables:
        if table.name in _SKIP_TABLES or table.name in ("people", "raw_rows"):
            continue
        pk = {c.name for c in table.primary_key.columns}
        if "person_id" in table.c and pids and table.name in ("prospects",):
            n = conn.execute(delete(table).where(table.c.person_id.in_(pids))).rowcount
            counts[table.name] = counts.get(table.name, 0) + n
        for col in table.columns:
            is_json = isinstance(col.type, JSON)
            if not (is_json or isinstance(col.type, String | Text)):
                continue
            text = func.lower(cast(col, Text)) if is_json else func.lower(col)
            hit = or_(*[text.contains(n, autoescape=True) for n in needles])
            if col.name in pk:
                n = conn.execute(delete(table).where(hit)).rowcount
            elif is_json:
                n = conn.execute(update(table).where(hit).values({col.name: marker})).rowcount
            else:
                n = conn.execute(update(table).where(hit).values({col.name: None if col.nullable else ERASED})).rowcount
            if n:
                counts[table.name] = counts.get(table.name, 0) + n
    return counts


def scrub_run_files(runs_dir: Path, email: str, person_ids: list[str] | None = None) -> int:
    """Drop the person's rows from run-folder Parquet and CSV files; returns how many files changed."""
    email = email.strip().lower()
    changed = 0
    for path in sorted(runs_dir.glob("**/*.parquet"), key=str) + sorted(runs_dir.glob("**/*.csv"), key=str):
        if path.suffix == ".parquet":
            df = read_frame(path)
        else:
            with path.open("r", encoding="utf-8") as fh:
                df = pd.read_csv(fh, dtype=str)
        if df.empty:
            continue
        hit = pd.Series(False, index=df.index)
        for col in df.columns:
            values = df[col].astype("string").str.lower()
            hit |= values.str.contains(email, regex=False).fillna(False)
            if person_ids:
                hit |= values.isin(person_ids).fillna(False)
        if hit.any():
            kept = df[~hit]
            if path.suffix == ".parquet":
                write_frame(kept, path)
            else:
                with path.open("w", encoding="utf-8", newline="") as fh:
                    kept.to_csv(fh, index=False)
            changed += 1
    return changed

"""The embedded default CRM: a `prospects` table in the warehouse plus a CRM-import CSV per run.

The push stage injects the engine, the table and the run folder (SinkContext), so this module imports
sqlalchemy only, never the store. A record without a field the table cannot do without is refused with
a reason instead of failing the whole insert. The CSV is opened by people in spreadsheets, so every cell goes
through `leadpipe.core.spreadsheet.neutralise_formula` (OWASP CSV injection: a formula, even after leading
blanks, gets a leading quote; a plain E.164 phone stays as it is).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table, delete, inspect, select

from connectors.sinks.base import (
    FEEDBACK_KINDS,
    FeedbackRecord,
    InsertMany,
    OnBatch,
    PlannedPush,
    PushResult,
    Sink,
    SinkCapabilities,
    SinkContext,
    SinkError,
    chunks,
    execute_many,
)
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.core.spreadsheet import neutralise_formula, neutralise_row

if TYPE_CHECKING:
    from connectors.sinks.settings import CommonSinkSettings

CSV_COLUMNS = PROSPECT_FIELDS  # every prospect field, in the prospects table and the CRM-import CSV
REQUIRED = ("person_id", "email", "score")  # NOT NULL in the `prospects` table
IN_CHUNK = 5_000  # ids per DELETE ... IN (...): SQLite caps bound parameters per statement

__all__ = ["CAPABILITIES", "CSV_COLUMNS", "LocalSink", "from_settings", "neutralise_formula"]

CAPABILITIES = SinkCapabilities(upsert_keys=("person_id",), named_lists=False, batch_size=IN_CHUNK,
                                lookup_existing=False, writable_fields=frozenset(CSV_COLUMNS),
                                required_fields=REQUIRED)


def _missing(record: dict) -> list[str]:
    return [f for f in REQUIRED if record.get(f) is None or record.get(f) == ""]


class LocalSink(Sink):
    name = "local"
    capabilities = CAPABILITIES

    def __init__(self, engine: Engine, table: Table, csv_path: Path, insert_many: InsertMany | None = None,
                 feedback_path: Path | None = None):
        self.engine = engine
        self.table = table
        self.csv_path = csv_path
        self.insert_many = insert_many or execute_many
        self.feedback_path = feedback_path

    def changes_since(self, watermark: datetime | None) -> Iterator[FeedbackRecord]:
        """CRM feedback (connectors.sinks.base.FeedbackSource) from `sink.local.feedback_file`: its rows
        changed after `watermark`. No file configured or none there yet: nothing. A bad row is an error
        naming the file, row and field, since a half-read unsubscribe file would let people through."""
        path = self.feedback_path
        if path is None or not path.exists():
            return iter(())
        return read_feedback_file(path, watermark)

    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        todo = [p for p in plan if p.action in ("create", "update")]
        refused = [PushResult(p.person_id, p.action, None, f"missing required field(s): {', '.join(_missing(p.record))}",
                              "refused") for p in todo if _missing(p.record)]
        bad = {r.person_id for r in refused}
        good = [p for p in todo if p.person_id not in bad]
        stamp = datetime.now(UTC)
        rows = [{**{c: p.record.get(c) for c in CSV_COLUMNS}, "run_id": run_id, "updated_at": stamp} for p in good]
        t = self.table
        with self.engine.begin() as conn:
            for chunk in chunks([p.person_id for p in good], IN_CHUNK):
                conn.execute(delete(t).where(t.c.person_id.in_(chunk)))
            if rows:
                self.insert_many(conn, t.insert(), rows)
        self._write_csv(good)
        results = [PushResult(p.person_id, p.action, p.person_id, status="confirmed") for p in good] + refused
        if on_batch and results:
            on_batch(results)
        return results

    def check(self) -> str:
        """The warehouse answers and its prospects table is readable, or will be created by the first run.
        Creates nothing (not even a missing SQLite file)."""
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
            return f"no warehouse at {url.database} yet; the first run creates it with the '{self.table.name}' table"
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table(self.table.name):
                    return f"warehouse reachable; the '{self.table.name}' table is created by the first run"
                conn.execute(select(self.table.c.person_id).limit(1)).all()
        except Exception as exc:  # noqa: BLE001 - any driver error means the warehouse cannot be used
            raise SinkError(f"cannot read the warehouse: {type(exc).__name__}: {exc}") from None
        return f"warehouse reachable, table '{self.table.name}' readable; CSV goes to {self.csv_path.name} per run"

    def _write_csv(self, todo: list[PlannedPush]) -> None:
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        with self.csv_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for p in todo:
                writer.writerow(neutralise_row(p.record.get(c) for c in CSV_COLUMNS))


FEEDBACK_COLUMNS = ("crm_id", "email", "phone", "kind", "value", "changed_at")


def read_feedback_file(path: Path, watermark: datetime | None) -> Iterator[FeedbackRecord]:
    """The rows of a local feedback CSV changed after `watermark`, oldest first."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in FEEDBACK_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SinkError(f"{path.name}: the CRM feedback file needs the column(s) {', '.join(missing)}")
        rows = []
        for n, row in enumerate(reader, 2):
            kind = (row["kind"] or "").strip()
            if kind not in FEEDBACK_KINDS:
                raise SinkError(f"{path.name} row {n}: kind {kind!r} is not one of {', '.join(FEEDBACK_KINDS)}")
            if not (row["crm_id"] or "").strip():
                raise SinkError(f"{path.name} row {n}: crm_id is empty")
            try:
                changed = datetime.fromisoformat((row["changed_at"] or "").strip())
            except ValueError:
                raise SinkError(f"{path.name} row {n}: changed_at {row['changed_at']!r} is not an ISO 8601 "
                                "date and time (2026-12-05T09:30:00Z)") from None
            changed = (changed if changed.tzinfo else changed.replace(tzinfo=UTC)).astimezone(UTC)
            if watermark is None or changed > watermark:
                rows.append(FeedbackRecord("local", row["crm_id"].strip(), (row["email"] or "").strip().lower() or None,
                                           (row["phone"] or "").strip() or None, kind,  # type: ignore[arg-type]
                                           (row["value"] or "").strip() or None, changed))
    return iter(sorted(rows, key=lambda r: r.changed_at))


def from_settings(settings: CommonSinkSettings, context: SinkContext) -> LocalSink:
    """Build the local sink from what the push stage injects (and `sink.local.feedback_file`, if set)."""
    if context.engine is None or context.table is None:
        raise ValueError("the local sink needs the warehouse engine and the prospects table from the push stage")
    own = settings.options("local")
    feedback = getattr(own, "feedback_file", None)
    return LocalSink(context.engine, context.table, context.folder / "crm_import.csv", context.insert_many,
                     context.resolve(feedback) if feedback else None)

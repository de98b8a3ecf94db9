"""The embedded default CRM: a `prospects` table in the warehouse plus a CRM-import CSV per run.

The CSV is opened by people in spreadsheets, so any cell that a spreadsheet would run as a formula
(starting with = + - @ tab or CR) is prefixed with a quote.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, delete, insert

from connectors.sinks.base import OnBatch, PlannedPush, PushResult
from leadpipe.store.bulk_write import write_many
from leadpipe.store.ledger import now
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.store.warehouse import in_chunks, prospects

CSV_COLUMNS = PROSPECT_FIELDS  # every prospect field, in the prospects table and the CRM-import CSV
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class LocalSink:
    name = "local"

    def __init__(self, engine: Engine, csv_path: Path):
        self.engine = engine
        self.csv_path = csv_path

    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        todo = [p for p in plan if p.action in ("create", "update")]
        rows = [{**{c: p.record.get(c) for c in CSV_COLUMNS}, "run_id": run_id, "updated_at": now()} for p in todo]
        with self.engine.begin() as conn:
            for chunk in in_chunks([p.person_id for p in todo]):
                conn.execute(delete(prospects).where(prospects.c.person_id.in_(chunk)))
            if rows:
                write_many(conn, insert(prospects), rows)
        self._write_csv(todo)
        results = [PushResult(p.person_id, p.action, p.person_id, status="confirmed") for p in todo]
        if on_batch and results:
            on_batch(results)
        return results

    def _write_csv(self, todo: list[PlannedPush]) -> None:
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        with self.csv_path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for p in todo:
                writer.writerow([neutralise_formula(p.record.get(c)) for c in CSV_COLUMNS])

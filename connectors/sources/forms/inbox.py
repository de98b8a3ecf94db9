"""The form inbox: submissions stored exactly once per (form, idempotency key), read later as a source.

The webhook writes here and answers 2xx only after the commit; the nightly run reads rows with an id
above the source's cursor, so every submission is ingested once, in arrival order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from connectors.sources.base import RawRecord, SourceState, SourceUnit, text


@dataclass(frozen=True)
class Stored:
    inbox_id: int
    duplicate: bool  # the same (form, key) was stored before: this post changed nothing


def store_submission(engine, form: str, key: str, body: bytes, payload: dict, signals: dict) -> Stored:  # noqa: ANN001
    """Insert once; a retry with the same key finds the earlier row instead of adding another.

    A submission by someone erased on request is stored blanked (field names kept, values dropped): it still
    counts once and reaches the ledger as `suppressed`, but their personal data never enters the warehouse.
    """
    from leadpipe.pipeline.erasure_guard import blank_if_erased
    from leadpipe.store.warehouse import form_inbox

    payload = blank_if_erased(engine, payload)
    row = {"form": form, "idempotency_key": key, "body_sha256": hashlib.sha256(body).hexdigest(),
           "payload": payload, "signals": signals, "received_at": datetime.now(UTC)}
    try:
        with engine.begin() as conn:
            new_id = conn.execute(insert(form_inbox).returning(form_inbox.c.id), [row]).scalar_one()
        return Stored(int(new_id), duplicate=False)
    except IntegrityError:
        with engine.connect() as conn:
            old = conn.execute(select(form_inbox.c.id).where(form_inbox.c.form == form,
                                                             form_inbox.c.idempotency_key == key)).scalar_one()
        return Stored(int(old), duplicate=True)


class FormInboxSource:
    """Reads inbox rows with an id above the saved cursor; `forms` limits it to some form ids."""

    def __init__(self, name: str, engine_url: str, forms: list[str] | None = None):
        self.name = name
        self.engine_url = engine_url
        self.forms = forms

    def _filter(self, stmt):  # noqa: ANN001, ANN202
        from leadpipe.store.warehouse import form_inbox

        return stmt.where(form_inbox.c.form.in_(self.forms)) if self.forms else stmt

    def discover(self, state: SourceState) -> list[SourceUnit]:
        from leadpipe.store.warehouse import engine_for, form_inbox

        lo = int(state.cursor.get("last_id", 0))
        with engine_for(self.engine_url).connect() as conn:
            hi, n = conn.execute(self._filter(select(func.max(form_inbox.c.id), func.count())
                                              .where(form_inbox.c.id > lo))).one()
        if not n:
            return []
        fp = hashlib.sha256(f"form_inbox|{self.forms}|{lo}|{hi}".encode()).hexdigest()
        return [SourceUnit(f"form_inbox (id {lo + 1}..{hi})", f"{lo}:{hi}", fp, 0, cursor_after={"last_id": hi})]

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        from leadpipe.store.warehouse import engine_for, form_inbox

        lo, hi = (int(x) for x in unit.locator.split(":"))
        stmt = self._filter(select(form_inbox).where(form_inbox.c.id > lo, form_inbox.c.id <= hi)
                            .order_by(form_inbox.c.id))
        with engine_for(self.engine_url).connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
            for number, r in enumerate(result, start=1):
                payload = {k: text(v) for k, v in (r.payload or {}).items()}
                payload.update({f"_signal_{k}": text(v) for k, v in (r.signals or {}).items()})
                payload.update({"_form": r.form, "_inbox_id": str(r.id), "_received_at": text(r.received_at)})
                payload.setdefault("submitted_at", text(r.received_at))
                yield RawRecord(number, payload)


def from_config(src, cfg) -> FormInboxSource:  # noqa: ANN001 - entry point factory
    return FormInboxSource(src.name, cfg.warehouse_url, forms=src.forms or None)

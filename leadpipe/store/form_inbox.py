"""The form inbox table: submissions stored exactly once per (form, idempotency key), read later in id order.

The webhook stores here and answers 2xx only after the commit; the nightly run reads rows with an id
above the forms source's cursor through `FormInbox`, so every submission is ingested once, in arrival order.
Whether a submission's sender was erased is decided by the caller before storing (see
leadpipe.pipeline.erasure_guard.blank_if_erased): this module stores what it is given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from leadpipe.store.warehouse import engine_for, form_inbox


@dataclass(frozen=True)
class Stored:
    inbox_id: int
    duplicate: bool  # the same (form, key) was stored before: this post changed nothing


def store_submission(engine: Engine, form: str, key: str, body: bytes, payload: dict, signals: dict) -> Stored:
    """Insert once; a retry with the same key finds the earlier row instead of adding another."""
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


@dataclass(frozen=True)
class InboxPost:
    id: int
    form: str
    payload: dict[str, Any]
    signals: dict[str, Any]
    received_at: datetime


class FormInbox:
    """Reads the inbox for the forms source; the engine is opened on first use, not when the source is built."""

    def __init__(self, warehouse_url: str):
        self.warehouse_url = warehouse_url

    def _filter(self, stmt, forms: list[str] | None):  # noqa: ANN001, ANN202 - a sqlalchemy Select
        return stmt.where(form_inbox.c.form.in_(forms)) if forms else stmt

    def window(self, forms: list[str] | None, after_id: int) -> tuple[int | None, int]:
        """(highest id, how many) of the posts above `after_id`, of `forms` (None: all forms)."""
        with engine_for(self.warehouse_url).connect() as conn:
            hi, n = conn.execute(self._filter(select(func.max(form_inbox.c.id), func.count())
                                              .where(form_inbox.c.id > after_id), forms)).one()
        return (None if hi is None else int(hi)), int(n)

    def posts(self, forms: list[str] | None, after_id: int, up_to_id: int) -> Iterator[InboxPost]:
        """The posts with after_id < id <= up_to_id, in id order, streamed."""
        stmt = self._filter(select(form_inbox).where(form_inbox.c.id > after_id, form_inbox.c.id <= up_to_id)
                            .order_by(form_inbox.c.id), forms)
        with engine_for(self.warehouse_url).connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
            for r in result:
                yield InboxPost(int(r.id), r.form, dict(r.payload or {}), dict(r.signals or {}), r.received_at)

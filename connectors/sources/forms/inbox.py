"""The forms source: web-form submissions from the warehouse inbox, read in id order above a cursor.

The webhook (leadpipe.airflow_app.forms_webhook) stores submissions in the inbox; this connector never opens
the warehouse itself: the pipeline hands it a `FormInbox` reader in the SourceContext
(leadpipe.store.form_inbox.FormInbox), so the source stays a pure translation of posts into raw records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from pydantic import Field

from connectors.sources.base import RawRecord, SourceContext, SourceState, SourceUnit, text
from leadpipe.core.settings import Strict


class FormsSettings(Strict):
    """The YAML keys of a `type: forms` source."""

    forms: list[str] = Field(default_factory=list, description="Form ids to read from the inbox; empty = all.")


class Post(Protocol):
    id: int
    form: str
    payload: dict[str, Any]
    signals: dict[str, Any]
    received_at: datetime


class FormInbox(Protocol):
    """Read access to the stored submissions (leadpipe.store.form_inbox.FormInbox in the pipeline)."""

    def window(self, forms: list[str] | None, after_id: int) -> tuple[int | None, int]:
        """(highest id, how many) of the posts above `after_id`."""
        ...

    def posts(self, forms: list[str] | None, after_id: int, up_to_id: int) -> Iterator[Post]:
        """Posts with after_id < id <= up_to_id, in id order."""
        ...


class FormInboxSource:
    """Reads inbox rows with an id above the saved cursor; `forms` limits it to some form ids."""

    Settings = FormsSettings

    def __init__(self, name: str, inbox: FormInbox, forms: list[str] | None = None):
        self.name = name
        self.inbox = inbox
        self.forms = forms

    @classmethod
    def from_settings(cls, name: str, settings: FormsSettings, context: SourceContext) -> FormInboxSource:
        if context.form_inbox is None:
            raise ValueError(f"source {name}: a forms source needs the form inbox; the pipeline provides it")
        return cls(name, context.form_inbox, forms=settings.forms or None)

    def discover(self, state: SourceState) -> list[SourceUnit]:
        lo = int(state.cursor.get("last_id", 0))
        hi, n = self.inbox.window(self.forms, lo)
        if not n:
            return []
        fp = hashlib.sha256(f"form_inbox|{self.forms}|{lo}|{hi}".encode()).hexdigest()
        return [SourceUnit(f"form_inbox (id {lo + 1}..{hi})", f"{lo}:{hi}", fp, 0, cursor_after={"last_id": hi})]

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        lo, hi = (int(x) for x in unit.locator.split(":"))
        for number, post in enumerate(self.inbox.posts(self.forms, lo, hi), start=1):
            payload = {k: text(v) for k, v in (post.payload or {}).items()}
            payload.update({f"_signal_{k}": text(v) for k, v in (post.signals or {}).items()})
            payload.update({"_form": post.form, "_inbox_id": str(post.id), "_received_at": text(post.received_at)})
            payload.setdefault("submitted_at", text(post.received_at))
            yield RawRecord(number, payload)

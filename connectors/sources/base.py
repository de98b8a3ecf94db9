"""The Source interface: what a connector must do to feed leads into the pipeline.

A source is handed its saved state (fingerprints of units already stored plus a connector-specific cursor
such as a SQL watermark), finds the units it has not delivered yet (a file version, a table slice, a range
of form submissions), and streams each unit's rows with lineage. The pipeline stores a unit's rows in
batches and commits them together with the unit's new state in one transaction: the new state becomes
real only once the rows are safely stored, so a crash mid-unit means the unit is read again, never
half-kept and never skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationInfo


class SourceError(RuntimeError):
    """The whole unit (file, table) is unusable; the message names it and says why."""


class SourceUnavailable(SourceError):
    """The source as a whole cannot be reached (database down, bucket missing): nothing of it is read."""


@dataclass(frozen=True)
class SourceState:
    """What a source delivered before: unit fingerprints and its cursor (JSON-able values only)."""

    seen: frozenset[str] = frozenset()
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceUnit:
    """One deliverable piece of a source: a file version, a table slice, a range of form submissions."""

    name: str  # shown in lineage: file name, table + window
    locator: str  # where to read it: a path, URI or table
    fingerprint: str  # identity (<= 64 chars): a changed file or a new window is a new unit
    size_bytes: int = 0
    cursor_after: dict[str, Any] | None = None  # the cursor to save once this unit is stored


@dataclass(frozen=True)
class RawRecord:
    source_row: int  # 1-based record number within the unit (header excluded)
    payload: dict[str, str]  # the row exactly as the source gave it, every column kept, values as text
    error: str | None = None  # why the row could not be read cleanly; it goes to quarantine


@dataclass(frozen=True)
class SourceContext:
    """What the pipeline hands a connector besides its settings: access it may not open by itself.

    `form_inbox` reads the warehouse's web-form inbox (see connectors.sources.forms.inbox.FormInbox); a
    connector that needs none of it ignores the context.
    """

    form_inbox: Any = None


@runtime_checkable
class Source(Protocol):
    name: str

    def discover(self, state: SourceState) -> list[SourceUnit]:
        """Units not delivered before, oldest first. Raise SourceUnavailable when it cannot be reached (or,
        for a file source, when its path does not exist). A source may also set a `warnings` list of what
        discover noticed without failing (a glob matching nothing yet); the run summary shows them."""
        ...

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        """Stream a unit's records; raise SourceError when the unit as a whole is unusable."""
        ...


def source_prefix(info: ValidationInfo) -> str:
    """"source NAME: " for a settings error, when the config validates the settings of a named source."""
    name = (info.context or {}).get("source") if info is not None else None
    return f"source {name}: " if name else ""


def batched(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    """Cut a record stream into lists of at most `size`, so memory stays bounded by the batch."""
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


def text(value: Any) -> str:
    """A payload value as text: the raw payload is strings only, None becomes empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)

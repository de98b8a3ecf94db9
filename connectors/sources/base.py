"""The Source interface: what a connector must do to feed leads into the pipeline.

A source finds the units it has not delivered yet (files by content fingerprint, later tables by
watermark), then streams each unit's rows with lineage. The pipeline stores a unit's rows and marks the
unit as seen in one transaction, so a crash mid-unit means the unit is read again, never half-kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class SourceError(RuntimeError):
    """The whole unit (file, table) is unusable; the message names it and says why."""


@dataclass(frozen=True)
class SourceUnit:
    """One deliverable piece of a source: a file version, a table slice."""

    name: str  # shown in lineage: file name or table
    locator: str  # where to read it: a path or URI
    fingerprint: str  # content identity: a changed file is a new unit
    size_bytes: int


@dataclass(frozen=True)
class RawRecord:
    source_row: int  # 1-based record number within the unit (header excluded)
    payload: dict[str, str]  # the row exactly as the source gave it, every column kept
    error: str | None = None  # why the row could not be read cleanly; it goes to quarantine


class Source(Protocol):
    name: str

    def discover(self, seen_fingerprints: set[str]) -> list[SourceUnit]:
        """Units not delivered before, oldest first."""
        ...

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        """Stream a unit's records; raise SourceError when the unit as a whole is unusable."""
        ...

"""The Sink interface: plan, then write.

The plan compares each prospect's content hash with the push ledger, so an unchanged prospect is never
sent twice and a re-run after a crash only sends what the CRM has not confirmed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal, Protocol

Action = Literal["create", "update", "skip"]


@dataclass(frozen=True)
class PlannedPush:
    person_id: str
    action: Action
    content_hash: str
    record: dict


@dataclass(frozen=True)
class PushResult:
    person_id: str
    action: Action
    crm_id: str | None  # None when the CRM refused the record
    error: str | None = None


def content_hash(record: dict) -> str:
    """Stable hash of what we would send: key order and whitespace do not matter."""
    blob = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def plan_pushes(records: list[dict], already_pushed: dict[str, str]) -> list[PlannedPush]:
    """already_pushed: person_id -> content hash confirmed by the sink earlier."""
    plan = []
    for record in records:
        h = content_hash(record)
        previous = already_pushed.get(record["person_id"])
        action: Action = "create" if previous is None else ("skip" if previous == h else "update")
        plan.append(PlannedPush(record["person_id"], action, h, record))
    return plan


class Sink(Protocol):
    name: str

    def write(self, plan: list[PlannedPush], run_id: str) -> list[PushResult]:
        """Send creates and updates; return one result per planned create/update."""
        ...

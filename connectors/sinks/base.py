"""The Sink interface shared by every CRM: plan, then write.

The plan compares each prospect's content hash with the push ledger, so an unchanged prospect is never
sent twice and a re-run after a crash only sends what the CRM has not confirmed. Where the CRM can be
asked cheaply, the plan also looks at what the CRM already holds (match by email / external id), which
turns a would-be "create" into an "update" (or a "review" when the match is ambiguous) and feeds the
per-field write policy (overwrite, fill blank only, never).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from leadpipe.store.warehouse import in_chunks

Action = Literal["create", "update", "skip", "review"]
Status = Literal["confirmed", "refused", "deferred"]
WritePolicy = Literal["overwrite", "fill_blank", "never"]


@dataclass(frozen=True)
class PlannedPush:
    person_id: str
    action: Action
    content_hash: str
    record: dict
    reason: str = ""
    crm_id: str | None = None  # known CRM id (ledger or CRM match), if any
    existing: dict | None = None  # the CRM's current values for a matched record


@dataclass(frozen=True)
class PushResult:
    person_id: str
    action: Action
    crm_id: str | None  # None when the CRM refused the record or it was not attempted
    error: str | None = None
    status: Status | None = None  # derived from crm_id/error when not given
    created: bool | None = None  # the CRM's own created/updated flag

    @property
    def outcome(self) -> Status:
        if self.status is not None:
            return self.status
        return "confirmed" if self.crm_id else "refused"


class SinkError(RuntimeError):
    """A push problem that stops the whole push (nothing after it is attempted)."""


class SinkAuthError(SinkError):
    """The CRM refused our credentials: fail fast, mark nothing pushed."""


class SinkQuotaExhausted(SinkError):
    """The CRM's daily budget is spent: stop cleanly; the rest goes in the next run."""


# Called by a sink after each batch the CRM answered, so the ledger can be written batch by batch and a
# crash loses at most the batch in flight (which the CRM upserts idempotently on the re-run).
OnBatch = Callable[[list[PushResult]], None]


def content_hash(record: dict) -> str:
    """Stable hash of what we would send: key order and whitespace do not matter."""
    blob = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def plan_pushes(
    records: list[dict],
    already_pushed: dict[str, str],
    existing: dict[str, list[dict]] | None = None,
    key: str = "email",
) -> list[PlannedPush]:
    """Sort prospects into create / update / skip / review.

    already_pushed: person_id -> content hash the CRM confirmed earlier. existing: lower-cased key value ->
    records the CRM holds with that key (each a dict with at least 'id'; may carry 'person_id', our
    stamp on records we created), or None when the CRM was not asked.
    """
    plan = []
    for record in records:
        h = content_hash(record)
        pid = record["person_id"]
        previous = already_pushed.get(pid)
        if previous == h:
            plan.append(PlannedPush(pid, "skip", h, record, "unchanged since the last confirmed push"))
            continue
        keyval = record.get(key)
        if not keyval:
            plan.append(PlannedPush(pid, "review", h, record, f"no {key} to match on in the CRM"))
            continue
        matches = (existing or {}).get(str(keyval).lower(), [])
        if len(matches) > 1:
            ids = ", ".join(str(m["id"]) for m in matches)
            plan.append(PlannedPush(pid, "review", h, record, f"{len(matches)} CRM records share this {key}: {ids}"))
        elif matches and matches[0].get("person_id") not in (None, "", pid):
            m = matches[0]
            plan.append(PlannedPush(pid, "review", h, record,
                                    f"CRM record {m['id']} with this {key} belongs to another person "
                                    f"({m['person_id']})", m["id"], m))
        elif matches:
            plan.append(PlannedPush(pid, "update", h, record, "matched in the CRM by " + key,
                                    matches[0]["id"], matches[0]))
        elif previous is not None:
            plan.append(PlannedPush(pid, "update", h, record, "changed since the last confirmed push"))
        else:
            plan.append(PlannedPush(pid, "create", h, record, "new prospect"))
    return plan


@dataclass(frozen=True)
class FieldMapping:
    """Our field -> CRM property, with a write policy per field (default: overwrite)."""

    properties: dict[str, str]
    policies: dict[str, WritePolicy] = field(default_factory=dict)

    def payload(self, record: dict, existing: dict | None = None) -> dict[str, str]:
        """The CRM properties to send for one record, honouring the write policy against existing values."""
        out: dict[str, str] = {}
        for ours, theirs in self.properties.items():
            value = record.get(ours)
            if value is None or value == "":
                continue
            policy = self.policies.get(ours, "overwrite")
            current = (existing or {}).get(theirs)
            if existing is not None and policy == "never":
                continue
            if existing is not None and policy == "fill_blank" and current not in (None, ""):
                continue
            out[theirs] = str(value)
        return out


def chunks(items: list, size: int) -> list[list]:
    """API batches as a list (sinks take its length and iterate it more than once)."""
    return list(in_chunks(items, size))


class Sink(Protocol):
    name: str

    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        """Send creates and updates; return one result per planned create/update (confirmed, refused or
        deferred). Raises SinkAuthError before anything is confirmed when credentials are refused."""
        ...

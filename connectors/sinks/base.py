"""The Sink interface shared by every CRM: declared capabilities, plan, then write.

The plan compares each prospect's content hash with the push ledger, so an unchanged prospect is never
sent twice and a re-run after a crash only sends what the CRM has not confirmed. Where the CRM can be
asked cheaply, the plan also looks at what the CRM already holds (match by email / external id), which
turns a would-be "create" into an "update" (or a "review" when the match is ambiguous) and feeds the
per-field write policy (overwrite, fill blank only, never).

A sink is a plug-in: its package registers a `SinkType` under the `leadpipe.sinks` entry point (see
`connectors.sinks.registry`). Sinks only talk to their CRM and RETURN results; the push stage
(`leadpipe.pipeline.push`) owns the ledger, the plan table and the quarantine.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.sql.dml import Insert

from connectors.sinks.ratelimit import LimiterFactory, local_limiter

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


# What a CRM tells us back about a record after the push (connectors.sinks.base.FeedbackSource):
# - email_opt_out: unsubscribed from all email (HubSpot hs_email_optout, Salesforce HasOptedOutOfEmail); "true"/"false"
# - email_hard_bounce: the address hard-bounced; value = the CRM's reason ("" when it gives none)
# - do_not_call: the CRM's do-not-call flag (Salesforce DoNotCall, a configured HubSpot property); "true"/"false"
# - lead_status: HubSpot hs_lead_status / Salesforce Lead Status, as the CRM spells it
# - lifecycle: HubSpot lifecyclestage ("customer", ...); Salesforce: "converted" once IsConverted
# - converted: "true" once the CRM turned the lead into a customer record (Salesforce IsConverted)
# - owner: the CRM's owner id (HubSpot hubspot_owner_id, Salesforce OwnerId)
FeedbackKind = Literal["email_opt_out", "email_hard_bounce", "do_not_call", "lead_status", "lifecycle", "converted",
                       "owner"]
FEEDBACK_KINDS: tuple[str, ...] = ("email_opt_out", "email_hard_bounce", "do_not_call", "lead_status", "lifecycle",
                                   "converted", "owner")


@dataclass(frozen=True)
class FeedbackRecord:
    """One fact the CRM holds about one of its records, as of `changed_at` (the CRM's modification time, UTC).

    A changed CRM record yields one FeedbackRecord per kind it carries (a snapshot: a flag that was switched
    off comes back as "false"), so the stage can store them append-only, idempotent on
    (crm, crm_id, kind, changed_at), and tell when a flag was first seen set.
    """

    crm: str  # the sink type: hubspot, salesforce, local
    crm_id: str  # the CRM's own record id (HubSpot contact id, Salesforce Lead/Contact id)
    email: str | None
    phone: str | None
    kind: FeedbackKind
    value: str | None
    changed_at: datetime  # timezone-aware UTC


@runtime_checkable
class FeedbackSource(Protocol):
    """Optional capability of a sink: read back what changed in the CRM since a watermark.

    Pure of the warehouse: the caller (leadpipe.pipeline.crm_feedback) owns the watermark and the storage.
    `changes_since(None)` reads everything the CRM holds; otherwise only records the CRM modified after
    `watermark` (its own modification stamp: HubSpot lastmodifieddate, Salesforce SystemModstamp).
    Raises SinkError (or a subclass) when the CRM cannot be read.
    """

    def changes_since(self, watermark: datetime | None) -> Iterator[FeedbackRecord]: ...


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
            # a yes/no goes as "true"/"false", what HubSpot and Salesforce read as a checkbox value
            out[theirs] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return out


def chunks(items: Iterable, size: int) -> list[list]:
    """API batches as a list (sinks take its length and iterate it more than once)."""
    it = iter(items)
    return [list(batch) for batch in iter(lambda: tuple(itertools.islice(it, size)), ())]


@dataclass(frozen=True)
class SinkCapabilities:
    """What a sink declares it can do; the push stage reads these instead of probing the object."""

    upsert_keys: tuple[str, ...]  # our fields the CRM matches records on, so a re-send updates, never duplicates
    named_lists: bool = False  # can keep a named list (HubSpot static list, Salesforce campaign) in sync
    list_name_max: int | None = None  # the longest list name the CRM takes (None: no documented limit)
    batch_size: int = 100  # records per write call
    lookup_existing: bool = False  # can be asked what it already holds (turns creates into updates/reviews)
    writable_fields: frozenset[str] = frozenset()  # our prospect fields it writes
    required_fields: tuple[str, ...] = ()  # fields a record cannot be written without (checked by the gate)

    def describe(self) -> str:
        """One line for `leadpipe sinks list`."""
        return (f"upsert by {', '.join(self.upsert_keys)}; batches of {self.batch_size}; "
                f"named lists: {self._lists()}; "
                f"looks up existing records: {'yes' if self.lookup_existing else 'no'}; "
                f"writes {len(self.writable_fields)} fields; requires {', '.join(self.required_fields) or 'nothing'}")

    def _lists(self) -> str:
        if not self.named_lists:
            return "no"
        return f"yes (names up to {self.list_name_max} characters)" if self.list_name_max else "yes"


InsertMany = Callable[[Connection, Insert, list[dict]], None]


def execute_many(conn: Connection, stmt: Insert, rows: list[dict]) -> None:
    conn.execute(stmt, rows)


@dataclass(frozen=True)
class SinkContext:
    """What the push stage hands a sink besides its settings: where this run's files go and, for a sink that
    writes into the warehouse (local), the engine and table to write. Sinks never import the store."""

    folder: Path  # the run folder (the local sink writes crm_import.csv here)
    engine: Engine | None = None
    table: Table | None = None  # the `prospects` table
    insert_many: InsertMany = execute_many  # the store's fast many-row INSERT, when the stage has one
    # the CRM request budget, shared by every process calling the same CRM account when the stage hands in
    # the store's (Redis or warehouse); a CRM sink takes its limiter from here, never builds a shared one
    limiter: LimiterFactory = local_limiter
    # a config path (with {home}) -> an absolute path: how a sink setting naming a file is read
    resolve: Callable[[str], Path] = Path


@dataclass(frozen=True)
class CheckItem:
    """One thing `leadpipe sinks check` looked at: what, whether it is fine, and what was found or what to do."""

    what: str  # e.g. "token", "scope crm.lists.write", "contact property lp_score"
    ok: bool
    detail: str  # ok: what was found; not ok: what a CRM admin should do, in their words


class Sink:
    """Base class of every sink: a name, declared capabilities, and `write`.

    Override `lookup` when `capabilities.lookup_existing`, `sync_list` when `capabilities.named_lists`,
    and `check` to test credentials without writing anything.
    """

    name: str = ""
    capabilities: SinkCapabilities

    def write(self, plan: list[PlannedPush], run_id: str, on_batch: OnBatch | None = None) -> list[PushResult]:
        """Send creates and updates; return one result per planned create/update (confirmed, refused or
        deferred). Raises SinkAuthError before anything is confirmed when credentials are refused."""
        raise NotImplementedError

    def lookup(self, emails: list[str]) -> dict[str, list[dict]]:
        """email (lower-case) -> the CRM's records with that email (each with 'id', maybe 'person_id')."""
        raise NotImplementedError(f"the {self.name} sink cannot look up existing records")

    def sync_list(self, list_name: str, crm_ids: list[str], list_id: str | None = None) -> tuple[str, int, int]:
        """Make the CRM's named list hold exactly these records -> (list id, added, removed)."""
        raise NotImplementedError(f"named lists need a CRM sink that declares them, not {self.name}")

    def check(self) -> str:
        """Check credentials and access without writing; return what was checked, raise SinkError if not ok."""
        return "nothing to check"

    def check_setup(self) -> list[CheckItem]:
        """Everything a push needs from the CRM (credentials, permissions, custom fields), read-only.

        A sink with more to check overrides this; the default runs `check`.
        """
        try:
            return [CheckItem("access", True, self.check())]
        except SinkError as exc:
            return [CheckItem("access", False, str(exc))]


@dataclass(frozen=True)
class SinkType:
    """What a sink package registers under the `leadpipe.sinks` entry point.

    Light to import (the config loader and the DAG parser read it): the settings model, the declared
    capabilities and default field mapping, and `from_settings`, which builds the sink (and may import
    its CRM client only then).
    """

    name: str
    capabilities: SinkCapabilities
    from_settings: Callable[[Any, SinkContext], Sink]  # (the `sink:` section, context) -> Sink
    settings_model: type[BaseModel] | None = None  # its own section, `sink.<name>:`
    field_map: Mapping[str, str] = field(default_factory=dict)  # default: our field -> CRM property
    label: str = ""  # how the rebuild form names this CRM; the type name when empty

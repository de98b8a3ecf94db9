"""The warehouse: the system of record across runs (SQLite by default, PostgreSQL by URL).

Everything a later run, an audit or `leadpipe explain` needs lives here: untouched source rows with
lineage, golden records, which row belongs to which person, each row's outcome, quarantine, and what
was pushed where. The schema is owned by Alembic migrations (leadpipe/store/migrations); these table
objects must match them, which a test checks.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)

from leadpipe.core.retry import GIVE_UP, RetryPolicy, Verdict

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a real 64-bit id.
RowId = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(250), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("summary", JSON),
)

source_files = Table(
    "source_files",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "fingerprint", name="uq_source_files_source_fingerprint"),
    # 0002: rows of this file version skipped because the warehouse already held them (a grown export)
    Column("rows_already_ingested", Integer, nullable=False, server_default="0"),
)

raw_rows = Table(
    "raw_rows",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("run_id", String(250), nullable=False, index=True),
    Column("source", String(64), nullable=False),
    Column("source_file", Text, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    # 0002: SHA-256 of the payload (leadpipe.store.row_hashes), so a grown file is ingested for its new rows only
    Column("row_hash", String(64)),
    Index("ix_raw_rows_source_hash", "source", "row_hash"),  # source_file is TEXT: MariaDB cannot index it whole
)

people = Table(
    "people",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("email", String(320), index=True),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("company", String(300)),
    Column("company_key", String(300)),
    Column("domain", String(255)),
    Column("record", JSON, nullable=False),
    Column("provenance", JSON, nullable=False),
    Column("segments", JSON),
    Column("score", Integer),
    Column("tier", String(10)),
    Column("score_breakdown", JSON),
    Column("created_run_id", String(250), nullable=False),
    Column("updated_run_id", String(250), nullable=False),
    # 0003: persona, owner and the compliance verdict (lawful basis, consent evidence, DNC check)
    Column("persona", String(64)),
    Column("department", String(32)),
    Column("owner", String(320)),
    Column("compliance", JSON),
    # 0009: the facts the last qualification used, so a config change can re-qualify without new input
    Column("lead_source", String(64)),
    Column("from_form", Boolean),
    Column("primary_raw_row_id", BigInteger),
    Column("prospect", Boolean),
    Column("qualified_run_id", String(250)),
    Column("config_fingerprint", String(64)),
    # 0008_channel_readiness: email / phone / LinkedIn readiness and the preferred channel, with reasons
    Column("channels", JSON),
)

membership = Table(
    "membership",
    metadata,
    Column("raw_row_id", RowId, ForeignKey("raw_rows.id"), primary_key=True),
    Column("person_id", String(36), ForeignKey("people.person_id"), nullable=False, index=True),
    Column("run_id", String(250), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("match_score", Float),
    # 0005: comparator levels, scores and weight of the link that merged this row (for `leadpipe explain`)
    Column("evidence", JSON),
)
# 0005: incremental dedupe loads only golden records sharing a blocking key with the new rows
Index("ix_people_last_name", people.c.last_name)
Index("ix_people_first_name", people.c.first_name)
Index("ix_people_domain", people.c.domain)
Index("ix_people_company_key", people.c.company_key)

outcomes = Table(
    "outcomes",
    metadata,
    Column("run_id", String(250), primary_key=True),
    Column("raw_row_id", RowId, ForeignKey("raw_rows.id"), primary_key=True),
    Column("outcome", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("person_id", String(36)),
    Index("ix_outcomes_run_outcome", "run_id", "outcome"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("run_id", String(250), nullable=False, index=True),
    Column("raw_row_id", RowId, ForeignKey("raw_rows.id"), nullable=False),
    Column("source", String(64), nullable=False),
    Column("source_file", Text, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("field", String(64)),
    Column("check_name", String(200), nullable=False),
    Column("reason", Text, nullable=False),
)

push_ledger = Table(
    "push_ledger",
    metadata,
    Column("sink", String(32), primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("crm_id", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("pushed_at", DateTime(timezone=True), nullable=False),
)

prospects = Table(
    "prospects",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("company", String(300)),
    Column("job_title", String(300)),
    Column("phone", String(32)),
    Column("country", String(2)),
    Column("domain", String(255)),
    Column("market", String(64)),
    Column("seniority", String(32)),
    Column("score", Integer, nullable=False),
    Column("tier", String(10)),
    Column("lead_source", String(64)),
    Column("run_id", String(250), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # 0009: what every sink receives besides (see leadpipe.core.schema.PROSPECT_FIELDS)
    Column("annual_revenue", Float),
    Column("department", String(32)),
    Column("persona", String(64)),
    Column("owner", String(320)),
    Column("lawful_basis", String(32)),
    Column("consent_evidence", Text),
    Column("lia_ref", String(64)),
    Column("dnc_status", String(16)),
    Column("dnc_checked_at", String(10)),
    # 0005_prospect_address: the postal address
    Column("street", String(300)),
    Column("address_line2", String(300)),
    Column("city", String(200)),
    Column("state", String(100)),
    Column("postcode", String(32)),
    # 0008_channel_readiness: the channel fields every sink receives (leadpipe.core.schema.CHANNEL_FIELDS)
    Column("email_sendable", Boolean),
    Column("email_reason", Text),
    Column("phone_callable", Boolean),
    Column("phone_reason", Text),
    Column("phone_line_type", String(24)),
    Column("phone_timezone", String(64)),
    Column("linkedin_url", String(300)),
    Column("preferred_channel", String(16)),
    Column("preferred_channel_reason", Text),
)

# 0008_channel_readiness: who was put on which owner's daily call list, when (the cool-down reads it).
call_list_entries = Table(
    "call_list_entries",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("list_date", Date, nullable=False),
    Column("owner", String(320), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("position", Integer, nullable=False),
    Column("score", Integer),
    Column("in_window", Boolean),
    Column("run_id", String(250), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("list_date", "person_id", name="uq_call_list_entries_date_person"),
    Index("ix_call_list_entries_person_date", "person_id", "list_date"),
)

# 0009: the qualification config fingerprint each run used; a change re-qualifies every person.
qualify_runs = Table(
    "qualify_runs",
    metadata,
    Column("run_id", String(250), primary_key=True),
    Column("config_fingerprint", String(64), nullable=False),
    Column("previous_fingerprint", String(64)),
    Column("requalified_people", Integer, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# 0009: people whose decision changed because the config did, without new input (run-level, not an outcome).
requalifications = Table(
    "requalifications",
    metadata,
    Column("run_id", String(250), primary_key=True),
    Column("person_id", String(36), primary_key=True),
    Column("change", String(32), nullable=False),
    Column("old_score", Integer),
    Column("old_tier", String(10)),
    Column("new_score", Integer),
    Column("new_tier", String(10)),
    Column("reason", Text),
    Column("push_result", Text),
)

validation_results = Table(
    "validation_results",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("run_id", String(250), nullable=False, index=True),
    Column("suite", String(120), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("statistics", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # 0007: which source (null for run-wide suites) and the messages, so "why was it stopped?" is a query
    Column("source", String(64), index=True),
    Column("failures", JSON),
    Column("warnings", JSON),
)

# 0003: a source batch stopped by a critical check and released under later thresholds (`leadpipe release`);
# the next run of the source carries its rows on (carried_run_id).
batch_releases = Table(
    "batch_releases",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("run_id", String(250), primary_key=True),
    Column("rows", Integer, nullable=False),
    Column("checks", JSON, nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=False),
    Column("carried_run_id", String(250), index=True),
)

STOPPED = "batch stopped"  # the quarantine check name of every row of a batch a critical check stopped


def released_row_ids(carried_run_id: str, source: str | None = None) -> Select:
    """The raw row ids of the released batches a run carries on (all of its sources, or one)."""
    query = (select(quarantine.c.raw_row_id)
             .join(batch_releases, (batch_releases.c.run_id == quarantine.c.run_id)
                   & (batch_releases.c.source == quarantine.c.source))
             .where(batch_releases.c.carried_run_id == carried_run_id, quarantine.c.check_name == STOPPED))
    return query.where(quarantine.c.source == source) if source is not None else query


# Each source's cursor (SQL watermark, last form-inbox id), stored with the rows it covers.
source_state = Table(
    "source_state",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("cursor", JSON, nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Web-form submissions, exactly once per (form, idempotency key); the nightly run reads them as a source.
form_inbox = Table(
    "form_inbox",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("form", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("signals", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("form", "idempotency_key", name="uq_form_inbox_form_key"),
)

# 0004: every push plan (dry run or real), so "why was this person not sent?" is a query.
push_plans = Table(
    "push_plans",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("run_id", String(250), nullable=False, index=True),
    Column("sink", String(32), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("action", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("crm_id", String(64)),
    Column("content_hash", String(64), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("planned_at", DateTime(timezone=True), nullable=False),
)

# 0004: named lists kept in a CRM (HubSpot static list / Salesforce Campaign).
crm_lists = Table(
    "crm_lists",
    metadata,
    Column("sink", String(32), primary_key=True),
    Column("list_name", String(255), primary_key=True),
    Column("crm_list_id", String(64), nullable=False),
    Column("members", Integer, nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

# 0006: what each company's website says (web enrichment), one row per domain, refreshed after freshness_days.
companies = Table(
    "companies",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("enrichment_status", String(20), nullable=False),
    Column("enrichment_reason", Text),
    Column("name", String(300)),
    Column("description", Text),
    Column("logo", Text),
    Column("industry", String(100)),
    Column("industry_confidence", Float),
    Column("language", String(8)),
    Column("emails", JSON),
    Column("phones", JSON),
    Column("fax", JSON),  # 0006: fax lines, apart from the voice numbers
    Column("company_phone", String(32)),  # 0006: the switchboard: a company field, never a person's phone
    Column("company_email", String(320)),  # 0006: the company's general address, never a person's email
    Column("social_links", JSON),
    Column("address", JSON),
    Column("organization", JSON),
    Column("tech", JSON),
    Column("pages", JSON),
    Column("enriched_at", DateTime(timezone=True), nullable=False),
    Column("run_id", String(250)),
)

# 0003: hashed do-not-contact keys that outlive the data (erasure tombstones): only sha256, never the value.
suppression_entries = Table(
    "suppression_entries",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("value_hash", String(64), nullable=False),
    Column("list_name", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "value_hash", name="uq_suppression_entries_kind_hash"),
)

# 0003: audit trail of `leadpipe forget` (what was scrubbed where, which CRM records to delete).
erasures = Table(
    "erasures",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("email_hash", String(64), nullable=False, index=True),
    Column("people_erased", Integer, nullable=False),
    Column("rows_scrubbed", JSON, nullable=False),
    Column("crm_records", JSON, nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)


# 0004_crm_request_budget: one CRM request budget shared by every process (leadpipe.store.request_budget).
# A row per budget (its lock row and a shared "paused until" after a 429), and a row per request in the
# rolling window (started_us while in flight, answered_us once answered; times are epoch microseconds).
crm_budgets = Table(
    "crm_budgets",
    metadata,
    Column("budget_key", String(200), primary_key=True),
    Column("paused_until_us", BigInteger, nullable=False),
    Column("touched", BigInteger, nullable=False),
)
crm_requests = Table(
    "crm_requests",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("budget_key", String(200), nullable=False, index=True),
    Column("started_us", BigInteger, nullable=False),
    Column("answered_us", BigInteger),
)

# 0007_crm_feedback: what each CRM reported back (append-only, one row per fact as of the CRM's change time),
# and per CRM the latest change already stored (leadpipe.pipeline.crm_feedback).
crm_feedback = Table(
    "crm_feedback",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("crm", String(32), nullable=False),
    Column("crm_id", String(64), nullable=False),
    Column("email", String(320), index=True),
    Column("phone", String(32)),
    Column("kind", String(32), nullable=False),
    Column("value", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("person_id", String(36), index=True),
    Column("run_id", String(250), nullable=False, index=True),
    Column("pulled_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("crm", "crm_id", "kind", "changed_at", name="uq_crm_feedback_change"),
)
crm_watermarks = Table(
    "crm_watermarks",
    metadata,
    Column("crm", String(32), primary_key=True),
    Column("watermark", DateTime(timezone=True), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# 0009_key_versions: which version of a derived key's rule made the stored values (people.company_key: version
# enrichment.normalise.COMPANY_KEY_VERSION); no row means version 1. The pipeline re-keys older rows
# (leadpipe.pipeline.rekey): the rule lives in a plug-in this layer must not import.
key_versions = Table(
    "key_versions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("run_id", String(250)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

IN_CHUNK = 5_000  # SQLite caps bound parameters per statement; keep every IN (...) list below it


def in_chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    """Slices of `items` small enough for one IN (...) clause (or one batch of an API call)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def lineage_of(conn: Connection, raw_row_ids: list[int]) -> dict[int, Row]:
    """raw_row_id -> (id, source, source_file, source_row): where a row came from, for quarantine."""
    found: dict[int, Row] = {}
    for chunk in in_chunks(raw_row_ids):
        found.update((r.id, r) for r in conn.execute(
            select(raw_rows.c.id, raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row)
            .where(raw_rows.c.id.in_(chunk))))
    return found


# Switching a new database file to WAL needs an exclusive lock, and SQLite answers "database is locked" there
# at once instead of waiting out the busy timeout; several processes opening a fresh warehouse together (the
# webhook's API-server workers, the first tasks of a run) try again for a while. WAL is kept in the file, so
# later connections only read the mode.
_WAL_RETRY = RetryPolicy(attempts=200, base=0.02, cap=0.5, total=60.0)


def _wal(cur: Any) -> None:
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        cur.execute("PRAGMA journal_mode=WAL")


def _locked(outcome: object) -> Verdict:
    locked = isinstance(outcome, sqlite3.OperationalError) and "locked" in str(outcome)
    return Verdict(True, "database locked") if locked else GIVE_UP


# A new SQLite warehouse gets 16 KiB pages instead of SQLite's 4 KiB: its largest writes are the dedupe stage's
# million-row bulk loads, whose inserts, index builds and WAL checkpoint all go page by page (1M leads, the
# merge on a copy converted with VACUUM: people insert 5.3 -> 3.4-4.2 s, index rebuild 6.9 -> 4.8-5.9 s,
# commit 8.0 -> 5.0-5.7 s). An existing file keeps its size; `PRAGMA page_size=16384` + VACUUM (with
# journal_mode=DELETE, then back to WAL) converts one.
SQLITE_PAGE_SIZE = 16384


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process; SQLite gets WAL so readers do not block the writer."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            if cur.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file: its page size is chosen now
                cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
            _WAL_RETRY.run(lambda: _wal(cur), _locked, what="sqlite journal mode")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk upserts keyed by random uuids thrash the default 2 MiB
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


# The development chain "0001" ... "0009" was folded into one baseline before the first release. A dev
# warehouse at the old head has exactly the baseline's schema; one at an older revision cannot be brought
# forward any more (the steps are gone).
BASELINE_REVISION = "0001_baseline"
RETIRED_HEAD_REVISION = "0009"
RETIRED_REVISIONS = frozenset({"0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008"})


class RetiredRevision(RuntimeError):
    """The warehouse was made by a pre-release schema revision that no migration leads on from."""


# Several processes may migrate one warehouse at once (API-server workers starting together, a CLI run next
# to Airflow tasks). Each migration runs whole under a lock, so the second one finds the schema at head.
MIGRATION_LOCK_ID = 7_366_188_043_617_329  # PostgreSQL advisory lock key: any constant no other code uses
MIGRATION_LOCK_NAME = "leadpipe_warehouse_migrate"  # MariaDB/MySQL GET_LOCK name
MIGRATION_LOCK_WAIT_SECONDS = 300
_in_process = threading.Lock()  # Alembic's command API keeps global state: one migration per process at a time


def migrate(url: str) -> None:
    """Bring the warehouse schema to the newest Alembic revision (safe to call every run, from many processes).

    Atomic and serialised: on SQLite the whole upgrade is one `BEGIN IMMEDIATE` transaction (SQLite's own
    write lock, so no process sees a half-made schema and a crash leaves none); on PostgreSQL it runs in one
    transaction holding an advisory lock; on MariaDB/MySQL (DDL is not transactional there) under GET_LOCK.
    """
    # Alembic only when migrating: the CLI and the webhook import this module for its tables.
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with _in_process, engine_for(url).connect() as conn, _migration_lock(conn):
        _restamp_retired_head(conn, url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    """Hold the backend's cross-process migration lock for the body; the transaction is begun here."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        # pysqlite would run DDL outside any transaction; an explicit BEGIN IMMEDIATE makes it one, and waits
        # (the connect timeout) while another process holds the write lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield
    elif dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_ID})
        yield  # released with the transaction
    elif dialect in ("mysql", "mariadb"):
        got = conn.execute(text("SELECT GET_LOCK(:name, :wait)"),
                           {"name": MIGRATION_LOCK_NAME, "wait": MIGRATION_LOCK_WAIT_SECONDS}).scalar()
        if got != 1:
            raise TimeoutError(f"another process has been migrating the warehouse for over "
                               f"{MIGRATION_LOCK_WAIT_SECONDS} s (lock {MIGRATION_LOCK_NAME}); try again later")
        try:
            yield
        finally:
            conn.rollback()  # nothing if the body committed; a failed body's open transaction otherwise
            conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": MIGRATION_LOCK_NAME})
            conn.commit()
    else:
        yield


def head_revision() -> str:
    """The newest migration's revision id: what a migrated warehouse is stamped with."""
    # Alembic only when asked: the CLI and the webhook import this module for its tables.
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(__file__).parent / "migrations")).get_current_head()


def _restamp_retired_head(conn: Connection, url: str) -> None:
    """A dev warehouse stamped with the retired head "0009" is re-stamped to the baseline (same schema);
    one stamped with an older retired revision gets an error saying how to start afresh."""
    if not inspect(conn).has_table("alembic_version"):
        return
    stamped = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    if stamped == {RETIRED_HEAD_REVISION}:
        conn.execute(text("UPDATE alembic_version SET version_num = :new"), {"new": BASELINE_REVISION})
        return
    if retired := stamped & RETIRED_REVISIONS:
        where = (f"the SQLite file {url.removeprefix('sqlite:///')}" if url.startswith("sqlite:///")
                 else "this database")
        raise RetiredRevision(
            f"The warehouse ({where}) was created by a development version of leadpipe (schema revision "
            f"{', '.join(sorted(retired))}) that can no longer be upgraded. It holds development data only: "
            "delete it (for the default local setup: `make clean-run`; for PostgreSQL: drop and re-create the "
            "database) and run leadpipe again to create a fresh warehouse."
        )

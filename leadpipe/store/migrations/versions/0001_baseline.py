"""Baseline warehouse schema: every table leadpipe uses, as of the first release.

Revision ID: 0001_baseline
Revises:

Replaces the development chain 0001 ... 0009 (no release had shipped): it creates exactly the schema those
nine produced, column order included. A dev warehouse stamped "0009" is re-stamped to this revision by
leadpipe.store.warehouse.migrate; older dev warehouses are rebuilt.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a real 64-bit id.
RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
RunId = sa.String(250)
PersonId = sa.String(36)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    _runs_and_rows()
    _people()
    _outcomes_and_quality()
    _sources()
    _suppression()
    _crm()
    _companies()


def _runs_and_rows() -> None:
    """Runs, the files they ingested (once per fingerprint), and the untouched source rows with lineage."""
    op.create_table(
        "runs",
        sa.Column("run_id", RunId, primary_key=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("summary", sa.JSON),
    )
    op.create_table(
        "source_files",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("ingested_at", TS, nullable=False),
        sa.UniqueConstraint("source", "fingerprint", name="uq_source_files_source_fingerprint"),
    )
    op.create_table(
        "raw_rows",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("ingested_at", TS, nullable=False),
    )
    op.create_index("ix_raw_rows_run_id", "raw_rows", ["run_id"])


def _people() -> None:
    """Golden records and which raw row belongs to whom.

    People keep the facts their last qualification used (lead source, form or not, primary row, prospect or
    not, config fingerprint), so a changed config can re-qualify everyone without their source rows;
    membership.evidence keeps the comparator scores behind each merge (for `leadpipe explain`). The name
    and domain indexes let an incremental run load only the people sharing a blocking key with new rows.
    """
    op.create_table(
        "people",
        sa.Column("person_id", PersonId, primary_key=True),
        sa.Column("email", sa.String(320)),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("company", sa.String(300)),
        sa.Column("company_key", sa.String(300)),
        sa.Column("domain", sa.String(255)),
        sa.Column("record", sa.JSON, nullable=False),
        sa.Column("provenance", sa.JSON, nullable=False),
        sa.Column("segments", sa.JSON),
        sa.Column("score", sa.Integer),
        sa.Column("tier", sa.String(10)),
        sa.Column("score_breakdown", sa.JSON),
        sa.Column("created_run_id", RunId, nullable=False),
        sa.Column("updated_run_id", RunId, nullable=False),
        sa.Column("persona", sa.String(64)),
        sa.Column("department", sa.String(32)),
        sa.Column("owner", sa.String(320)),
        sa.Column("compliance", sa.JSON),
        sa.Column("lead_source", sa.String(64)),
        sa.Column("from_form", sa.Boolean),
        sa.Column("primary_raw_row_id", sa.BigInteger),
        sa.Column("prospect", sa.Boolean),
        sa.Column("qualified_run_id", RunId),
        sa.Column("config_fingerprint", sa.String(64)),
    )
    op.create_index("ix_people_email", "people", ["email"])
    op.create_index("ix_people_last_name", "people", ["last_name"])
    op.create_index("ix_people_first_name", "people", ["first_name"])
    op.create_index("ix_people_domain", "people", ["domain"])
    op.create_index("ix_people_company_key", "people", ["company_key"])
    op.create_table(
        "membership",
        sa.Column("raw_row_id", RowId, sa.ForeignKey("raw_rows.id"), primary_key=True),
        sa.Column("person_id", PersonId, sa.ForeignKey("people.person_id"), nullable=False),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("match_score", sa.Float),
        sa.Column("evidence", sa.JSON),
    )
    op.create_index("ix_membership_person_id", "membership", ["person_id"])
    # The config fingerprint each qualify run used, and the people whose decision changed with the config
    # (their raw rows keep the one outcome of the run that ingested them).
    op.create_table(
        "qualify_runs",
        sa.Column("run_id", RunId, primary_key=True),
        sa.Column("config_fingerprint", sa.String(64), nullable=False),
        sa.Column("previous_fingerprint", sa.String(64)),
        sa.Column("requalified_people", sa.Integer, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "requalifications",
        sa.Column("run_id", RunId, primary_key=True),
        sa.Column("person_id", PersonId, primary_key=True),
        sa.Column("change", sa.String(32), nullable=False),
        sa.Column("old_score", sa.Integer),
        sa.Column("old_tier", sa.String(10)),
        sa.Column("new_score", sa.Integer),
        sa.Column("new_tier", sa.String(10)),
        sa.Column("reason", sa.Text),
        sa.Column("push_result", sa.Text),
    )


def _outcomes_and_quality() -> None:
    """Each row's outcome per run, quarantined rows with the failed check, and the data-quality history.

    validation_results.source is null for run-wide suites (the prospects-before-push gate); failures and
    warnings keep the messages, so a stopped batch can be explained from the warehouse alone.
    """
    op.create_table(
        "outcomes",
        sa.Column("run_id", RunId, primary_key=True),
        sa.Column("raw_row_id", RowId, sa.ForeignKey("raw_rows.id"), primary_key=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("person_id", PersonId),
    )
    op.create_index("ix_outcomes_run_outcome", "outcomes", ["run_id", "outcome"])
    op.create_table(
        "quarantine",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("raw_row_id", RowId, sa.ForeignKey("raw_rows.id"), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("field", sa.String(64)),
        sa.Column("check_name", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_quarantine_run_id", "quarantine", ["run_id"])
    op.create_table(
        "validation_results",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("suite", sa.String(120), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("statistics", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("failures", sa.JSON),
        sa.Column("warnings", sa.JSON),
    )
    op.create_index("ix_validation_results_run_id", "validation_results", ["run_id"])
    op.create_index("ix_validation_results_source", "validation_results", ["source"])


def _sources() -> None:
    """Each source's cursor (SQL watermark, last inbox id), written in the transaction of the rows it covers,
    and web-form submissions held exactly once per (form, idempotency key)."""
    op.create_table(
        "source_state",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.JSON, nullable=False),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "form_inbox",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("signals", sa.JSON, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("form", "idempotency_key", name="uq_form_inbox_form_key"),
    )


def _suppression() -> None:
    """Hashed do-not-contact keys that outlive the data they came from (erasure tombstones from
    `leadpipe forget`), and the audit trail of erasure requests (no personal data)."""
    op.create_table(
        "suppression_entries",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("list_name", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("kind", "value_hash", name="uq_suppression_entries_kind_hash"),
    )
    op.create_table(
        "erasures",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("people_erased", sa.Integer, nullable=False),
        sa.Column("rows_scrubbed", sa.JSON, nullable=False),
        sa.Column("crm_records", sa.JSON, nullable=False),
        sa.Column("erased_at", TS, nullable=False),
    )
    op.create_index("ix_erasures_email_hash", "erasures", ["email_hash"])


def _crm() -> None:
    """What was pushed where (ledger and per-run plans), the CRM lists, and the local CRM's prospects."""
    op.create_table(
        "push_ledger",
        sa.Column("sink", sa.String(32), primary_key=True),
        sa.Column("person_id", PersonId, primary_key=True),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("pushed_at", TS, nullable=False),
    )
    op.create_table(
        "push_plans",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("sink", sa.String(32), nullable=False),
        sa.Column("person_id", PersonId, nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("crm_id", sa.String(64)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("planned_at", TS, nullable=False),
    )
    op.create_index("ix_push_plans_run_id", "push_plans", ["run_id"])
    op.create_table(
        "crm_lists",
        sa.Column("sink", sa.String(32), primary_key=True),
        sa.Column("list_name", sa.String(255), primary_key=True),
        sa.Column("crm_list_id", sa.String(64), nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("synced_at", TS, nullable=False),
    )
    op.create_table(
        "prospects",
        sa.Column("person_id", PersonId, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("company", sa.String(300)),
        sa.Column("job_title", sa.String(300)),
        sa.Column("phone", sa.String(32)),
        sa.Column("country", sa.String(2)),
        sa.Column("domain", sa.String(255)),
        sa.Column("market", sa.String(64)),
        sa.Column("seniority", sa.String(32)),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("tier", sa.String(10)),
        sa.Column("lead_source", sa.String(64)),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("annual_revenue", sa.Float),
        sa.Column("department", sa.String(32)),
        sa.Column("persona", sa.String(64)),
        sa.Column("owner", sa.String(320)),
        sa.Column("lawful_basis", sa.String(32)),
        sa.Column("consent_evidence", sa.Text),
        sa.Column("lia_ref", sa.String(64)),
        sa.Column("dnc_status", sa.String(16)),
        sa.Column("dnc_checked_at", sa.String(10)),
    )


def _companies() -> None:
    """What each company's website says, one row per domain, with the enrichment status and reason (so failed
    fetches are visible) and enriched_at for the freshness rule."""
    op.create_table(
        "companies",
        sa.Column("domain", sa.String(255), primary_key=True),
        sa.Column("enrichment_status", sa.String(20), nullable=False),
        sa.Column("enrichment_reason", sa.Text),
        sa.Column("name", sa.String(300)),
        sa.Column("description", sa.Text),
        sa.Column("logo", sa.Text),
        sa.Column("industry", sa.String(100)),
        sa.Column("industry_confidence", sa.Float),
        sa.Column("language", sa.String(8)),
        sa.Column("emails", sa.JSON),
        sa.Column("phones", sa.JSON),
        sa.Column("social_links", sa.JSON),
        sa.Column("address", sa.JSON),
        sa.Column("organization", sa.JSON),
        sa.Column("tech", sa.JSON),
        sa.Column("pages", sa.JSON),
        sa.Column("enriched_at", TS, nullable=False),
        sa.Column("run_id", RunId),
    )


def downgrade() -> None:
    for table in (
        "companies", "prospects", "crm_lists", "push_plans", "push_ledger", "erasures", "suppression_entries",
        "form_inbox", "source_state", "validation_results", "quarantine", "outcomes", "requalifications",
        "qualify_runs", "membership", "people", "raw_rows", "source_files", "runs",
    ):
        op.drop_table(table)

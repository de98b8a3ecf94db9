"""Initial warehouse schema: raw rows, people, membership, outcomes, quarantine, push ledger, prospects.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
RunId = sa.String(250)
PersonId = sa.String(36)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
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
    )
    op.create_index("ix_people_email", "people", ["email"])
    op.create_table(
        "membership",
        sa.Column("raw_row_id", RowId, sa.ForeignKey("raw_rows.id"), primary_key=True),
        sa.Column("person_id", PersonId, sa.ForeignKey("people.person_id"), nullable=False),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("match_score", sa.Float),
    )
    op.create_index("ix_membership_person_id", "membership", ["person_id"])
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
        "push_ledger",
        sa.Column("sink", sa.String(32), primary_key=True),
        sa.Column("person_id", PersonId, primary_key=True),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("pushed_at", TS, nullable=False),
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
    )
    op.create_table(
        "validation_results",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("run_id", RunId, nullable=False),
        sa.Column("suite", sa.String(120), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("statistics", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_validation_results_run_id", "validation_results", ["run_id"])


def downgrade() -> None:
    for table in (
        "validation_results", "prospects", "push_ledger", "quarantine", "outcomes",
        "membership", "people", "raw_rows", "source_files", "runs",
    ):
        op.drop_table(table)

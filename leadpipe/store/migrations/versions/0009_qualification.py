"""qualification: decision facts on people, prospect fields for sinks, config re-qualification log.

Revision ID: 0009
Revises: 0008

People keep the facts their last qualification used (lead source, form or not, primary row, whether they
went on as a prospect, under which config fingerprint), so a changed config can re-qualify everyone in the
warehouse without their source rows coming back. `qualify_runs` records the config fingerprint each run
used; `requalifications` is the run-level record of people whose decision changed because the config did
(their raw rows keep the one outcome of the run that ingested them). The local CRM's `prospects` table
carries the fields every sink now receives (persona, department, owner, lawful basis, DNC status, ...).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
PEOPLE_COLUMNS = (
    ("lead_source", sa.String(64)), ("from_form", sa.Boolean), ("primary_raw_row_id", sa.BigInteger),
    ("prospect", sa.Boolean), ("qualified_run_id", sa.String(250)), ("config_fingerprint", sa.String(64)),
)
PROSPECT_COLUMNS = (
    ("annual_revenue", sa.Float), ("department", sa.String(32)), ("persona", sa.String(64)),
    ("owner", sa.String(320)), ("lawful_basis", sa.String(32)), ("consent_evidence", sa.Text),
    ("lia_ref", sa.String(64)), ("dnc_status", sa.String(16)), ("dnc_checked_at", sa.String(10)),
)


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        for name, type_ in PEOPLE_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    with op.batch_alter_table("prospects") as batch:
        for name, type_ in PROSPECT_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    op.create_table(
        "qualify_runs",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("config_fingerprint", sa.String(64), nullable=False),
        sa.Column("previous_fingerprint", sa.String(64)),
        sa.Column("requalified_people", sa.Integer, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "requalifications",
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("change", sa.String(32), nullable=False),
        sa.Column("old_score", sa.Integer),
        sa.Column("old_tier", sa.String(10)),
        sa.Column("new_score", sa.Integer),
        sa.Column("new_tier", sa.String(10)),
        sa.Column("reason", sa.Text),
        sa.Column("push_result", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("requalifications")
    op.drop_table("qualify_runs")
    with op.batch_alter_table("prospects") as batch:
        for name, _ in reversed(PROSPECT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("people") as batch:
        for name, _ in reversed(PEOPLE_COLUMNS):
            batch.drop_column(name)

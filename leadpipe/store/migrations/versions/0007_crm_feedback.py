"""CRM feedback read back from each CRM, and the watermark of each CRM's last pull.

Revision ID: 0007_crm_feedback
Revises: 0006_company_contacts

`crm_feedback` is append-only: one row per fact a CRM reported (kind, value) about one of its records as of the
CRM's modification time; a pull that reads the same change again adds nothing (unique on crm, crm_id, kind,
changed_at). `crm_watermarks` holds, per CRM, the latest modification time already stored: the next pull asks
only for records changed after it (leadpipe.pipeline.crm_feedback).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_crm_feedback"
down_revision = "0006_company_contacts"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_feedback",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("crm", sa.String(32), nullable=False),
        sa.Column("crm_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.String(36)),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("crm", "crm_id", "kind", "changed_at", name="uq_crm_feedback_change"),
    )
    op.create_index("ix_crm_feedback_email", "crm_feedback", ["email"])
    op.create_index("ix_crm_feedback_person_id", "crm_feedback", ["person_id"])
    op.create_index("ix_crm_feedback_run_id", "crm_feedback", ["run_id"])
    op.create_table(
        "crm_watermarks",
        sa.Column("crm", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crm_watermarks")
    op.drop_index("ix_crm_feedback_run_id", table_name="crm_feedback")
    op.drop_index("ix_crm_feedback_person_id", table_name="crm_feedback")
    op.drop_index("ix_crm_feedback_email", table_name="crm_feedback")
    op.drop_table("crm_feedback")

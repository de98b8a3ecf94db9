"""CRM sinks (push plans, CRM lists).

Revision ID: 0004
Revises: 0003

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "push_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(250), nullable=False, index=True),
        sa.Column("sink", sa.String(32), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("crm_id", sa.String(64)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("planned_at", TS, nullable=False),
    )
    op.create_table(
        "crm_lists",
        sa.Column("sink", sa.String(32), primary_key=True),
        sa.Column("list_name", sa.String(255), primary_key=True),
        sa.Column("crm_list_id", sa.String(64), nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("synced_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crm_lists")
    op.drop_table("push_plans")

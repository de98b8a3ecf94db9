"""The shared CRM request budget: a lock row per budget and a row per request in its rolling window.

Revision ID: 0004_crm_request_budget
Revises: 0003_batch_releases

Used by leadpipe.store.request_budget when no Redis is configured, so that every process pushing to the
same CRM account (nightly push, list rebuilds, on different Celery workers) shares one rolling window.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_crm_request_budget"
down_revision = "0003_batch_releases"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_budgets",
        sa.Column("budget_key", sa.String(200), primary_key=True),
        sa.Column("paused_until_us", sa.BigInteger, nullable=False),
        sa.Column("touched", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "crm_requests",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("budget_key", sa.String(200), nullable=False),
        sa.Column("started_us", sa.BigInteger, nullable=False),
        sa.Column("answered_us", sa.BigInteger),
    )
    op.create_index("ix_crm_requests_budget_key", "crm_requests", ["budget_key"])


def downgrade() -> None:
    op.drop_index("ix_crm_requests_budget_key", table_name="crm_requests")
    op.drop_table("crm_requests")
    op.drop_table("crm_budgets")

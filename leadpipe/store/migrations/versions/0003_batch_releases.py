"""Released batches: a source batch stopped by a critical check, passed again under later thresholds.

Revision ID: 0003_batch_releases
Revises: 0002_raw_row_hashes

One row per released batch (the source and the run that stopped it): when, how many rows, the checks it
passed, and the run that carried its rows on (empty until the next run of the source takes them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_batch_releases"
down_revision = "0002_raw_row_hashes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_releases",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(250), primary_key=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("carried_run_id", sa.String(250)),
    )
    op.create_index("ix_batch_releases_carried_run_id", "batch_releases", ["carried_run_id"])


def downgrade() -> None:
    op.drop_index("ix_batch_releases_carried_run_id", table_name="batch_releases")
    op.drop_table("batch_releases")

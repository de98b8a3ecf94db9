"""data-quality history.

Revision ID: 0007
Revises: 0006

validation_results gains the source a result is about (null for run-wide suites such as the
prospects-before-push gate) and the critical-failure and warning messages, so a stopped batch can be
explained from the warehouse alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("validation_results") as batch:
        batch.add_column(sa.Column("source", sa.String(64), nullable=True))
        batch.add_column(sa.Column("failures", sa.JSON, nullable=True))
        batch.add_column(sa.Column("warnings", sa.JSON, nullable=True))
        batch.create_index("ix_validation_results_source", ["source"])


def downgrade() -> None:
    with op.batch_alter_table("validation_results") as batch:
        batch.drop_index("ix_validation_results_source")
        batch.drop_column("warnings")
        batch.drop_column("failures")
        batch.drop_column("source")

"""airflow ux (list rebuilds, reports).

Revision ID: 0008
Revises: 0007

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

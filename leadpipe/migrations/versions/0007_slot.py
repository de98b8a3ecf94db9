"""data-quality history.

Revision ID: 0007
Revises: 0006

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

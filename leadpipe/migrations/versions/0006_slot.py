"""company web enrichment.

Revision ID: 0006
Revises: 0005

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

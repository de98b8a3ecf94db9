"""sources (connector state, form inbox).

Revision ID: 0002
Revises: 0001

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""suppression and compliance.

Revision ID: 0003
Revises: 0002

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

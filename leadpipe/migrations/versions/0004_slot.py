"""CRM sinks (push plans, CRM lists).

Revision ID: 0004
Revises: 0003

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

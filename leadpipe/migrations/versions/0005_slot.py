"""entity resolution (match explanations).

Revision ID: 0005
Revises: 0004

A reserved slot in the migration chain (filled in by the work that needs it); empty until then.
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

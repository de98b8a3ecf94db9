"""The prospect's postal address: street (line 1), address line 2, city, state and postcode.

Revision ID: 0005_prospect_address
Revises: 0004_crm_request_budget

Every sink receives these (leadpipe.core.schema.PROSPECT_FIELDS); the local sink keeps its prospects here.
Golden records hold them in their JSON record already, so only the prospects table changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_prospect_address"
down_revision = "0004_crm_request_budget"
branch_labels = None
depends_on = None

COLUMNS = (
    ("street", 300),
    ("address_line2", 300),
    ("city", 200),
    ("state", 100),
    ("postcode", 32),
)


def upgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length)))


def downgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)

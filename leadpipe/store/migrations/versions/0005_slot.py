"""entity resolution (match explanations).

Revision ID: 0005
Revises: 0004

membership.evidence keeps the comparator scores and weight behind each merge (for `leadpipe explain`);
indexes on people's name and domain columns let an incremental run load only the golden records that
share a blocking key with the new rows.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.add_column(sa.Column("evidence", sa.JSON))
    op.create_index("ix_people_last_name", "people", ["last_name"])
    op.create_index("ix_people_first_name", "people", ["first_name"])
    op.create_index("ix_people_domain", "people", ["domain"])
    op.create_index("ix_people_company_key", "people", ["company_key"])


def downgrade() -> None:
    op.drop_index("ix_people_company_key", table_name="people")
    op.drop_index("ix_people_domain", table_name="people")
    op.drop_index("ix_people_first_name", table_name="people")
    op.drop_index("ix_people_last_name", table_name="people")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("evidence")

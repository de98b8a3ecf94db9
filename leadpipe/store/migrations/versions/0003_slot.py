"""suppression and compliance.

Revision ID: 0003
Revises: 0002

`suppression_entries` keeps hashed do-not-contact keys that must outlive the data they came from (erasure
tombstones from `leadpipe forget`); `erasures` is the audit trail of erasure requests (no personal data).
People get their persona, department, owner and compliance verdict (lawful basis, consent evidence, DNC
check date) so the CRM push and `leadpipe explain` can show them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "suppression_entries",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("list_name", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("kind", "value_hash", name="uq_suppression_entries_kind_hash"),
    )
    op.create_table(
        "erasures",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("email_hash", sa.String(64), nullable=False, index=True),
        sa.Column("people_erased", sa.Integer, nullable=False),
        sa.Column("rows_scrubbed", sa.JSON, nullable=False),
        sa.Column("crm_records", sa.JSON, nullable=False),
        sa.Column("erased_at", TS, nullable=False),
    )
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("persona", sa.String(64)))
        batch.add_column(sa.Column("department", sa.String(32)))
        batch.add_column(sa.Column("owner", sa.String(320)))
        batch.add_column(sa.Column("compliance", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        for column in ("compliance", "owner", "department", "persona"):
            batch.drop_column(column)
    op.drop_table("erasures")
    op.drop_table("suppression_entries")

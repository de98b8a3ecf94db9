"""sources (connector state, form inbox).

Revision ID: 0002
Revises: 0001

`source_state` keeps each source's cursor (SQL watermark, last inbox id), written in the same transaction
as the rows it covers. `form_inbox` holds web-form submissions exactly once per (form, idempotency key).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_state",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.JSON, nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "form_inbox",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("signals", sa.JSON, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("form", "idempotency_key", name="uq_form_inbox_form_key"),
    )


def downgrade() -> None:
    op.drop_table("form_inbox")
    op.drop_table("source_state")

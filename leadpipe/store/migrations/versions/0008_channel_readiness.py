"""Channel readiness per person and prospect, and the history of the daily call lists.

Revision ID: 0008_channel_readiness
Revises: 0007_crm_feedback

- `people.channels`: the qualify stage's channel verdict (email sendable, phone callable, LinkedIn URL,
  preferred channel, each with its reason) as JSON, for `leadpipe explain` and the call lists;
- the prospects table (the local sink) gets the channel fields every sink receives
  (leadpipe.core.schema.CHANNEL_FIELDS);
- `call_list_entries`: who was put on which owner's call list on which day, so a cool-down keeps a person
  off the next lists (leadpipe.pipeline.call_lists).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_channel_readiness"
down_revision = "0007_crm_feedback"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

PROSPECT_COLUMNS = (
    ("email_sendable", sa.Boolean),
    ("email_reason", sa.Text),
    ("phone_callable", sa.Boolean),
    ("phone_reason", sa.Text),
    ("phone_line_type", sa.String(24)),
    ("phone_timezone", sa.String(64)),
    ("linkedin_url", sa.String(300)),
    ("preferred_channel", sa.String(16)),
    ("preferred_channel_reason", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("channels", sa.JSON))
    with op.batch_alter_table("prospects") as batch:
        for name, type_ in PROSPECT_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    op.create_table(
        "call_list_entries",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("list_date", sa.Date, nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("in_window", sa.Boolean),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("list_date", "person_id", name="uq_call_list_entries_date_person"),
    )
    op.create_index("ix_call_list_entries_person_date", "call_list_entries", ["person_id", "list_date"])


def downgrade() -> None:
    op.drop_index("ix_call_list_entries_person_date", table_name="call_list_entries")
    op.drop_table("call_list_entries")
    with op.batch_alter_table("prospects") as batch:
        for name, _ in reversed(PROSPECT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("people") as batch:
        batch.drop_column("channels")

"""Which version of each derived matching key the stored rows carry.

Revision ID: 0009_key_versions
Revises: 0008_channel_readiness

`key_versions`: one row per derived key column (today "company_key": people.company_key, made by
enrichment.normalise.company_key), saying which version of its rule made the stored values. A key's rule lives
in a plug-in the store must not import, so no migration can re-key; the pipeline re-keys the rows of an older
version before it next reads them by key (leadpipe.pipeline.rekey) and records the version here. No row: the
values predate this table (version 1).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_key_versions"
down_revision = "0008_channel_readiness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_versions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(250)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("key_versions")

"""company web enrichment.

Revision ID: 0006
Revises: 0005

Adds `companies`: what each company's website says, one row per domain, with the enrichment status and
reason so failed fetches are visible, and `enriched_at` for the freshness rule.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("domain", sa.String(255), primary_key=True),
        sa.Column("enrichment_status", sa.String(20), nullable=False),
        sa.Column("enrichment_reason", sa.Text),
        sa.Column("name", sa.String(300)),
        sa.Column("description", sa.Text),
        sa.Column("logo", sa.Text),
        sa.Column("industry", sa.String(100)),
        sa.Column("industry_confidence", sa.Float),
        sa.Column("language", sa.String(8)),
        sa.Column("emails", sa.JSON),
        sa.Column("phones", sa.JSON),
        sa.Column("social_links", sa.JSON),
        sa.Column("address", sa.JSON),
        sa.Column("organization", sa.JSON),
        sa.Column("tech", sa.JSON),
        sa.Column("pages", sa.JSON),
        sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(250)),
    )


def downgrade() -> None:
    op.drop_table("companies")

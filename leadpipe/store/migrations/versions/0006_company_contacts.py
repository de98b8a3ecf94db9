"""The company switchboard and general email found on its website, and its fax lines, kept apart.

Revision ID: 0006_company_contacts
Revises: 0005_prospect_address

Web enrichment (enrichment/web/contacts.py) names one company phone and one company email per domain; they are
company fields, never copied into a person's phone or email. Fax numbers are stored apart from the voice
numbers in `phones`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_company_contacts"
down_revision = "0005_prospect_address"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("company_phone", sa.String(32)))
        batch.add_column(sa.Column("company_email", sa.String(320)))
        batch.add_column(sa.Column("fax", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("fax")
        batch.drop_column("company_email")
        batch.drop_column("company_phone")

"""Raw row content hashes, so a grown file is ingested for its new rows only.

Revision ID: 0002_raw_row_hashes
Revises: 0001_baseline

raw_rows.row_hash: SHA-256 of the row's payload as canonical JSON (leadpipe.store.row_hashes.row_hash), indexed
with source and file name; source_files.rows_already_ingested: rows of that file version skipped because the
warehouse already held them. Rows stored before this revision get their hash here (erasure markers none), so
the first grown file after the upgrade is already ingested for its new rows only.
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002_raw_row_hashes"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

_BATCH = 5_000


def _row_hash(payload: dict) -> str:
    """As leadpipe.store.row_hashes.row_hash at this revision (copied: a migration must not change later)."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _erased(payload: dict) -> bool:
    return "erased" in payload and str(payload.get("reason") or "").startswith("erased on request")


def upgrade() -> None:
    op.add_column("raw_rows", sa.Column("row_hash", sa.String(64)))
    # (source, row_hash), not the file name too: source_file is TEXT, which MariaDB cannot index whole; a
    # SHA-256 is selective enough that the file name is checked on the few rows the index finds
    op.create_index("ix_raw_rows_source_hash", "raw_rows", ["source", "row_hash"])
    op.add_column("source_files", sa.Column("rows_already_ingested", sa.Integer, nullable=False,
                                            server_default="0"))
    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    rows = sa.table("raw_rows", sa.column("id", sa.BigInteger), sa.column("payload", sa.JSON),
                    sa.column("row_hash", sa.String))
    last = 0
    while True:
        part = conn.execute(sa.select(rows.c.id, rows.c.payload).where(rows.c.id > last)
                            .order_by(rows.c.id).limit(_BATCH)).all()
        if not part:
            return
        last = part[-1].id
        hashed = [{"rid": r.id, "h": _row_hash(r.payload)} for r in part
                  if isinstance(r.payload, dict) and not _erased(r.payload)]
        if hashed:
            conn.execute(rows.update().where(rows.c.id == sa.bindparam("rid")).values(row_hash=sa.bindparam("h")),
                         hashed)


def downgrade() -> None:
    op.drop_column("source_files", "rows_already_ingested")
    op.drop_index("ix_raw_rows_source_hash", table_name="raw_rows")
    op.drop_column("raw_rows", "row_hash")

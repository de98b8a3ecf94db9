"""Which rows of a file the warehouse already holds: one content hash per raw row.

Exports that grow (form dumps, cumulative vendor files) come back as a new file version with the old rows in
it. Ingest hashes each incoming row's payload (the row as the source gave it: every column, values as text;
column order and row position do not matter) and skips as many copies of a hash as the warehouse already
holds for the same source and file name, so appending 1,000 rows to a 70,000-row file stores the 1,000.
A row edited in place hashes differently and is stored as new. Rows stored as an erasure marker carry no
hash (`leadpipe forget` clears it too): nothing derived from an erased person's row is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from sqlalchemy import Connection, func, select

from leadpipe.store.warehouse import raw_rows


def row_hash(payload: dict) -> str:
    """SHA-256 of the payload as canonical JSON (sorted keys): the same row gives the same hash anywhere."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def stored_row_counts(conn: Connection, source: str, source_file: str, *, other_than_run: str) -> Counter[bytes]:
    """hash (32 bytes) -> how many rows with it the warehouse holds for this source and file name.

    Rows of `other_than_run` are left out: a retried task re-reads a unit whose earlier try was rolled back,
    and a unit must never count its own rows (identical rows inside one file are each stored).
    """
    counts: Counter[bytes] = Counter()
    query = (select(raw_rows.c.row_hash, func.count())
             .where(raw_rows.c.source == source, raw_rows.c.source_file == source_file,
                    raw_rows.c.row_hash.is_not(None), raw_rows.c.run_id != other_than_run)
             .group_by(raw_rows.c.row_hash))
    for digest, n in conn.execute(query):
        counts[bytes.fromhex(digest)] = n
    return counts

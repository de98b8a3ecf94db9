"""Re-keying stored people when the company key's rule changes.

Incremental dedupe loads, as candidates, the people whose stored `people.company_key` equals a new row's key
(leadpipe.pipeline.dedupe_candidates). A person stored under an older rule ("Smith & Sons" -> "smith sons",
"Smith and Sons" -> "smith and sons" before version 2) would never be found by a row keyed under the new one, so
before candidates are loaded the people stored under an older version get the key the current rule gives their
company name. The rule lives in a plug-in (enrichment.normalise) the store layer and its migrations must not
import; hence this pipeline step, and the version stored in `key_versions` once every person is re-keyed.

In chunks of people (keyset pages by person_id), each chunk's changes written in their own short transaction,
so a large warehouse is never locked for the whole pass; only rows whose key changes are written, and only
their company_key. Safe to stop at any point and to run again: a second pass finds nothing to change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, bindparam, select, update

from enrichment.normalise import COMPANY_KEY_VERSION, company_key
from leadpipe.store.bulk_write import upsert_columns
from leadpipe.store.warehouse import key_versions, people

log = logging.getLogger("leadpipe")

COMPANY_KEY = "company_key"  # key_versions.name of people.company_key
UNVERSIONED = 1  # the version of keys stored before key_versions existed
REKEY_CHUNK = 10_000  # people read, keyed and written per transaction

Person = tuple[str, str | None, str | None]  # person_id, company, company_key as stored
KeyChange = dict[str, str | None]  # the update's parameters: b_pid, b_company (as read), b_key (the new one)

__all__ = ["COMPANY_KEY", "REKEY_CHUNK", "rekey_company_keys", "stored_version"]


def stored_version(conn: Connection, name: str) -> int:
    """The version of `name`'s rule the stored values were made by (UNVERSIONED when none is recorded)."""
    version = conn.execute(select(key_versions.c.version).where(key_versions.c.name == name)).scalar()
    return UNVERSIONED if version is None else int(version)


def rekey_company_keys(engine: Engine, run_id: str | None = None, chunk: int = REKEY_CHUNK) -> int:
    """Bring every stored person's company_key to the current rule, once; how many keys changed.

    Returns 0 at once (one primary-key read) when the recorded version is current. The version is recorded only
    after the last chunk, so a pass cut short is simply done again (it skips nothing: the rows it had re-keyed
    already carry their new key and are not written a second time). Logs counts only: no names.
    """
    with engine.connect() as conn:
        before = stored_version(conn, COMPANY_KEY)
    if before >= COMPANY_KEY_VERSION:
        return 0
    seen = changed = 0
    for persons in _people_pages(engine, chunk):
        changes = _key_changes(persons)
        if changes:
            with engine.begin() as conn:
                changed += _write_keys(conn, changes)
        seen += len(persons)
    with engine.begin() as conn:
        _record_version(conn, COMPANY_KEY, COMPANY_KEY_VERSION, run_id)
    log.info("dedupe: company keys brought from version %d to %d: %d of %d people re-keyed", before,
             COMPANY_KEY_VERSION, changed, seen)
    return changed


def _people_pages(engine: Engine, size: int) -> Iterator[list[Person]]:
    """Every person's id, company and key, `size` at a time in person_id order (keyset pages: each one an
    indexed range read, however far into the table; no OFFSET to skip through, no cursor held open)."""
    after = ""
    query = select(people.c.person_id, people.c.company, people.c.company_key).order_by(people.c.person_id)
    while True:
        with engine.connect() as conn:
            page = [tuple(r) for r in conn.execute(query.where(people.c.person_id > after).limit(size))]
        if not page:
            return
        yield page
        after = page[-1][0]


def _key_changes(persons: list[Person]) -> list[KeyChange]:
    """The people whose stored key is not the one the current rule gives their company (blank and NULL alike)."""
    changes = []
    for pid, company, stored in persons:
        key = company_key(company)
        if key != (stored or ""):
            changes.append({"b_pid": pid, "b_company": company, "b_key": key or None})
    return changes


def _write_keys(conn: Connection, changes: list[KeyChange]) -> int:
    """Set the new keys (one executemany); a person whose company changed since it was read keeps the key the
    writer of that change gave it. Returns how many rows were written (where the driver cannot count the rows
    of an executemany, psycopg2's batches, how many were to be written)."""
    stmt = (update(people)
            .where(people.c.person_id == bindparam("b_pid"),
                   people.c.company.is_not_distinct_from(bindparam("b_company", type_=people.c.company.type)))
            .values(company_key=bindparam("b_key")))
    written = conn.execute(stmt, changes).rowcount
    return written if conn.dialect.supports_sane_multi_rowcount else len(changes)


def _record_version(conn: Connection, name: str, version: int, run_id: str | None) -> None:
    """Record that every stored value of `name` is made by `version` of its rule."""
    upsert_columns(conn, key_versions, {"name": [name], "version": [version], "run_id": [run_id],
                                        "updated_at": [datetime.now(UTC)]}, "name")

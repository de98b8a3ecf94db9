"""Many-row INSERTs without SQLAlchemy's per-row parameter work.

`conn.execute(stmt, rows)` builds and type-processes a parameter dict per row in Python; at 100k rows that is
seconds, more than SQLite takes to store them. On SQLite the statement is compiled once and the rows go to
the driver's executemany as tuples, each column passed through its type's bind processor (JSON, dates,
booleans) exactly as SQLAlchemy would. PostgreSQL keeps SQLAlchemy's path: its batched "insertmanyvalues"
is what makes psycopg2 fast there.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection
from sqlalchemy.sql.dml import Insert


def write_many(conn: Connection, stmt: Insert, rows: Sequence[dict]) -> None:
    """Same effect as conn.execute(stmt, rows); every row must have the first row's keys."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(stmt, list(rows))
        return
    cols = list(rows[0])
    compiled = stmt.compile(dialect=conn.dialect, column_keys=cols)
    names = list(compiled.positiontup or [])
    if set(names) - set(cols):  # a column default SQLAlchemy would fill per row: let it
        conn.execute(stmt, list(rows))
        return
    columns = []
    for name in names:
        values = [r[name] for r in rows]
        type_ = compiled.binds[name].type
        proc = type_.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        if proc is not None:
            values = [proc(v) for v in values]  # None too: JSON stores it as 'null', as SQLAlchemy does
        columns.append(values)
    conn.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))

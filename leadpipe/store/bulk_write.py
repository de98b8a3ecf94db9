"""Many-row INSERTs without SQLAlchemy's per-row parameter work.

`conn.execute(stmt, rows)` builds and type-processes a parameter dict per row in Python; at 100k rows that is
seconds, more than SQLite takes to store them. On SQLite the statement is compiled once and the rows go to
the driver's executemany as tuples, each column passed through its type's bind processor (JSON, dates,
booleans) exactly as SQLAlchemy would. PostgreSQL keeps SQLAlchemy's path: its batched "insertmanyvalues"
is what makes psycopg2 fast there.

`upsert_columns` goes one step further for the largest writes (the dedupe stage's people and membership):
whole columns in, no row dicts at all; COPY on PostgreSQL.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, Text, bindparam
from sqlalchemy.dialects import sqlite
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


def upsert_columns(conn: Connection, table: Table, columns: dict[str, Sequence], key: str | tuple[str, ...],
                   keep: tuple[str, ...] = (), json_text: tuple[str, ...] = ()) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE from whole columns (name -> values, all the same length).

    The dedupe stage writes a million people and membership rows a run; a dict per row, and SQLAlchemy's
    per-row parameter handling, cost more than the database itself. Here the rows never exist as dicts:
    SQLite gets one executemany of tuples zipped from the columns, PostgreSQL one COPY of the columns into a
    temporary table and one INSERT ... SELECT ... ON CONFLICT from it.

    `key`: the primary key's column, or its columns (the outcomes' run_id and raw_row_id).
    `keep`: columns an existing row keeps (not updated on conflict); columns not given are never touched.
    `json_text`: JSON columns whose values arrive already encoded as text (stored as that text, NULL for None).
    A column may be an Arrow array (null = None): the dedupe stage's writer process gets its JSON texts so.
    """
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    if n == 0:
        return
    if any(len(columns[c]) != n for c in names):
        raise ValueError(f"columns of different lengths for {table.name}: "
                         + ", ".join(f"{c} {len(columns[c])}" for c in names))
    keys = (key,) if isinstance(key, str) else tuple(key)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        _copy_upsert(conn, table, columns, names, keys, keep)
        return
    if dialect != "sqlite":  # pragma: no cover - the warehouse is SQLite or PostgreSQL
        raise NotImplementedError(f"no column upsert for {dialect}")
    columns = {c: v.to_pylist() if isinstance(v, pa.Array | pa.ChunkedArray) else v for c, v in columns.items()}
    stmt = sqlite.insert(table)
    stmt = stmt.values({c: bindparam(c, type_=Text if c in json_text else table.c[c].type) for c in names})
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={c: stmt.excluded[c] for c in names if c not in keys and c not in keep})
    compiled = stmt.compile(dialect=conn.dialect, column_keys=names)
    values = []
    for name in compiled.positiontup or []:
        col = columns[name]
        proc = compiled.binds[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        values.append(col if proc is None else [proc(v) for v in col])
    conn.exec_driver_sql(compiled.string, list(zip(*values, strict=True)))


def _copy_text(values: Sequence) -> pa.Array:
    """One column in COPY's text format: \\N for NULL, backslash, tab, newline and CR escaped."""
    arr = values if isinstance(values, pa.Array) else pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_boolean(arr.type):
        arr = pc.if_else(arr, "t", "f")
    elif pa.types.is_floating(arr.type):  # repr: the shortest text that reads back as the same double
        arr = pa.array([None if v is None else repr(float(v)) for v in arr.to_pylist()], pa.large_string())
    arr = arr.cast(pa.large_string())
    for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        arr = pc.replace_substring(arr, char, escaped)
    return pc.fill_null(arr, "\\N")


def _copy_upsert(conn: Connection, table: Table, columns: dict[str, Sequence], names: list[str],
                 keys: tuple[str, ...], keep: tuple[str, ...]) -> None:
    """PostgreSQL: COPY the columns into a temporary table shaped like `table`, then one upsert from it."""
    tmp = f"_upsert_{table.name}"
    cols = ", ".join(f'"{c}"' for c in names)
    lines = pc.binary_join_element_wise(*[_copy_text(columns[c]) for c in names], pa.scalar("\t", pa.large_string()))
    data = io.StringIO("\n".join(lines.to_pylist()) + "\n")
    updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in names if c not in keys and c not in keep)
    conflict = ", ".join(f'"{k}"' for k in keys)
    conn.exec_driver_sql(f'CREATE TEMPORARY TABLE "{tmp}" ON COMMIT DROP AS SELECT {cols} FROM "{table.name}" '
                         "WITH NO DATA")
    conn.connection.driver_connection.cursor().copy_expert(f'COPY "{tmp}" ({cols}) FROM STDIN', data)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{tmp}" '
                         f"ON CONFLICT ({conflict}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING"))
    conn.exec_driver_sql(f'DROP TABLE "{tmp}"')


@contextmanager
def bulk_load(conn: Connection, tables: dict[Table, int]) -> Iterator[Callable[[Table], None]]:
    """SQLite: a large write with the tables' secondary indexes dropped, rebuilt once at the end.

    `tables`: each table and how many rows are about to be written to it. A table receiving at least as many
    rows as it holds already (a first run fills an empty one) loses its secondary indexes (never its primary
    key or unique constraints: the upserts need them) for the body, and gets them back, same names and
    definitions, before the transaction commits: one sort per index instead of a random B-tree insert per row
    per index (at 1M people, five indexes over uuid-ordered rows: most of the write time). The body and the
    rebuild are one transaction, so other connections (WAL readers) never see a table without its indexes.
    Other dialects: nothing changes (PostgreSQL's DROP INDEX would lock the table against readers).

    Yields `loaded(table)`: the caller says a table has all its rows, and its indexes are rebuilt then, not at
    the end. The dedupe stage writes membership first, then waits for the people chunks being built: the
    membership index is rebuilt in that wait instead of after the people (about 1.4 s at 1M rows). Rows
    written to a table after `loaded` still go in, through its indexes.
    """
    if conn.dialect.name != "sqlite":
        yield lambda table: None
        return
    raw = conn.connection.driver_connection
    if not raw.in_transaction:  # pysqlite runs DDL outside a transaction unless one is open
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    ddl: dict[str, list[str]] = {}
    for table, incoming in tables.items():
        held = raw.execute(f'SELECT max(rowid) FROM "{table.name}"').fetchone()[0] or 0  # an upper bound, O(log n)
        if incoming >= held:
            for name, sql in raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                         "AND sql IS NOT NULL", (table.name,)).fetchall():  # sql NULL: pk/unique
                ddl.setdefault(table.name, []).append(sql)
                conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def rebuild(name: str) -> None:
        sqls = ddl.pop(name, [])
        if not sqls:
            return
        with _sort_cache(raw):
            for sql in sqls:
                conn.exec_driver_sql(sql)

    yield lambda table: rebuild(table.name)
    for name in list(ddl):
        rebuild(name)


SORT_CACHE_KIB = 4096


@contextmanager
def _sort_cache(raw) -> Iterator[None]:
    """The page cache at most SORT_CACHE_KIB while indexes are built: SQLite sorts each index's keys in runs the
    size of the page cache, then merges them, and small runs sort inside the CPU's caches. Five indexes on a 1M-row
    people table (bench/sqlite_sort_cache_bench.py): 2.8-2.9 s at 4 MiB, 3.3-3.4 s at 2 MiB, 4.1-4.3 s at the
    dedupe writer's 16 MiB, 4.7-4.8 s at 64 MiB. The connection's own size is back afterwards."""
    size = raw.execute("PRAGMA cache_size").fetchone()[0]  # < 0: KiB; > 0: pages
    kib = -size if size < 0 else size * raw.execute("PRAGMA page_size").fetchone()[0] // 1024
    if kib <= SORT_CACHE_KIB:
        yield
        return
    raw.execute(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={size}")

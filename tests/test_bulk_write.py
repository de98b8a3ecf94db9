"""write_many stores exactly what SQLAlchemy's own executemany stores, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, MetaData, Table, Text, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from leadpipe.store.bulk_write import write_many
from leadpipe.store.warehouse import engine_for


def _tables(md: MetaData) -> tuple[Table, Table]:
    cols = lambda: [Column("id", Integer, primary_key=True), Column("doc", JSON), Column("at", DateTime),
                    Column("ok", Boolean), Column("score", Float), Column("name", Text)]
    return Table("by_sqlalchemy", md, *cols()), Table("by_write_many", md, *cols())


ROWS = [{"id": i, "doc": None if i % 4 == 0 else {"n": i, "tags": ["a", "ü"], "none": None},
         "at": None if i % 7 == 0 else datetime(2026, 11, 23, i % 24, 5),
         "ok": None if i % 5 == 0 else i % 2 == 0, "score": None if i % 3 == 0 else i / 7,
         "name": None if i % 6 == 0 else f"Zoë {i}"} for i in range(1, 60)]


def _upsert(dialect: str, table: Table):
    stmt = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    return stmt.on_conflict_do_update(index_elements=["id"], set_={"name": stmt.excluded.name,
                                                                   "doc": stmt.excluded.doc})


def test_write_many_stores_what_sqlalchemy_stores(warehouse_url: str) -> None:
    md = MetaData()
    ref, fast = _tables(md)
    engine = engine_for(warehouse_url)
    md.create_all(engine)
    changes = [{"id": i, "name": f"renamed {i}", "doc": {"v": i}} for i in (2, 3, 40)]
    with engine.begin() as conn:
        conn.execute(insert(ref), ROWS)
        write_many(conn, insert(fast), ROWS)
        conn.execute(_upsert(engine.dialect.name, ref), changes)
        write_many(conn, _upsert(engine.dialect.name, fast), changes)
        write_many(conn, insert(fast), [])
    with engine.connect() as conn:
        want = conn.execute(select(ref).order_by(ref.c.id)).all()
        got = conn.execute(select(fast).order_by(fast.c.id)).all()
        # raw column text too: JSON null vs SQL NULL, date format, booleans as stored
        raw = lambda t: conn.exec_driver_sql(f"SELECT CAST(doc AS TEXT), CAST(at AS TEXT), ok FROM {t} ORDER BY id").all()
        assert raw("by_write_many") == raw("by_sqlalchemy")
    assert got == want
    assert len(got) == len(ROWS)
    assert got[1].name == "renamed 2" and got[1].doc == {"v": 2} and got[0].name == "Zoë 1"


def test_rows_must_all_have_the_first_rows_columns(tmp_path) -> None:
    md = MetaData()
    _, fast = _tables(md)
    engine = engine_for(f"sqlite:///{tmp_path / 'w.db'}")
    md.create_all(engine)
    with engine.begin() as conn, pytest.raises(KeyError):
        write_many(conn, insert(fast), [{"id": 1, "name": "a"}, {"id": 2}])


def test_upsert_columns_stores_what_sqlalchemy_stores(warehouse_url: str) -> None:
    """Whole columns in (COPY on PostgreSQL): the same rows as SQLAlchemy's own upsert of dicts, with text that
    COPY must escape (tab, newline, CR, backslash, the literal \\N), NULLs, floats and JSON given as text."""
    from leadpipe.store.bulk_write import upsert_columns

    md = MetaData()
    ref, fast = _tables(md)
    engine = engine_for(warehouse_url)
    md.create_all(engine)
    names = [None, "", "tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", "Zoë 'quoted' \"x\""]
    rows = [{"id": i, "doc": None if i % 4 == 0 else {"n": i, "s": names[i % len(names)]},
             "score": None if i % 3 == 0 else i / 7, "name": names[i % len(names)]} for i in range(1, 40)]
    changes = [{"id": i, "doc": {"v": i}, "score": 0.1 * i, "name": f"renamed\t{i}"} for i in (2, 3, 40)]

    def cols(rs: list[dict]) -> dict[str, list]:
        return {c: [None if c == "doc" and r[c] is None else json.dumps(r[c]) if c == "doc" else r[c] for r in rs]
                for c in rs[0]}

    with engine.begin() as conn:
        conn.execute(insert(ref), rows)
        conn.execute(_upsert(engine.dialect.name, ref), changes)  # updates doc and name only
        upsert_columns(conn, fast, cols(rows), "id", json_text=("doc",))
        upsert_columns(conn, fast, cols(changes), "id", keep=("score",), json_text=("doc",))
        upsert_columns(conn, fast, {"id": [], "name": []}, "id")
    with engine.connect() as conn:
        want = conn.execute(select(ref).order_by(ref.c.id)).all()
        got = conn.execute(select(fast).order_by(fast.c.id)).all()
    assert got == want
    assert len(got) == 40 and got[1].name == "renamed\t2" and got[1].score == 2 / 7  # kept on conflict
    assert got[-1].score == 4.0 and [r.name for r in got[3:8]] == [*names[4:], names[0]]


def test_upsert_columns_refuses_columns_of_different_lengths(tmp_path) -> None:
    from leadpipe.store.bulk_write import upsert_columns

    md = MetaData()
    _, fast = _tables(md)
    engine = engine_for(f"sqlite:///{tmp_path / 'w.db'}")
    md.create_all(engine)
    with engine.begin() as conn, pytest.raises(ValueError, match="different lengths"):
        upsert_columns(conn, fast, {"id": [1, 2], "name": ["a"]}, "id")


def test_bulk_load_rebuilds_the_indexes_of_a_table_it_fills_and_leaves_a_full_one_alone(tmp_path) -> None:
    """A write at least as large as the table runs without its secondary indexes and gets them back, same
    definitions, in the same transaction; a failed write leaves table and indexes as they were; a small write
    into a full table keeps its indexes throughout."""
    from sqlalchemy import Index, String

    from leadpipe.store.bulk_write import bulk_load, upsert_columns

    md = MetaData()
    t = Table("folk", md, Column("pid", String(36), primary_key=True), Column("name", Text), Column("city", Text),
              Index("ix_folk_name", "name"), Index("ix_folk_city_name", "city", "name"))
    engine = engine_for(f"sqlite:///{tmp_path / 'w.db'}")
    md.create_all(engine)

    def indexes(conn) -> dict[str, str]:
        return dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                         "AND tbl_name = 'folk' AND sql IS NOT NULL").all())

    def cols(lo: int, hi: int) -> dict[str, list]:
        return {"pid": [f"p{i}" for i in range(lo, hi)], "name": [f"n{i % 7}" for i in range(lo, hi)],
                "city": [f"c{i % 3}" for i in range(lo, hi)]}

    with engine.connect() as conn:
        before = indexes(conn)
    assert set(before) == {"ix_folk_name", "ix_folk_city_name"}
    with pytest.raises(RuntimeError, match="boom"), engine.begin() as conn, bulk_load(conn, {t: 100}):
        upsert_columns(conn, t, cols(0, 100), "pid")
        assert indexes(conn) == {}  # dropped inside the transaction
        raise RuntimeError("boom")
    with engine.connect() as conn:
        assert indexes(conn) == before and conn.exec_driver_sql("SELECT count(*) FROM folk").scalar() == 0
    with engine.begin() as conn, bulk_load(conn, {t: 100}):
        upsert_columns(conn, t, cols(0, 100), "pid")
        assert indexes(conn) == {}
    with engine.begin() as conn, bulk_load(conn, {t: 10}):  # 10 rows into a table of 100: indexes kept
        assert indexes(conn) == before
        upsert_columns(conn, t, cols(95, 105), "pid")
    with engine.connect() as conn:
        assert indexes(conn) == before and conn.exec_driver_sql("SELECT count(*) FROM folk").scalar() == 105
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT pid FROM folk WHERE city = 'c1' AND name = 'n1'").all())
        assert "ix_folk_city_name" in plan and conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_bulk_load_rebuilds_a_table_said_loaded_at_once_and_the_others_at_the_end(tmp_path) -> None:
    """`loaded(table)` brings that table's indexes back inside the body; the other table's come back at the end;
    rows written after `loaded` go through the rebuilt index (integrity check)."""
    from sqlalchemy import Index, String

    from leadpipe.store.bulk_write import bulk_load, upsert_columns

    md = MetaData()
    a = Table("aa", md, Column("k", String(8), primary_key=True), Column("v", Text), Index("ix_aa_v", "v"))
    b = Table("bb", md, Column("k", String(8), primary_key=True), Column("v", Text), Index("ix_bb_v", "v"))
    engine = engine_for(f"sqlite:///{tmp_path / 'w.db'}")
    md.create_all(engine)

    def names(conn) -> set[str]:
        return {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                   "AND sql IS NOT NULL").all()}

    rows = {"k": [f"k{i}" for i in range(50)], "v": [f"v{i % 5}" for i in range(50)]}
    with engine.begin() as conn, bulk_load(conn, {a: 50, b: 50}) as loaded:
        assert names(conn) == set()
        upsert_columns(conn, a, rows, "k")
        loaded(a)
        assert names(conn) == {"ix_aa_v"}
        upsert_columns(conn, b, rows, "k")
        upsert_columns(conn, a, {"k": ["z1"], "v": ["v9"]}, "k")  # after loaded: through the index
        assert names(conn) == {"ix_aa_v"}
    with engine.connect() as conn:
        assert names(conn) == {"ix_aa_v", "ix_bb_v"}
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("SELECT count(*) FROM aa WHERE v = 'v9'").scalar() == 1


@pytest.mark.parametrize("own", [-16384, -1024, 2000])
def test_bulk_load_builds_indexes_with_a_small_page_cache_and_gives_the_connections_back(tmp_path, own) -> None:
    """The indexes are rebuilt with the page cache at most SORT_CACHE_KIB (SQLite sorts in runs of its size), and
    the connection's own cache size, in KiB or in pages, is what it was afterwards; a smaller one is not raised."""
    from sqlalchemy import Index, String

    from leadpipe.store.bulk_write import SORT_CACHE_KIB, bulk_load, upsert_columns

    md = MetaData()
    t = Table("folk", md, Column("pid", String(36), primary_key=True), Column("name", Text), Index("ix_folk_n", "name"))
    engine = engine_for(f"sqlite:///{tmp_path / 'w.db'}")
    md.create_all(engine)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        raw.execute(f"PRAGMA cache_size={own}")
        own_kib = -own if own < 0 else own * raw.execute("PRAGMA page_size").fetchone()[0] // 1024
        statements: list[str] = []
        raw.set_trace_callback(lambda sql: statements.append(sql.split(" ON ")[0])
                               if sql.startswith(("PRAGMA cache_size=", "CREATE INDEX")) else None)
        with bulk_load(conn, {t: 10}):
            upsert_columns(conn, t, {"pid": [f"p{i}" for i in range(10)], "name": ["n"] * 10}, "pid")
        raw.set_trace_callback(None)
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == own
    index = "CREATE INDEX ix_folk_n"
    if own_kib > SORT_CACHE_KIB:
        assert statements == [f"PRAGMA cache_size=-{SORT_CACHE_KIB}", index, f"PRAGMA cache_size={own}"]
    else:
        assert statements == [index]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert "ix_folk_n" in {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master").all()}

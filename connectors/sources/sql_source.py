"""Purchased databases: any SQLAlchemy-reachable table or query, read incrementally by a watermark column.

The database URL is built from an Airflow Connection (`AIRFLOW_CONN_<ID>` in the environment or the
Airflow metadata DB), so no password sits in the pipeline config. Each run reads one window
(watermark > last stored value, <= the highest value seen at discovery), ordered by the watermark, through
a server-side cursor in chunks: a million-row table streams in bounded memory. Without a watermark the
whole result is one unit fingerprinted by its content, so an unchanged table is not ingested twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationInfo, model_validator
from sqlalchemy import create_engine
from sqlalchemy import text as sql_text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from connectors.sources.base import (
    RawRecord,
    SourceContext,
    SourceError,
    SourceState,
    SourceUnavailable,
    SourceUnit,
    source_prefix,
    text,
)
from leadpipe.core.redact import mask_text
from leadpipe.core.settings import Strict

# Airflow connection types -> SQLAlchemy drivers installed with leadpipe.
DRIVERS = {"postgres": "postgresql+psycopg2", "postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql",
           "mariadb": "mysql+pymysql", "sqlite": "sqlite"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class SqlSettings(Strict):
    """The YAML keys of a `type: sql` source."""

    connection: str | None = Field(None, description="Airflow Connection id holding the database URL.")
    table: str | None = None
    query: str | None = None
    watermark: str | None = Field(None, description="Column that only grows (updated_at, id).")
    chunk_size: int = Field(10_000, ge=100, le=1_000_000)

    @model_validator(mode="after")
    def _connection_and_one_of_table_or_query(self, info: ValidationInfo) -> SqlSettings:
        if not self.connection:
            raise ValueError(f"{source_prefix(info)}a sql source needs 'connection' (an Airflow Connection id)")
        if bool(self.table) == bool(self.query):
            raise ValueError(f"{source_prefix(info)}a sql source needs exactly one of 'table' or 'query'")
        return self


def url_from_connection(conn_id: str):  # noqa: ANN201 - sqlalchemy URL
    """Build the SQLAlchemy URL from an Airflow Connection (extra `sqlalchemy_scheme` picks a driver)."""
    from airflow.sdk import Connection  # ~1 s to import outside Airflow; only needed when a source connects

    try:
        conn = Connection.get(conn_id)
    except Exception as exc:  # noqa: BLE001 - Airflow raises several kinds for "not defined"
        raise SourceUnavailable(f"Airflow Connection {conn_id!r} is not defined ({type(exc).__name__}); "
                                f"set AIRFLOW_CONN_{conn_id.upper()} or add it in the Airflow UI") from None
    extra = conn.extra_dejson or {}
    driver = extra.get("sqlalchemy_scheme") or DRIVERS.get(conn.conn_type or "")
    if driver is None:
        raise SourceUnavailable(f"Airflow Connection {conn_id!r} has type {conn.conn_type!r}; "
                                f"supported: {', '.join(sorted(DRIVERS))} (or set extra 'sqlalchemy_scheme')")
    if driver == "sqlite":
        return URL.create("sqlite", database=conn.host or conn.schema)
    return URL.create(driver, username=conn.login or None, password=conn.password or None,
                      host=conn.host or None, port=conn.port or None, database=conn.schema or None)


def _json_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, date):
        return {"date": v.isoformat()}
    if isinstance(v, Decimal):
        return {"decimal": str(v)}
    return v


def _from_json(v: Any) -> Any:
    if isinstance(v, dict):
        if "datetime" in v:
            return datetime.fromisoformat(v["datetime"])
        if "date" in v:
            return date.fromisoformat(v["date"])
        if "decimal" in v:
            return Decimal(v["decimal"])
    return v


class SqlSource:
    Settings = SqlSettings

    def __init__(self, name: str, url, table: str | None = None, query: str | None = None,  # noqa: ANN001
                 watermark: str | None = None, chunk_size: int = 10_000):
        if (table is None) == (query is None):
            raise ValueError("give exactly one of table or query")
        if table is not None and not _IDENT.match(table):
            raise ValueError(f"table {table!r} is not a plain [schema.]table name")
        if watermark is not None and not _IDENT.match(watermark):
            raise ValueError(f"watermark {watermark!r} is not a plain column name")
        self.name = name
        self.url = url
        self.table = table
        self.query = query
        self.watermark = watermark
        self.chunk_size = chunk_size
        self._engine = None

    @classmethod
    def from_settings(cls, name: str, settings: SqlSettings, context: SourceContext) -> SqlSource:
        """The URL is looked up from the Airflow Connection when the source first connects, not here."""
        conn_id = settings.connection or ""
        return cls(name, lambda: url_from_connection(conn_id), table=settings.table, query=settings.query,
                   watermark=settings.watermark, chunk_size=settings.chunk_size)

    @property
    def label(self) -> str:
        return self.table or "query"

    def engine(self):  # noqa: ANN201
        if self._engine is None:
            url = self.url() if callable(self.url) else self.url
            self._engine = create_engine(url, pool_pre_ping=True)
        return self._engine

    def _where_window(self, lo: Any, hi: Any) -> tuple[str, dict]:
        wm = self._quoted(self.watermark)
        clauses, params = [f"{wm} IS NOT NULL"], {}
        if lo is not None:
            clauses.append(f"{wm} > :lo")
            params["lo"] = lo
        if hi is not None:
            clauses.append(f"{wm} <= :hi")
            params["hi"] = hi
        return " AND ".join(clauses), params

    def _quoted(self, ident: str) -> str:
        prep = self.engine().dialect.identifier_preparer
        return ".".join(prep.quote(p) for p in ident.split("."))

    def _from(self) -> str:
        if self.table:
            return self._quoted(self.table)
        return f"({self.query}) AS leadpipe_src"

    def _connect(self):  # noqa: ANN202
        try:
            return self.engine().connect()
        except SQLAlchemyError as exc:
            raise SourceUnavailable(f"{self.label}: cannot connect to the database "
                                    f"({_safe(exc)})") from None

    def discover(self, state: SourceState) -> list[SourceUnit]:
        with self._connect() as conn:
            try:
                if self.watermark is None:
                    return self._discover_by_content(conn, state)
                lo = _from_json(state.cursor.get("watermark"))
                where, params = self._where_window(lo, None)
                hi = conn.execute(sql_text(f"SELECT MAX({self._quoted(self.watermark)}) FROM {self._from()} "
                                           f"WHERE {where}"), params).scalar()
            except SQLAlchemyError as exc:
                raise SourceUnavailable(f"{self.label}: query failed ({_safe(exc)})") from None
        if hi is None:
            return []
        window = {"lo": _json_value(lo), "hi": _json_value(hi)}
        fp = hashlib.sha256(json.dumps([self.label, self.query, self.watermark, window],
                                       sort_keys=True, default=str).encode()).hexdigest()
        name = f"{self.label} ({self.watermark} {'> ' + str(lo) + ' and ' if lo is not None else ''}<= {hi})"
        return [SourceUnit(name, json.dumps(window), fp, 0, cursor_after={"watermark": _json_value(hi)})]

    def _discover_by_content(self, conn, state: SourceState) -> list[SourceUnit]:  # noqa: ANN001
        digest, rows = hashlib.sha256(), 0
        for row in self._stream(conn, None, None):
            digest.update(json.dumps(row, sort_keys=True, default=str).encode())
            rows += 1
        fp = digest.hexdigest()
        if fp in state.seen or rows == 0:
            return []
        return [SourceUnit(f"{self.label} (full read, {rows} rows)", "{}", fp, 0)]

    def _stream(self, conn, lo: Any, hi: Any) -> Iterator[dict]:  # noqa: ANN001
        sql = f"SELECT * FROM {self._from()}"
        params: dict = {}
        if self.watermark:
            where, params = self._where_window(lo, hi)
            sql += f" WHERE {where} ORDER BY {self._quoted(self.watermark)}"
        result = conn.execution_options(stream_results=True, yield_per=self.chunk_size).execute(
            sql_text(sql), params)
        keys = list(result.keys())
        for partition in result.partitions(self.chunk_size):
            for row in partition:
                yield dict(zip(keys, row, strict=True))

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        window = json.loads(unit.locator)
        lo, hi = _from_json(window.get("lo")), _from_json(window.get("hi"))
        with self._connect() as conn:
            try:
                for number, row in enumerate(self._stream(conn, lo, hi), start=1):
                    yield RawRecord(number, {str(k): text(v) for k, v in row.items()})
            except SQLAlchemyError as exc:
                raise SourceError(f"{unit.name}: reading failed ({_safe(exc)})") from None


def _safe(exc: Exception) -> str:
    """The database's first message line, never the URL (it may carry a password), any URL or `password=` in
    it masked."""
    orig = getattr(exc, "orig", None) or exc
    return mask_text(str(orig).splitlines()[0])[:300] if str(orig) else type(orig).__name__

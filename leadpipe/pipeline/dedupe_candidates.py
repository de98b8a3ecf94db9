"""Incremental matching: load only the golden records that share a blocking key with the new rows.

Re-deduplicating all of history every night grows with the warehouse; a 10k-row batch only needs the people
sharing one of its blocking keys: the same email, company + name, domain + name, or the same full name
(either way round). Indexed people columns answer that with a few chunked IN queries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Column, Engine, MetaData, Table, Text, and_, insert, select

from enrichment.dedupe.fellegi_sunter import Model
from leadpipe.store.warehouse import people

if TYPE_CHECKING:
    from enrichment.dedupe import Resolution

COLUMNS = ["person_id", "email", "first_name", "last_name", "company_key", "record", "provenance"]


# (people column, batch column) tuples mirroring the blocking passes; swapped names look both ways round
KEYS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("email",), ("email",)),
    (("company_key", "last_name"), ("company_key", "last_name")),
    (("company_key", "first_name"), ("company_key", "first_name")),
    (("domain", "last_name"), ("domain", "last_name")),
    (("domain", "first_name"), ("domain", "first_name")),
    (("first_name", "last_name"), ("first_name", "last_name")),
    (("first_name", "last_name"), ("last_name", "first_name")),
)


def _key_values(batch: pd.DataFrame, cols: tuple[str, ...]) -> list[tuple]:
    if not set(cols) <= set(batch.columns):
        return []
    arrays = []
    for c in cols:
        values = batch[c].fillna("").astype(str)
        arrays.append((values.str.lower() if cols == ("email",) else values).to_numpy(dtype=object))
    # distinct keys with no blank part, first seen first (tuples in a dict: cheaper than a frame's
    # boolean filter, drop_duplicates and itertuples, which cost more than the lookups for a 10k batch)
    return list(dict.fromkeys(t for t in zip(*arrays, strict=True) if all(t)))


def candidate_people(engine: Engine, batch: pd.DataFrame) -> pd.DataFrame:
    """Golden records sharing a blocking key with the batch: the batch's keys go into a temporary table
    (one executemany) and are joined to the indexed people columns, one join per key kind. No IN lists:
    compiling 2,000-value IN clauses cost more than the lookups themselves."""
    found: dict[str, dict] = {}
    cols = [people.c[c] for c in COLUMNS]
    with engine.begin() as conn:
        if conn.execute(select(people.c.person_id).limit(1)).first() is None:  # first run: nobody to load
            return pd.DataFrame(columns=COLUMNS)
        for n, (people_cols, batch_cols) in enumerate(KEYS):
            values = _key_values(batch, batch_cols)
            if not values:
                continue
            keys = Table(f"dedupe_keys_{n}", MetaData(), *[Column(f"k{i}", Text) for i in range(len(people_cols))],
                         prefixes=["TEMPORARY"])
            keys.create(conn)
            try:
                conn.execute(insert(keys), [{f"k{i}": v for i, v in enumerate(vals)} for vals in values])
                on = and_(*[people.c[c] == keys.c[f"k{i}"] for i, c in enumerate(people_cols)])
                for row in conn.execute(select(*cols).select_from(keys.join(people, on))).mappings():
                    found.setdefault(row["person_id"], dict(row))
            finally:
                keys.drop(conn)
    frame = pd.DataFrame(list(found.values()), columns=COLUMNS)
    return frame.sort_values("person_id", kind="stable").reset_index(drop=True) if len(frame) else frame


def load_all(engine: Engine) -> pd.DataFrame:
    """Every golden record (only for tools that really need all of history)."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(*[people.c[c] for c in COLUMNS])).mappings().all(), columns=COLUMNS)


__all__ = ["candidate_people", "load_all"]


def load_model(path: Path) -> Model | None:
    """The m/u learned by the last run that had enough data; None means 'learn from this run'."""
    if not path.exists():
        return None
    return Model.from_json(json.loads(path.read_text(encoding="utf-8")))


def save_model(path: Path, res: Resolution) -> None:
    model = res.stats.get("model")
    if model is not None and model.trained:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(model.to_json()), encoding="utf-8")

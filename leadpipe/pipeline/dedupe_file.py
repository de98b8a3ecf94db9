"""Deduplicate any lead file on its own, outside the pipeline (`leadpipe dedupe IN.csv OUT.csv`).

Headers are mapped to canonical fields the way ingest maps them (connectors.sources.mapping: a vendor preset
detected from the headers, then fuzzy aliases). The output is every input row with all its original columns
plus `cluster_id` (the first row number of the cluster) and `match_weight` (the row's strongest link, in bits).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from connectors.sources.mapping import map_headers
from enrichment.dedupe import DedupeConfig, features, match
from enrichment.normalise import normalise_frame
from leadpipe.core.schema import MAPPABLE_FIELDS
from leadpipe.core.spreadsheet import neutralise_frame

# Without one of these there is nothing to tell people apart by.
NAME_OR_EMAIL = ("email", "last_name", "full_name")


class NothingToMatchOn(ValueError):
    """The file has no column recognised as a name or an email."""


@dataclass(frozen=True)
class DedupedFile:
    rows: int
    clusters: int
    mapping: dict[str, str]  # canonical field -> header
    out_path: Path


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Canonical field -> header, as ingest maps a file with no preset or mapping configured."""
    return dict(map_headers(headers).fields)


def dedupe_frame(raw: pd.DataFrame, mapping: dict[str, str] | None = None,
                 cfg: DedupeConfig | None = None) -> pd.DataFrame:
    """cluster_id and match_weight for each row of a raw lead table (all columns as text)."""
    mapping = mapping if mapping is not None else auto_mapping(list(raw.columns))
    mapped = pd.DataFrame({f: raw[h] for f, h in mapping.items() if f in MAPPABLE_FIELDS and h in raw.columns})
    result = match(features.build(normalise_frame(mapped)), cfg or DedupeConfig())
    labels = result.labels
    first_row = pd.Series(np.arange(len(labels))).groupby(labels).transform("min").to_numpy() + 1
    return pd.DataFrame({"cluster_id": first_row, "match_weight": np.round(result.weight.astype(float), 2)})


def dedupe_csv(in_path: Path, out_path: Path) -> DedupedFile:
    """Read a lead CSV, write it back with cluster_id and match_weight; NothingToMatchOn when no name or email
    column is recognised."""
    raw = pd.read_csv(in_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    mapping = auto_mapping(list(raw.columns))
    if not set(NAME_OR_EMAIL) & set(mapping):
        raise NothingToMatchOn(f"{in_path}: no name or email column recognised among headers {list(raw.columns)}")
    out = pd.concat([raw, dedupe_frame(raw, mapping)], axis=1)
    neutralise_frame(out).to_csv(out_path, index=False)  # the vendor's cells, opened in a spreadsheet next
    return DedupedFile(len(raw), int(out["cluster_id"].nunique()), mapping, out_path)

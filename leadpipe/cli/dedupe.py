"""`leadpipe dedupe IN.csv OUT.csv`: deduplicate any lead file on its own, outside the pipeline.

Headers are auto-mapped to canonical fields the way the file source does it (a vendor preset when the headers
match one, then rapidfuzz alias matching). The output is every input row with all its original columns plus
`cluster_id` (the first row number of the cluster) and `match_weight` (the row's strongest link, in bits).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
import numpy as np
import pandas as pd

from connectors.sources.presets import PRESETS
from leadpipe.core.schema import MAPPABLE_FIELDS

log = logging.getLogger(__name__)

def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Canonical field -> header, as the file source maps them: a vendor preset whose headers are all there,
    then fuzzy aliases (connectors.sources.mapping)."""
    from connectors.sources.mapping import map_headers

    present = set(headers)
    preset = next((name for name, cols in PRESETS.items() if set(cols.values()) <= present), None)
    return dict(map_headers(headers, preset).fields)


def dedupe_frame(raw: pd.DataFrame, mapping: dict[str, str] | None = None, cfg=None) -> pd.DataFrame:
    """cluster_id and match_weight for each row of a raw lead table (all columns as text)."""
    from enrichment.dedupe import DedupeConfig, features, match
    from enrichment.normalise import normalise_frame

    mapping = mapping if mapping is not None else auto_mapping(list(raw.columns))
    mapped = pd.DataFrame({f: raw[h] for f, h in mapping.items() if f in MAPPABLE_FIELDS and h in raw.columns})
    norm = normalise_frame(mapped)
    result = match(features.build(norm), cfg or DedupeConfig())
    return _clusters(result)


def _clusters(result) -> pd.DataFrame:
    labels = result.labels
    first_row = pd.Series(np.arange(len(labels))).groupby(labels).transform("min").to_numpy() + 1
    return pd.DataFrame({"cluster_id": first_row, "match_weight": np.round(result.weight.astype(float), 2)})


def dedupe_csv(in_path: Path, out_path: Path) -> dict:
    raw = pd.read_csv(in_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    mapping = auto_mapping(list(raw.columns))
    if not ({"email", "last_name", "full_name"} & set(mapping)):
        raise click.ClickException(f"{in_path}: no name or email column recognised among headers {list(raw.columns)}")
    out = pd.concat([raw, dedupe_frame(raw, mapping)], axis=1)
    out.to_csv(out_path, index=False)
    return {"rows": len(raw), "clusters": int(out["cluster_id"].nunique()), "mapping": mapping}


@click.command("dedupe")
@click.argument("in_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_path", type=click.Path(dir_okay=False, path_type=Path))
def dedupe_command(in_path: Path, out_path: Path) -> None:
    """Deduplicate a lead CSV: every row plus cluster_id and match_weight."""
    info = dedupe_csv(in_path, out_path)
    mapped = ", ".join(f"{f}<-{h!r}" for f, h in info["mapping"].items())
    click.echo(f"{info['rows']} rows -> {info['clusters']} people; written to {out_path}\ncolumns: {mapped}")

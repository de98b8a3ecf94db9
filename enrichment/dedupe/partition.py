"""Partitioned scoring: candidate pairs split by a hash of the pair, scored on different workers, merged.

Scoring (rapidfuzz over every candidate pair) is the part of dedupe that grows with the data, so a cluster
can spread it: each worker builds the same features and candidate pairs from the same batch (cheap), keeps
the pairs whose hash falls in its partition, compares them and writes them to Parquet. The merge reads all
partitions, puts the pairs back in (left, right) order and clusters them, so the result is exactly the one
of an unpartitioned run: same clusters, same person ids, same golden records. The model is fitted once
before the workers start (matching.fit on a hash-chosen sample), never per partition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from enrichment.dedupe.comparators import COMPARATORS, Comparison, compare
from enrichment.dedupe.features import Features
from enrichment.dedupe.fellegi_sunter import Model, pair_hash
from enrichment.dedupe.matching import MatchResult, candidates, finish
from enrichment.dedupe.settings import DedupeConfig

K = len(COMPARATORS)


def in_partition(left: np.ndarray, right: np.ndarray, k: int, n: int) -> np.ndarray:
    """Pairs of partition k of n: a hash of the pair, so every partition gets a fair share of every block."""
    if not 0 <= k < n:
        raise ValueError(f"partition {k} of {n} does not exist")
    return pair_hash(left, right) % np.uint64(n) == np.uint64(k)


def score_partition(f: Features, cfg: DedupeConfig, is_existing: np.ndarray, k: int, n: int,
                    out: Path) -> Path:
    """Compare the candidate pairs of partition k of n and write them (levels and similarities) to `out`."""
    left, right, _ = candidates(f, cfg, is_existing)
    keep = in_partition(left, right, k, n)
    left, right = left[keep], right[keep]
    cmp = compare(f, left, right)
    frame = pd.DataFrame({"left": left, "right": right, "swapped": cmp.swapped, "emails_differ": cmp.emails_differ})
    for j in range(K):
        frame[f"g{j}"] = cmp.gamma[:, j]
        frame[f"s{j}"] = cmp.score[:, j]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:  # a local Path or an object-storage path alike
        frame.to_parquet(fh, index=False)
    return out


def merge_partitions(f: Features, cfg: DedupeConfig, model: Model, is_existing: np.ndarray,
                     paths: list[Path]) -> MatchResult:
    """All partitions' scored pairs, back in (left, right) order, clustered as one run would."""
    parts = []
    for path in paths:
        with path.open("rb") as fh:
            parts.append(pd.read_parquet(fh))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["left", "right"])
    frame = frame.sort_values(["left", "right"], kind="stable").reset_index(drop=True)
    left = frame["left"].to_numpy(np.int64)
    right = frame["right"].to_numpy(np.int64)
    expected = candidates(f, cfg, is_existing)[0]
    if len(expected) != len(left):  # a missing or doubled partition would silently change the clusters
        raise ValueError(f"the partitions hold {len(left)} scored pairs, the batch has {len(expected)}: "
                         "every partition must be scored exactly once")
    cmp = Comparison(
        gamma=np.stack([frame[f"g{j}"].to_numpy(np.int8) for j in range(K)], axis=1) if len(frame)
        else np.zeros((0, K), np.int8),
        score=np.stack([frame[f"s{j}"].to_numpy(np.float32) for j in range(K)], axis=1) if len(frame)
        else np.zeros((0, K), np.float32),
        swapped=frame["swapped"].to_numpy(bool), emails_differ=frame["emails_differ"].to_numpy(bool))
    return finish(f, cfg, model, is_existing, left, right, cmp)

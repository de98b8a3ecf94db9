"""Partitioned scoring: candidate pairs split by a hash of the pair, scored on different workers, merged.

Scoring (rapidfuzz over every candidate pair) is the part of dedupe that grows with the data, so a cluster
can spread it: each worker compares the pairs whose hash falls in its partition (found once for all workers
by `split_pairs`, or by the worker running the blocking itself) and writes them to Parquet. The merge reads all
partitions, puts the pairs back in (left, right) order and clusters them, so the result is exactly the one
of an unpartitioned run: same clusters, same person ids, same golden records. The model is fitted once
before the workers start (matching.fit on a hash-chosen sample), never per partition.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from enrichment.dedupe.comparators import COMPARATORS, Comparison, compare
from enrichment.dedupe.features import Features
from enrichment.dedupe.fellegi_sunter import Model, pair_hash
from enrichment.dedupe.matching import MatchResult, candidates, finish
from enrichment.dedupe.settings import DedupeConfig

K = len(COMPARATORS)
META = b"leadpipe.dedupe.partition"  # Parquet key/value metadata: which partition, of how many, of how many pairs


def _partition_of(left: np.ndarray, right: np.ndarray, n: int) -> np.ndarray:
    """Each pair's partition of n: a hash of the pair, so every partition gets a fair share of every block."""
    return pair_hash(left, right) % np.uint64(n)


def in_partition(left: np.ndarray, right: np.ndarray, k: int, n: int) -> np.ndarray:
    """Pairs of partition k of n."""
    if not 0 <= k < n:
        raise ValueError(f"partition {k} of {n} does not exist")
    return _partition_of(left, right, n) == np.uint64(k)


def split_pairs(left: np.ndarray, right: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The candidate pairs of each of n partitions, in candidate order: what in_partition keeps for each k,
    hashed once for all of them."""
    part = _partition_of(left, right, n)
    return [(left[part == k], right[part == k]) for k in range(n)]


def score_partition(f: Features, cfg: DedupeConfig, is_existing: np.ndarray, k: int, n: int,
                    out: Path, pairs: tuple[np.ndarray, np.ndarray, int] | None = None) -> Path:
    """Compare the candidate pairs of partition k of n and write them (levels and similarities) to `out`.

    `pairs`: this partition's candidate pairs and the batch's total number of pairs, when the planner found
    them once for all partitions (split_pairs); else every worker runs the blocking and keeps its share.
    The file also records k, n and the batch's total number of candidate pairs, so the merge can check that
    every partition is there exactly once without rerunning the blocking (at 1M rows, seconds per run)."""
    if pairs is None:
        left, right, _ = candidates(f, cfg, is_existing)
        total = len(left)
        keep = in_partition(left, right, k, n)
        left, right = left[keep], right[keep]
    else:
        left, right, total = pairs
    cmp = compare(f, left, right)
    frame = pd.DataFrame({"left": left, "right": right, "swapped": cmp.swapped, "emails_differ": cmp.emails_differ})
    for j in range(K):
        frame[f"g{j}"] = cmp.gamma[:, j]
        frame[f"s{j}"] = cmp.score[:, j]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {**(table.schema.metadata or {}), META: json.dumps({"k": k, "n": n, "total_pairs": total}).encode()}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:  # a local Path or an object-storage path alike
        pq.write_table(table.replace_schema_metadata(meta), fh, compression="none")  # read once, by the merge
    return out


def _recorded(path: Path) -> dict | None:
    """What score_partition recorded about the file (k, n, total_pairs); None for a file written without it."""
    with path.open("rb") as fh:
        meta = pq.read_schema(fh).metadata or {}
    return json.loads(meta[META]) if META in meta else None


def _check_complete(f: Features, cfg: DedupeConfig, is_existing: np.ndarray, paths: list[Path], pairs: int) -> None:
    """A missing or doubled partition would silently change the clusters: refuse it. Checked from what each
    partition recorded (every partition of n exactly once, and their pairs add up to the batch's total);
    only files without that record fall back to counting the candidate pairs again."""
    recorded = [_recorded(p) for p in paths]
    if recorded and all(r is not None for r in recorded):
        n = {r["n"] for r in recorded}
        totals = {r["total_pairs"] for r in recorded}
        ks = sorted(r["k"] for r in recorded)
        if len(n) == 1 and len(totals) == 1 and ks == list(range(n.pop())) and pairs == totals.pop():
            return
        expected = max((r["total_pairs"] for r in recorded), default=0)
    else:
        expected = len(candidates(f, cfg, is_existing)[0])
        if expected == pairs:
            return
    raise ValueError(f"the partitions hold {pairs} scored pairs, the batch has {expected}: "
                     "every partition must be scored exactly once")


def merge_partitions(f: Features, cfg: DedupeConfig, model: Model, is_existing: np.ndarray,
                     paths: list[Path]) -> MatchResult:
    """All partitions' scored pairs, back in (left, right) order, clustered as one run would."""
    parts = []
    for path in paths:
        with path.open("rb") as fh:
            parts.append(pd.read_parquet(fh))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["left", "right"])
    # each partition is in (left, right) order already: a stable sort of one int64 key merges the runs
    # (timsort finds them) where a two-column lexsort sorted every pair again
    key = frame["left"].to_numpy(np.int64) * np.int64(max(len(f), 1)) + frame["right"].to_numpy(np.int64)
    frame = frame.take(np.argsort(key, kind="stable")).reset_index(drop=True)
    left = frame["left"].to_numpy(np.int64)
    right = frame["right"].to_numpy(np.int64)
    _check_complete(f, cfg, is_existing, paths, len(left))
    cmp = Comparison(
        gamma=np.stack([frame[f"g{j}"].to_numpy(np.int8) for j in range(K)], axis=1) if len(frame)
        else np.zeros((0, K), np.int8),
        score=np.stack([frame[f"s{j}"].to_numpy(np.float32) for j in range(K)], axis=1) if len(frame)
        else np.zeros((0, K), np.float32),
        swapped=frame["swapped"].to_numpy(bool), emails_differ=frame["emails_differ"].to_numpy(bool))
    return finish(f, cfg, model, is_existing, left, right, cmp)

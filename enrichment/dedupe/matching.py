"""Blocking -> comparators -> Fellegi-Sunter weights -> guarded clusters: the whole matcher, on arrays."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enrichment.dedupe.blocking import candidate_pairs
from enrichment.dedupe.clustering import cluster
from enrichment.dedupe.comparators import COMPARATORS, Comparison, compare
from enrichment.dedupe.features import Features
from enrichment.dedupe.fellegi_sunter import Model, refine_prior, score, train, train_sample
from enrichment.dedupe.settings import DedupeConfig

log = logging.getLogger(__name__)
# The chaining guard splits a component only at a pair that is clearly two people: a hard rule (different
# names, two emails with other names) or evidence against of more than GUARD_BITS. A pair that is merely
# unproven (Antonio Fernández with a work address and a private one, nothing else to compare) is no conflict:
# at 1M, "probability below review" as the conflict split 619 true links apart.
GUARD_BITS = -5.0


@dataclass
class MatchResult:
    labels: np.ndarray  # cluster label per record
    partner: np.ndarray  # per record: the record it matched most strongly in its cluster, -1 if none
    weight: np.ndarray  # per record: weight of that link (nan if none)
    probability: np.ndarray
    evidence: list[dict | None]  # per record: comparator levels, scores and bits of that link
    review: pd.DataFrame  # left, right, weight, probability: possible matches, not merged
    model: Model
    stats: dict = field(default_factory=dict)


def candidates(f: Features, cfg: DedupeConfig, is_existing: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Candidate pairs (sorted by left, right); in an incremental run only pairs touching a new row."""
    is_existing = np.zeros(len(f), bool) if is_existing is None else is_existing
    touching = None if not is_existing.any() else ~is_existing
    return candidate_pairs(f, cfg.max_block_size, touching)


def fit(f: Features, cfg: DedupeConfig, left: np.ndarray, right: np.ndarray,
        cmp: Comparison | None = None) -> Model:
    """m/u for this run: learned by EM on a deterministic sample of the candidate pairs, or the defaults.

    The sample depends only on the pairs themselves, so a partitioned run (which fits once, before the
    workers score) and an in-process run learn exactly the same model. `cmp`, when given, is the comparison
    of all pairs, so the sample needs no second comparison.
    """
    if not cfg.train:
        return Model.default()
    keep = train_sample(left, right, len(f))
    sample = cmp.take(keep) if cmp is not None else compare(f, left[keep], right[keep])
    model = train(f, sample, total_pairs=len(left))
    return refine_prior(model, f, left[keep], right[keep], sample, total_pairs=len(left))


def match(f: Features, cfg: DedupeConfig, is_existing: np.ndarray | None = None,
          model: Model | None = None) -> MatchResult:
    is_existing = np.zeros(len(f), bool) if is_existing is None else is_existing
    left, right, per_pass = candidates(f, cfg, is_existing)
    cmp = compare(f, left, right)
    if model is None:
        model = fit(f, cfg, left, right, cmp)
    return finish(f, cfg, model, is_existing, left, right, cmp, per_pass)


def finish(f: Features, cfg: DedupeConfig, model: Model, is_existing: np.ndarray, left: np.ndarray,
           right: np.ndarray, cmp: Comparison, per_pass: dict[str, int] | None = None) -> MatchResult:
    """Scored candidate pairs -> weights -> guarded clusters, the strongest link per record and the review list.

    Pairs must come sorted by (left, right): ties in clustering break by that order, so scoring the pairs in
    partitions and concatenating them back gives the same clusters as scoring them in one go.
    """
    n = len(f)
    s = score(model, f, left, right, cmp)
    # a name alone, with no company to agree on, is a namesake: kept for review at most, never merged directly
    is_match = (s.probability >= cfg.match_probability) & ~s.unidentified
    in_review = ~is_match & (s.probability >= cfg.review_probability)

    def clearly_different(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(a) == 0:
            return np.zeros(0, bool)
        c = compare(f, a, b)
        sc = score(model, f, a, b, c)
        return sc.cannot_link | (sc.weight < GUARD_BITS)

    ml, mr, mw = left[is_match], right[is_match], s.weight[is_match]
    labels, splits = cluster(n, ml, mr, mw, clearly_different, is_existing)
    # per record, its strongest link that survived clustering: that link is the merge's explanation
    kept = np.nonzero(is_match)[0]
    kept = kept[labels[left[kept]] == labels[right[kept]]]
    order = kept[np.argsort(-s.weight[kept], kind="stable")]
    ends = pd.DataFrame({"node": np.r_[left[order], right[order]], "other": np.r_[right[order], left[order]],
                         "edge": np.r_[order, order], "w": np.r_[s.weight[order], s.weight[order]]})
    best = ends.sort_values("w", ascending=False, kind="stable").drop_duplicates("node")
    partner = np.full(n, -1, np.int64)
    weight = np.full(n, np.nan, np.float32)
    prob = np.full(n, np.nan)
    edge = np.full(n, -1, np.int64)
    nodes = best["node"].to_numpy()
    partner[nodes] = best["other"].to_numpy()
    edge[nodes] = best["edge"].to_numpy()
    weight[nodes] = s.weight[edge[nodes]]
    prob[nodes] = s.probability[edge[nodes]]
    review = pd.DataFrame({"left": left[in_review], "right": right[in_review], "weight": s.weight[in_review],
                           "probability": s.probability[in_review]})
    stats = {"records": n, "candidate_pairs": len(left), "pairs_per_pass": per_pass or {},
             "matched_pairs": int(is_match.sum()), "review_pairs": int(in_review.sum()),
             "clusters": int(labels.max()) + 1 if n else 0,  # labels are dense
             "split_by_guard": splits, "trained": model.trained}
    log.info("dedupe matcher: %d records, %d candidate pairs, %d matched, %d for review, %d clusters "
             "(%d split by the chaining guard)", n, len(left), stats["matched_pairs"], stats["review_pairs"],
             stats["clusters"], splits)
    return MatchResult(labels, partner, weight, prob, _Evidence(cmp, s, edge), review, model, stats)


# The evidence's shape, shared with its column-wise JSON twin (resolution.LinkEvidence.json_texts): decimals kept
# per number, the name of level 0, and the note on a swapped name.
EVIDENCE_DECIMALS = {"weight": 2, "probability": 4, "similarity": 3, "bits": 2}
MISSING_LEVEL = "missing"
SWAPPED_NOTE = "first and last name swapped"


class _Evidence:
    """Per-record evidence, built into dicts only for the records someone asks about (`many` for bulk)."""

    def __init__(self, cmp, s, edge: np.ndarray) -> None:
        self.cmp, self.s, self.edge = cmp, s, edge

    def __getitem__(self, i: int) -> dict | None:
        return self.many(np.array([i]))[0]

    def many(self, nodes: np.ndarray) -> list[dict | None]:
        e = self.edge[nodes]
        ok = e >= 0
        ee = e[ok]
        # per comparator column, then zipped per record: no per-value indexing or NaN test in Python
        gamma = self.cmp.gamma[ee]
        score = np.round(self.cmp.score[ee].astype(float), EVIDENCE_DECIMALS["similarity"])
        bits = np.round(self.s.bits[ee].astype(float), EVIDENCE_DECIMALS["bits"])
        names = [c.name for c in COMPARATORS]
        levels = [np.array((MISSING_LEVEL, *c.levels), dtype=object)[gamma[:, k]].tolist()
                  for k, c in enumerate(COMPARATORS)]
        sims = [np.where(np.isnan(score[:, k]), None, score[:, k].astype(object)).tolist()
                for k in range(len(COMPARATORS))]
        bit_cols = [bits[:, k].tolist() for k in range(len(COMPARATORS))]
        weight = np.round(self.s.weight[ee].astype(float), EVIDENCE_DECIMALS["weight"]).tolist()
        prob = np.round(self.s.probability[ee].astype(float), EVIDENCE_DECIMALS["probability"]).tolist()
        swapped = self.cmp.swapped[ee].tolist()
        built = []
        for w, p, sw, lv, sm, bt in zip(weight, prob, swapped, zip(*levels), zip(*sims), zip(*bit_cols),
                                        strict=True):
            comps = {n: {"level": a, "similarity": b, "bits": c} for n, a, b, c in zip(names, lv, sm, bt)}
            if sw:
                comps["first_name"]["note"] = SWAPPED_NOTE
            built.append({"weight": w, "probability": p, "comparators": comps})
        out: list[dict | None] = [None] * len(nodes)
        for pos, ev in zip(np.nonzero(ok)[0].tolist(), built, strict=True):
            out[pos] = ev
        return out

    def __len__(self) -> int:
        return len(self.edge)

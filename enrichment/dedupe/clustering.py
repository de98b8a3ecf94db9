"""Clusters from matched pairs, with a guard against chaining.

Connected components alone glue two people together through one weak link (Jane Doe ~ J. Doe ~ John Doe).
So every component that is not a clique of matches has all its internal pairs scored; when any of them is a
clear non-match (or two existing golden records), the component is rebuilt greedily, strongest link first,
never joining two groups that contain a clear non-match between them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

MAX_CHECKED_COMPONENT = 300  # all-pairs scoring above this is too costly; such components keep known conflicts only

PairJudge = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (a, b) -> bool "clearly different people"


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if n == 0:
        return np.zeros(0, np.int64)
    graph = coo_matrix((np.ones(len(left), np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _internal_pairs(labels: np.ndarray, members_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs within the given components (members_of: bool mask of nodes to pair up)."""
    nodes = np.nonzero(members_of)[0]
    order = nodes[np.argsort(labels[nodes], kind="stable")]
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    left, right = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for s in np.unique(sizes[sizes >= 2]):
        rows = order[starts[sizes == s][:, None] + np.arange(s)]
        iu, ju = np.triu_indices(s, k=1)
        left.append(rows[:, iu].ravel())
        right.append(rows[:, ju].ravel())
    return np.concatenate(left), np.concatenate(right)


def cluster(n: int, left: np.ndarray, right: np.ndarray, weight: np.ndarray, clearly_different: PairJudge,
            is_existing: np.ndarray) -> tuple[np.ndarray, int]:
    """Final cluster label per node and how many components the guard had to split."""
    labels = components(n, left, right)
    if len(left) == 0:
        return labels, 0
    sizes = np.bincount(labels)
    edges_per = np.bincount(labels[left], minlength=len(sizes))
    existing_per = np.bincount(labels, weights=is_existing.astype(float), minlength=len(sizes))
    suspect = ((sizes >= 3) & (edges_per < sizes * (sizes - 1) // 2)) | (existing_per >= 2)
    checkable = suspect & (sizes <= MAX_CHECKED_COMPONENT)
    a, b = _internal_pairs(labels, checkable[labels])
    bad = clearly_different(a, b) | (is_existing[a] & is_existing[b])
    big = np.nonzero(suspect & ~checkable)[0]
    if len(big):  # too big to check every pair: at least never merge two golden records
        old = np.nonzero(is_existing & np.isin(labels, big))[0]
        a2, b2 = _internal_pairs(labels, np.isin(np.arange(n), old))
        a, b, bad = np.r_[a, a2], np.r_[b, b2], np.r_[bad, np.ones(len(a2), bool)]
    conflicted = np.unique(labels[a[bad]])
    if len(conflicted) == 0:
        return labels, 0
    conflicts: dict[int, set[int]] = {}
    for x, y in zip(a[bad].tolist(), b[bad].tolist(), strict=True):
        conflicts.setdefault(x, set()).add(y)
        conflicts.setdefault(y, set()).add(x)
    in_conflicted = np.isin(labels[left], conflicted)
    el, er, ew = left[in_conflicted], right[in_conflicted], weight[in_conflicted]
    order = np.argsort(-ew, kind="stable")
    # Greedy rebuild, strongest link first. Only conflicted components get here: a few, not all pairs.
    group: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    for x, y in zip(el[order].tolist(), er[order].tolist(), strict=True):
        gx, gy = group.setdefault(x, x), group.setdefault(y, y)
        members.setdefault(gx, {x})
        members.setdefault(gy, {y})
        if gx == gy:
            continue
        mx, my = members[gx], members[gy]
        if any(conflicts.get(v, set()) & my for v in mx):
            continue
        if len(mx) < len(my):
            gx, gy, mx, my = gy, gx, my, mx
        mx |= my
        for v in my:
            group[v] = gx
        del members[gy]
    next_label = labels.max() + 1
    for g, mem in members.items():
        idx = np.fromiter(mem, np.int64)
        labels[idx] = next_label + g
    # nodes of conflicted components with no kept edge become singletons
    lonely = np.nonzero(np.isin(labels, conflicted))[0]
    labels[lonely] = next_label + n + lonely
    return _dense(labels), len(conflicted)


def _dense(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 in sorted order (np.unique's inverse, without hashing a million values)."""
    present = np.zeros(int(labels.max()) + 1, bool)
    present[labels] = True
    return (np.cumsum(present) - 1)[labels].astype(np.int64)

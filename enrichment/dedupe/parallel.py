"""Threads for the matcher's array work.

Arrow kernels, numpy sorts and gathers and rapidfuzz release the GIL, so independent slices of the work run
on all cores inside one process. Threads, not processes: Airflow and Celery workers run tasks in daemonic
processes, which may not start children, and threads share the feature arrays without copying them.
Every caller splits work so that the result does not depend on how many threads ran it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import TypeVar

import numpy as np

MIN_SLICE = 100_000  # pairs: below this a thread costs more than it saves
T = TypeVar("T")
R = TypeVar("R")


def threads() -> int:
    """LEADPIPE_DEDUPE_THREADS, else the cores this process may use (at most 8)."""
    configured = os.environ.get("LEADPIPE_DEDUPE_THREADS", "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"LEADPIPE_DEDUPE_THREADS must be a whole number of threads (1 or more), "
                             f"not {configured!r}")
        return int(configured)
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def thread_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """fn over items on `threads()` threads, results in the order of items."""
    items = list(items)
    n = min(threads(), len(items))
    if n <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, items))


def on_slices(total: int, work: Callable[[slice], R]) -> R:
    """work over contiguous slices of range(total) on threads, the results (dataclasses of arrays) joined
    field by field in slice order: the same result as work(slice(0, total)) when work is row-wise."""
    parts = thread_map(work, slices(total))
    if len(parts) == 1:
        return parts[0]
    return type(parts[0])(*(np.concatenate([getattr(p, f.name) for p in parts])
                            for f in dataclasses.fields(parts[0])))


def slices(total: int) -> list[slice]:
    """Contiguous slices of about equal size, one per thread, none smaller than MIN_SLICE."""
    k = max(1, min(threads(), total // max(MIN_SLICE, 1)))
    bounds = [total * i // k for i in range(k + 1)]
    return [slice(a, b) for a, b in pairwise(bounds)]

"""Normalisation on every core: `normalise_frame` with its distinct values normalised in worker processes.

`normalise_frame` reduces each field to its distinct values (tuples for fields read together, such as phone and
region) and hands them to a runner. This one cuts them into chunks and sends the chunks to a pool of forked
processes; results come back in order and are spread over the rows as before, so the output is the same as
normalising in one process (a test compares both). Processes, not threads: the normalisers are pure Python
(phonenumbers, email-validator, nameparser) and hold the GIL.

The workers are forked once, small, before big data is loaded, and each builds the lookup tables (countries,
free-mail and disposable domains, name vocabulary, the public suffix list, cleanco's terms) as it starts, while
the parent reads. Each worker keeps its per-value caches across calls.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa

from enrichment.normalise import DistinctRunner, apply_rows, clear_value_caches, normalise_frame

CHUNK = 10_000  # distinct values per task: big enough to amortise pickling, small enough to balance two cores
INLINE_BELOW = 2_000  # fewer distinct values than this are normalised in the parent: a round trip costs more


def _warm_up() -> None:
    """Build the lookup tables (each worker as it starts, while its parent reads; with one worker, the parent)."""
    sample = pd.DataFrame({
        "first_name": ["ANNA", "Dr. Hans"], "last_name": ["van der berg", "Müller"], "full_name": ["", "Ann Lee"],
        "email": ["anna@gmail.com", "Hans <h.mueller@acme-bau.de>"], "phone": ["+49 30 1234567", "030 1234567"],
        "company": ["Acme GmbH", "#N/A"], "website": ["https://www.acme.co.uk", ""], "country": ["Germany", "DE"],
        "state": ["Bayern", "CA"], "street": ["Hauptstr. 5", ""], "postcode": ["10115", ""],
    })
    normalise_frame(sample)


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class NormalisePool(DistinctRunner):
    """A context manager holding `workers` normalising processes (one: no processes, all in this one).

    The processes are forked on entry, while this one is still small (a fork's pages count in its memory use
    even where they are shared), and each builds its lookup tables as it starts, while this process goes on
    (reading the file)."""

    def __init__(self, workers: int | None = None, chunk: int = CHUNK):
        self.workers = max(1, workers or default_workers())
        self.chunk = chunk
        self._pool: Any = None

    def __enter__(self) -> Self:
        if self.workers > 1:
            self._pool = multiprocessing.get_context("fork").Pool(self.workers, initializer=_warm_up)
        else:
            _warm_up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End the worker processes now (their per-value caches with them); later work runs in this process.
        A caller done normalising frees their memory before its next step instead of at the end of the block."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def submit(self, fn: Callable[..., Any], columns: list[list[Any]]) -> Callable[[], list[Any]]:
        rows = len(columns[0])
        if self._pool is None or rows < INLINE_BELOW:
            results = apply_rows(fn, columns)
            return lambda: results
        pending = [self._pool.apply_async(apply_rows, (fn, [c[i:i + self.chunk] for c in columns]))
                   for i in range(0, rows, self.chunk)]
        done: list[list[Any]] = []

        def results() -> list[Any]:
            if not done:
                done.append([r for part in pending for r in part.get()])
            return done[0]

        return results

    def normalise_rows(self, table: pa.Table, parts: Iterable[np.ndarray],
                       only: Collection[str]) -> Iterator[pa.Table]:
        """Each part (row numbers of `table`, best in increasing order: the cells are then read front to back)
        normalised whole by one worker, in order: the columns `only` names (normalise_frame's `only`: the fields
        that give none of them are not normalised).

        Here the rows are split across the cores, not a frame's distinct values: every step of normalise_frame
        (finding the distinct values, spreading the results over the rows, building the columns) runs on the
        workers too, where `normalise_frame` leaves it to this process (at 1M rows about a third of the work, done
        while the workers wait), and what travels is a part's columns, not each distinct value and its result as
        Python objects. A value found in two parts is normalised twice; callers cut parts that share few.
        Parts travel as Arrow tables both ways: pickled as their buffers, a fifth of a pandas frame's cost, paid
        by this process while the workers wait for it. Results come back with pandas' metadata (`to_pandas()`
        gives normalise_frame's columns as it made them)."""
        taken = (table.take(rows) for rows in parts)
        if self._pool is None:
            for part in taken:
                yield _normalised_part(part, only)
            return
        yield from self._pool.imap(functools.partial(_normalised_part, only=only), taken)

    def normalise_frame(self, df: pd.DataFrame, last: bool = False,
                        only: Collection[str] | None = None) -> pd.DataFrame:
        """enrichment.normalise.normalise_frame, its distinct values normalised by this pool. `last`: no other
        frame follows, so the workers end as soon as the last result is in, before the output columns are built
        (their memory and the output's are never held at once)."""
        return normalise_frame(df, runner=_Last(self) if last else self, only=only)


def _normalised_part(part: pa.Table, only: Collection[str]) -> pa.Table:
    normalised = normalise_frame(part.to_pandas(), only=only)
    clear_value_caches()  # the next part shares few values with this one; keep its memory, not theirs
    return pa.Table.from_pandas(normalised, preserve_index=False)


class _Last:
    """A pool as a runner that stops the pool when normalise_frame has every result."""

    def __init__(self, pool: NormalisePool):
        self.pool = pool

    def submit(self, fn: Callable[..., Any], columns: list[list[Any]]) -> Callable[[], list[Any]]:
        return self.pool.submit(fn, columns)

    def finished(self) -> None:
        self.pool.stop()

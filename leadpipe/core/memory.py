"""Give memory the process has freed back to the operating system, between the phases of a large task.

A task's peak RSS is what the workers are sized by, and at 1M rows much of it is memory already freed but
kept by an allocator: glibc keeps freed heap chunks below its 32 MiB mmap threshold (a 1M-row int64 column
is 8 MiB), and Arrow's pool (mimalloc or jemalloc) keeps freed pages for reuse by Arrow only. Neither gives
them to the other, so one phase's garbage in one allocator adds to the next phase's peak in the other. In the
dedupe merge that was about 1 GB of a 3.5 GB peak. Releasing costs a few milliseconds; call it after a phase
that built and dropped large frames, not in a loop.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

import pyarrow as pa


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None on another C library (musl, macOS): then only Arrow's pool is released."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Return the freed pages of Arrow's pool and of the C heap to the OS (no live object is touched)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

"""A shared request budget for one CRM app: at most N requests in any rolling window.

HubSpot counts requests in a rolling 10-second window per app, so a token bucket (which allows a full
bucket plus the refill inside one window) can overshoot it; a sliding log of send times cannot. A slot is
held from the moment a request is sent until its answer arrives, and only then starts its window: HubSpot
saw the request somewhere in between, so on a busy machine, where a request can leave late, our window
can never end before HubSpot's does.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class RequestLimiter(Protocol):
    """What a sink needs from a request budget: hold a slot per request, and pause everyone after a 429.

    The push stage hands a sink a factory for these (SinkContext.limiter): a budget shared by every process
    through Redis or the warehouse (leadpipe.store.request_budget), or this module's per-process one.
    """

    waited: float  # seconds this process spent waiting for the budget

    def slot(self) -> AbstractContextManager[None]: ...

    def pause(self, seconds: float) -> None: ...


# (budget key naming the CRM account/app, max requests, window seconds) -> a limiter for that budget
LimiterFactory = Callable[[str, int, float], RequestLimiter]


def local_limiter(key: str, max_requests: int, window: float) -> RequestLimiter:
    """A budget for this process only (tests, one-off CLI use): nothing shared with other processes."""
    return RollingWindowLimiter(max_requests, window)


class RollingWindowLimiter:
    """`with limiter.slot():` blocks until one more request keeps us within `max_requests` per `window` s."""

    def __init__(self, max_requests: int, window: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if max_requests < 1 or window <= 0:
            raise ValueError("a rate limit needs at least 1 request per positive window")
        self.max_requests = max_requests
        self.window = window
        self._clock, self._sleep = clock, sleep
        self._slots: list[list[float]] = []  # [answered_at]; inf while the request is in flight
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self.waited = 0.0

    def _acquire(self) -> list[float]:
        while True:
            with self._lock:
                now = self._clock()
                self._slots = [s for s in self._slots if now - s[0] < self.window]
                wait = max(self._paused_until - now, 0.0)
                if not wait and len(self._slots) < self.max_requests:
                    slot = [math.inf]
                    self._slots.append(slot)
                    return slot
                if not wait:
                    oldest = min(s[0] for s in self._slots)
                    # all in flight: poll briefly until one is answered
                    wait = self.window - (now - oldest) if oldest != math.inf else 0.01
            self.waited += wait
            self._sleep(wait)

    @contextmanager
    def slot(self) -> Iterator[None]:
        slot = self._acquire()
        try:
            yield
        finally:
            with self._lock:
                slot[0] = self._clock()

    def pause(self, seconds: float) -> None:
        """The CRM said 'slow down': nobody sends for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

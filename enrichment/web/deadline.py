"""Wall-clock limits for fetching: one deadline per request, a time budget per site and per run.

urllib3's timeouts apply to each socket operation, so a server that sends one byte every few seconds
never trips them (a page took 12 s against a 2 s limit). Here a watchdog thread shuts a request's socket
when its deadline passes: the blocked read returns at once and the fetcher reports the deadline. Site and
run budgets are plain deadlines that every request and every wait is clamped to.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """Time left for some work, on the monotonic clock; `reason` is what a result says when it runs out."""

    until: float
    reason: str

    @classmethod
    def of(cls, seconds: float, reason: str) -> Budget:
        return cls(time.monotonic() + seconds, reason)

    def remaining(self) -> float:
        return self.until - time.monotonic()

    @property
    def spent(self) -> bool:
        return self.remaining() <= 0


def tightest(*budgets: Budget | None) -> Budget | None:
    """The budget that runs out first (None when there is none)."""
    live = [b for b in budgets if b is not None]
    return min(live, key=lambda b: b.until) if live else None


class PageClock:
    """One request's budget and the sockets it opened; `cut` shuts them so that blocked reads return."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.expired = False
        self.finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        """Called as soon as a connection's socket exists, before TLS, so a stalled handshake is cut too."""
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shut(sock)

    def cut(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            self._sockets = []


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed or never connected
        pass


class Watchdog:
    """One thread for all requests of a fetcher: cuts each request's sockets when its deadline passes.

    The thread only runs while some request is being watched, so idle fetchers hold no thread.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, PageClock]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._running = False

    @contextmanager
    def watch(self, budget: Budget) -> Iterator[PageClock]:
        clock = PageClock(budget)
        with self._cond:
            heapq.heappush(self._heap, (budget.until, next(self._seq), clock))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="fetch-watchdog", daemon=True).start()
            self._cond.notify()
        try:
            yield clock
        finally:
            clock.finish()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].finished:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._running = False
                    return
                until, _, clock = self._heap[0]
                wait = until - time.monotonic()
                if wait > 0:
                    self._cond.wait(min(wait, 1.0))  # wakes early for a new, earlier deadline
                    continue
                heapq.heappop(self._heap)
            clock.cut()

"""Politeness: one request in flight per site, a minimum pause between requests, robots.txt obeyed.

The pause is taken inside the transport, so answers served from the HTTP cache never wait.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from protego import Protego

from enrichment.normalise import registrable_domain
from enrichment.web.deadline import Budget


def site_key(host: str) -> str:
    """Requests to www.acme.com and acme.com share one slot (a crude registrable domain, no network)."""
    return registrable_domain(host) or host


class SiteBusy(TimeoutError):
    """The site's turn would come too late for the caller's time budget."""


class DomainGate:
    """Per-site lock plus minimum delay (or the site's Crawl-delay, whichever is longer)."""

    def __init__(self, min_delay: float, jitter: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_delay, self.jitter, self._clock, self._sleep = min_delay, jitter, clock, sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._crawl_delay: dict[str, float] = {}
        self._guard = threading.Lock()

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        with self._guard:
            self._crawl_delay[site_key(host)] = float(seconds)

    def delay_for(self, host: str) -> float:
        return max(self.min_delay, self._crawl_delay.get(site_key(host), 0.0))

    @contextmanager
    def slot(self, host: str, deadline: float | None = None) -> Iterator[None]:
        """Wait for this site's turn; SiteBusy when the turn would come after `deadline` (monotonic clock)."""
        key = site_key(host)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=-1 if deadline is None else max(0.0, deadline - self._clock())):
            raise SiteBusy("another request to this site is still running")
        try:
            last = self._last.get(key)
            if last is not None:
                wait = last + self.delay_for(host) + random.uniform(0, self.jitter) - self._clock()
                if wait > 0:
                    if deadline is not None and self._clock() + wait > deadline:
                        raise SiteBusy(f"the site's {self.delay_for(host):g}s pause between requests")
                    self._sleep(wait)
            try:
                yield
            finally:  # measured from the end of a request, so a slow answer never shortens the pause
                self._last[key] = self._clock()
        finally:
            lock.release()


class RobotsRules:
    """robots.txt per origin with RFC 9309 status handling: 2xx parsed, 4xx allow all, 5xx or unreachable
    disallow all (429 counts as unreachable: a rate-limited site should not be crawled)."""

    def __init__(self, fetch: Callable[[str, Budget | None], tuple[int, str]], user_agent: str,
                 gate: DomainGate) -> None:
        self._fetch, self._agent, self._gate = fetch, user_agent, gate
        self._rules: dict[str, Protego | bool] = {}
        self._notes: dict[str, str] = {}
        self._guard = threading.Lock()

    def why_not(self, url: str) -> str:
        """Why `allowed` said no: rules, an error status or an unreachable robots.txt."""
        return self._notes.get(_origin(url), "robots.txt disallows this page")

    def allowed(self, url: str, budget: Budget | None = None) -> bool:
        """Whether robots.txt lets us fetch `url`; reading robots.txt counts against `budget`."""
        parts = urlsplit(url)
        origin = _origin(url)
        with self._guard:
            rules = self._rules.get(origin)
        if rules is None:
            rules = self._load(origin, parts.hostname or "", budget)
            with self._guard:
                self._rules[origin] = rules
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(url, self._agent)

    def _load(self, origin: str, host: str, budget: Budget | None) -> Protego | bool:
        try:
            status, text = self._fetch(origin + "/robots.txt", budget)
        except Exception as exc:  # noqa: BLE001 - any failure to read robots.txt means "do not crawl"
            self._notes[origin] = f"robots.txt unreachable ({getattr(exc, 'reason', exc.__class__.__name__)})"
            return False
        if 200 <= status < 300:
            rules = Protego.parse(text)
            delay = rules.crawl_delay(self._agent)
            if delay:
                self._gate.set_crawl_delay(host, min(float(delay), 60.0))
            return rules
        if 400 <= status < 500 and status != 429:
            return True
        self._notes[origin] = f"robots.txt answered HTTP {status}: site treated as off-limits"
        return False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

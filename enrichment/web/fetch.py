"""A fetcher for URLs that strangers typed: checked, pinned, bounded, polite and cached.

requests + requests-cache on top; underneath, a transport adapter that checks every request's address
(safety.py), connects to exactly that address with the original Host header and TLS name, waits for the
site's politeness slot, caps the decoded body and enforces a wall-clock deadline. Redirects are followed
here by hand so every hop is checked again. Failures raise FetchError with a short reason that ends up
in the company's `enrichment_reason`, never as a failed run.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import certifi
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

from enrichment.web.deadline import Budget, PageClock, Watchdog, tightest
from enrichment.web.politeness import DomainGate, SiteBusy
from enrichment.web.safety import ResolveTimeout, SafetyPolicy, UnsafeURL
from enrichment.web.settings import WebEnrichmentConfig
from leadpipe.core.retry import (
    GIVE_UP,
    TRANSIENT_STATUSES,
    RetryPolicy,
    Verdict,
    classify_status,
    retry_after_seconds,
)

log = logging.getLogger("leadpipe.enrichment.web")

HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A page could not be had; `reason` is short and safe to store."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class Page:
    url: str  # final URL after redirects
    status: int
    content_type: str
    body: bytes
    encoding: str | None
    from_cache: bool

    @property
    def text(self) -> str:
        return self.body.decode(self.encoding or "utf-8", errors="replace")


class _HandsSocketToClock:
    """Hands its socket to the request's PageClock the moment it exists (before TLS), so the watchdog can cut it."""

    def __init__(self, *args, clock: PageClock, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._clock.attach(sock)
        return sock


class _GuardedHTTPConnection(_HandsSocketToClock, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_HandsSocketToClock, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked IP only; caps, deadlines and politeness live here (cache misses only).

    Each request gets one deadline from the name look-up to the last body byte: the page deadline, or the
    caller's site/run budget when that ends sooner. The caller's budget is per thread (`within`), because
    requests and requests-cache pass no extra arguments down to the adapter.
    """

    def __init__(self, policy: SafetyPolicy, settings: WebEnrichmentConfig, gate: DomainGate) -> None:
        super().__init__(max_retries=0)
        self.policy, self.settings, self.gate = policy, settings, gate
        self.watchdog = Watchdog()
        self._local = threading.local()  # .budget: the caller's; .clock: the request's (one request per thread)

    @contextmanager
    def within(self, budget: Budget | None) -> Iterator[None]:
        previous = getattr(self._local, "budget", None)
        self._local.budget = budget
        try:
            yield
        finally:
            self._local.budget = previous

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        clock: PageClock = self._local.clock
        try:
            target = self.policy.check(request.url, timeout=max(clock.budget.remaining(), 0.001))
        except ResolveTimeout:
            raise FetchError(clock.budget.reason) from None
        if target.scheme == "https":
            return _GuardedHTTPSPool(target.ip, target.connect_port, maxsize=1, retries=False,
                                     server_hostname=target.host, assert_hostname=target.host,
                                     cert_reqs="CERT_REQUIRED", ca_certs=self.policy.ca_bundle or certifi.where(),
                                     clock=clock)
        return _GuardedHTTPPool(target.ip, target.connect_port, maxsize=1, retries=False, clock=clock)

    def cert_verify(self, conn, url, verify, cert) -> None:
        """Pools are built verified (CERT_REQUIRED, CA bundle, site name) above; nothing may loosen that."""

    def add_headers(self, request, **kwargs) -> None:
        request.headers["Host"] = urlsplit(request.url).hostname or ""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        s = self.settings
        outer: Budget | None = getattr(self._local, "budget", None)
        try:
            with self.gate.slot(urlsplit(request.url).hostname or "", outer.until if outer else None):
                page = tightest(Budget.of(s.page_deadline_seconds,
                                          f"page deadline exceeded ({s.page_deadline_seconds:g}s)"), outer)
                with self.watchdog.watch(page) as clock:
                    self._local.clock = clock
                    try:
                        return self._send(request, clock, verify, cert)
                    finally:
                        self._local.clock = None
        except SiteBusy as exc:
            raise FetchError(f"{outer.reason if outer else 'no time left'}: waiting for {exc}") from None

    def _send(self, request, clock: PageClock, verify, cert) -> requests.Response:
        s = self.settings
        left = clock.budget.remaining()
        if left <= 0:
            raise FetchError(clock.budget.reason)
        try:
            resp = super().send(request, stream=True, verify=verify, cert=cert, proxies={},
                                timeout=(min(s.connect_timeout_seconds, left), min(s.read_timeout_seconds, left)))
        except requests.RequestException as exc:
            if clock.expired or clock.budget.spent:
                raise FetchError(clock.budget.reason) from None
            if isinstance(exc, requests.Timeout):
                raise FetchError("timed out") from None
            raise FetchError(f"connection failed ({_short(exc)})") from None
        try:
            if clock.expired:  # cut mid-headers: http.client takes the end of the stream as the end of them
                raise FetchError(clock.budget.reason)
            if 200 <= resp.status_code < 300:
                ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
                allowed = HTML_TYPES + (("text/plain",) if request.path_url == "/robots.txt" else ())
                if ctype not in allowed:
                    raise FetchError(f"not HTML ({ctype or 'no content type'})", resp.status_code)
            resp._content = _read_capped(resp, s.max_body_bytes, clock)
        finally:
            resp.close()
            conn = getattr(resp.raw, "_pool", None)
            if conn is not None:
                conn.close()
        return resp


def _read_capped(resp: requests.Response, cap: int, clock: PageClock) -> bytes:
    """Stream and decompress chunk by chunk so a gzip bomb stops at the cap, and a trickle at the deadline."""
    chunks, total = [], 0
    try:
        while chunk := resp.raw.read1(64 * 1024, decode_content=True):  # one socket read at a time
            total += len(chunk)
            if total > cap:
                raise FetchError(f"body larger than {cap} bytes", resp.status_code)
            if clock.expired or clock.budget.spent:
                raise FetchError(clock.budget.reason, resp.status_code)
            chunks.append(chunk)
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - broken encodings, resets, read timeouts mid-body
        if clock.expired:
            raise FetchError(clock.budget.reason, resp.status_code) from None
        raise FetchError(f"body unreadable ({_short(exc)})", resp.status_code) from None
    if clock.expired:  # the watchdog's shutdown ends the stream like a normal end of file
        raise FetchError(clock.budget.reason, resp.status_code)
    return b"".join(chunks)


def _short(exc: BaseException) -> str:
    return exc.__class__.__name__


class SafeFetcher:
    """GET pages politely; one instance is shared by the worker threads of an enrichment run."""

    def __init__(self, settings: WebEnrichmentConfig, policy: SafetyPolicy | None = None,
                 cache_path: Path | None = None, sleep=time.sleep) -> None:
        self.settings = settings
        self.policy = policy or SafetyPolicy()
        self.gate = DomainGate(settings.min_delay_seconds, settings.jitter_seconds)
        self._sleep = sleep
        # the project's one retry policy; a request's site/run budget is passed per call as its deadline
        self._retry = RetryPolicy(attempts=settings.retries + 1, base=settings.retry_base_seconds,
                                  cap=settings.max_retry_after_seconds, total=settings.site_budget_seconds,
                                  jitter=settings.retry_base_seconds / 4)
        if cache_path is not None:
            import requests_cache  # ~0.14 s; only runs with a page cache need it

            cache_path.parent.mkdir(parents=True, exist_ok=True)
            self.session: requests.Session = requests_cache.CachedSession(
                str(cache_path), backend="sqlite", expire_after=timedelta(days=settings.cache_ttl_days),
                allowable_codes=(200, 301, 302, 303, 307, 308, 404, 410), allowable_methods=("GET",),
                cache_control=False, match_headers=False,
            )
        else:
            self.session = requests.Session()
        self.session.trust_env = False  # no proxy variables, no .netrc credentials
        self.session.cookies.set_policy(_NoCookies())
        self.session.headers.clear()
        self.session.headers.update({
            "User-Agent": settings.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        })
        self._adapter = _PinnedAdapter(self.policy, settings, self.gate)
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)

    def get(self, url: str, budget: Budget | None = None) -> Page:
        """Follow up to max_redirects hops by hand (each hop re-checked); retry 429/5xx (shared retry policy).

        Each request has its own page deadline; `budget` (a site's or run's) bounds all of them and every wait.
        """
        with self._adapter.within(budget):
            return self._get(url, budget)

    def _get(self, url: str, budget: Budget | None) -> Page:
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            if urlsplit(current).scheme.lower() not in ("http", "https"):
                raise FetchError(f"refused: scheme '{urlsplit(current).scheme}' is not http or https")
            resp = self._get_with_retries(current, budget)
            if resp.status_code in REDIRECT_STATUSES and resp.headers.get("Location"):
                current = urljoin(current, resp.headers["Location"].strip())
                continue
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return Page(current, resp.status_code, ctype, resp.content or b"",
                        requests.utils.get_encoding_from_headers(resp.headers) if "charset" in
                        resp.headers.get("Content-Type", "").lower() else None,
                        bool(getattr(resp, "from_cache", False)))
        raise FetchError(f"more than {self.settings.max_redirects} redirects")

    def get_html(self, url: str, budget: Budget | None = None) -> Page:
        page = self.get(url, budget)
        if page.status >= 400:
            raise FetchError(f"HTTP {page.status}", page.status)
        return page

    def _get_with_retries(self, url: str, budget: Budget | None) -> requests.Response:
        """One GET under the shared retry policy: 408/425/429/5xx are tried again, Retry-After honoured.

        A Retry-After longer than `max_retry_after_seconds` gives up at once; a wait that would end past the
        caller's budget is never started (the policy's `deadline`), so the page fails with the budget's reason.
        Connection failures are not retried: a site that refuses or drops us is tried again next run.
        """
        s = self.settings
        tries = 0

        def attempt() -> requests.Response:
            nonlocal tries
            tries += 1
            try:
                return self.session.get(url, allow_redirects=False, timeout=(s.connect_timeout_seconds,
                                                                             s.read_timeout_seconds))
            except UnsafeURL as exc:
                raise FetchError(f"refused: {exc}") from None
            except FetchError:
                raise
            except requests.RequestException as exc:
                raise FetchError(f"request failed ({_short(exc)})") from None

        def classify(outcome: object) -> Verdict:
            if not isinstance(outcome, requests.Response):
                return GIVE_UP  # FetchError: refused, deadline, body too large... none gets better by asking again
            verdict = classify_status(outcome.status_code, outcome.headers)
            if verdict.after is not None and verdict.after > s.max_retry_after_seconds:
                return GIVE_UP
            return verdict

        resp = self._retry.run(attempt, classify, what="web page fetch", sleep=self._sleep,
                               deadline=budget.until if budget is not None else None)
        status = resp.status_code
        if status in TRANSIENT_STATUSES and tries < self._retry.attempts:  # stopped early: say why
            after = retry_after_seconds(resp.headers.get("Retry-After"))
            if after is not None and after > s.max_retry_after_seconds:
                raise FetchError(f"HTTP {status}, Retry-After {after:.0f}s is too long", status)
            why = budget.reason if budget is not None else f"retries end {s.site_budget_seconds:g}s after the first"
            raise FetchError(f"HTTP {status}, no time left to retry ({why})", status)
        return resp

    def close(self) -> None:
        self.session.close()


class _NoCookies(requests.cookies.cookielib.DefaultCookiePolicy):
    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False

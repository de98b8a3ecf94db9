"""A fetcher for URLs that strangers typed: checked, pinned, bounded, polite and cached.

requests + requests-cache on top; underneath, a transport adapter that checks every request's address
(safety.py), connects to exactly that address with the original Host header and TLS name, waits for the
site's politeness slot, caps the decoded body and enforces a wall-clock deadline. Redirects are followed
here by hand so every hop is checked again. Failures raise FetchError with a short reason that ends up
in the company's `enrichment_reason`, never as a failed run.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import certifi
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool

from enrichment.web.politeness import DomainGate
from enrichment.web.safety import SafetyPolicy, UnsafeURL
from enrichment.web.settings import WebEnrichmentConfig

log = logging.getLogger("leadpipe.enrichment.web")

HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = {429, 500, 502, 503, 504}
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


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked IP only; caps, deadlines and politeness live here (cache misses only)."""

    def __init__(self, policy: SafetyPolicy, settings: WebEnrichmentConfig, gate: DomainGate) -> None:
        super().__init__(max_retries=0)
        self.policy, self.settings, self.gate = policy, settings, gate

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        target = self.policy.check(request.url)
        if target.scheme == "https":
            return HTTPSConnectionPool(target.ip, target.connect_port, maxsize=1, retries=False,
                                      server_hostname=target.host, assert_hostname=target.host,
                                      cert_reqs="CERT_REQUIRED", ca_certs=self.policy.ca_bundle or certifi.where())
        return HTTPConnectionPool(target.ip, target.connect_port, maxsize=1, retries=False)

    def cert_verify(self, conn, url, verify, cert) -> None:
        """Pools are built verified (CERT_REQUIRED, CA bundle, site name) above; nothing may loosen that."""

    def add_headers(self, request, **kwargs) -> None:
        request.headers["Host"] = urlsplit(request.url).hostname or ""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        s = self.settings
        host = urlsplit(request.url).hostname or ""
        with self.gate.slot(host):
            deadline = time.monotonic() + s.page_deadline_seconds
            try:
                resp = super().send(request, stream=True, timeout=(s.connect_timeout_seconds, s.read_timeout_seconds),
                                    verify=verify, cert=cert, proxies={})
            except requests.Timeout:
                raise FetchError("timed out") from None
            except requests.ConnectionError as exc:
                raise FetchError(f"connection failed ({_short(exc)})") from None
            try:
                if 200 <= resp.status_code < 300:
                    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
                    allowed = HTML_TYPES + (("text/plain",) if request.path_url == "/robots.txt" else ())
                    if ctype not in allowed:
                        raise FetchError(f"not HTML ({ctype or 'no content type'})", resp.status_code)
                resp._content = _read_capped(resp, s.max_body_bytes, deadline)
            finally:
                resp.close()
                conn = getattr(resp.raw, "_pool", None)
                if conn is not None:
                    conn.close()
            return resp


def _read_capped(resp: requests.Response, cap: int, deadline: float) -> bytes:
    """Stream and decompress chunk by chunk so a gzip bomb stops at the cap, and a trickle at the deadline."""
    chunks, total = [], 0
    try:
        while chunk := resp.raw.read1(64 * 1024, decode_content=True):  # one socket read at a time
            total += len(chunk)
            if total > cap:
                raise FetchError(f"body larger than {cap} bytes", resp.status_code)
            if time.monotonic() > deadline:
                raise FetchError("page deadline exceeded", resp.status_code)
            chunks.append(chunk)
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - broken encodings, resets, read timeouts mid-body
        raise FetchError(f"body unreadable ({_short(exc)})", resp.status_code) from None
    return b"".join(chunks)


def _short(exc: BaseException) -> str:
    return exc.__class__.__name__


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class SafeFetcher:
    """GET pages politely; one instance is shared by the worker threads of an enrichment run."""

    def __init__(self, settings: WebEnrichmentConfig, policy: SafetyPolicy | None = None,
                 cache_path: Path | None = None, sleep=time.sleep) -> None:
        self.settings = settings
        self.policy = policy or SafetyPolicy()
        self.gate = DomainGate(settings.min_delay_seconds, settings.jitter_seconds)
        self._sleep = sleep
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
        adapter = _PinnedAdapter(self.policy, settings, self.gate)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(self, url: str) -> Page:
        """Follow up to max_redirects hops by hand (each hop re-checked); retry 429/5xx honouring Retry-After."""
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            if urlsplit(current).scheme.lower() not in ("http", "https"):
                raise FetchError(f"refused: scheme '{urlsplit(current).scheme}' is not http or https")
            resp = self._get_with_retries(current)
            if resp.status_code in REDIRECT_STATUSES and resp.headers.get("Location"):
                current = urljoin(current, resp.headers["Location"].strip())
                continue
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return Page(current, resp.status_code, ctype, resp.content or b"",
                        requests.utils.get_encoding_from_headers(resp.headers) if "charset" in
                        resp.headers.get("Content-Type", "").lower() else None,
                        bool(getattr(resp, "from_cache", False)))
        raise FetchError(f"more than {self.settings.max_redirects} redirects")

    def get_html(self, url: str) -> Page:
        page = self.get(url)
        if page.status >= 400:
            raise FetchError(f"HTTP {page.status}", page.status)
        return page

    def _get_with_retries(self, url: str) -> requests.Response:
        s = self.settings
        for attempt in range(s.retries + 1):
            try:
                resp = self.session.get(url, allow_redirects=False, timeout=(s.connect_timeout_seconds,
                                                                             s.read_timeout_seconds))
            except UnsafeURL as exc:
                raise FetchError(f"refused: {exc}") from None
            except FetchError:
                raise
            except requests.RequestException as exc:
                raise FetchError(f"request failed ({_short(exc)})") from None
            if resp.status_code not in RETRY_STATUSES or attempt == s.retries:
                return resp
            wait = _retry_after(resp.headers.get("Retry-After"))
            if wait is None:
                wait = min(2.0 ** attempt, s.max_retry_after_seconds)
            if wait > s.max_retry_after_seconds:
                raise FetchError(f"HTTP {resp.status_code}, Retry-After {wait:.0f}s is too long", resp.status_code)
            log.debug("HTTP %s from %s, retrying in %.1fs", resp.status_code, urlsplit(url).hostname, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.session.close()


class _NoCookies(requests.cookies.cookielib.DefaultCookiePolicy):
    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False

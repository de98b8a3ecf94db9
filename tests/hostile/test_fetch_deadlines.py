"""Hostile input: web servers that answer too slowly on purpose. One deadline per request, from the name
look-up to the last byte, however the server spreads its bytes (urllib3's timeouts are per read only).

Each fetch runs in a helper thread joined with a hard limit, so a regression fails in seconds instead of
hanging the suite for as long as the hostile server cares to dribble.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

import pytest

from enrichment.web.fetch import FetchError, SafeFetcher
from enrichment.web.safety import SafetyPolicy
from enrichment.web.settings import WebEnrichmentConfig
from enrichment.web.site import SiteEnricher
from tests.web_sites import Route, SiteServer

UA = "leadpipe-test/1.0 (+https://example.org/bot)"
MARGIN = 1.0  # scheduling slack on a loaded 2-core machine


def settings(**over) -> WebEnrichmentConfig:
    base = {"user_agent": UA, "min_delay_seconds": 0.0, "jitter_seconds": 0, "schemes": ["http"], "retries": 0,
            "connect_timeout_seconds": 5, "read_timeout_seconds": 5, "page_deadline_seconds": 1, "workers": 2}
    return WebEnrichmentConfig(**{**base, **over})


def bounded(call, limit: float):
    """Run `call` in a thread; (result or exception, seconds). Fails the test if it is still running at `limit`."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            out["value"] = exc

    start = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"still running after {limit:.1f}s: no deadline enforced"
    return out["value"], time.monotonic() - start


def page_html(text: str) -> bytes:
    return f"<!doctype html><html><head><title>{text}</title></head><body>{text}</body></html>".encode()


def test_headers_dribbled_one_byte_per_half_second_are_cut_at_the_page_deadline():
    with SiteServer() as server:
        server.sites["drip.test"] = {"/": Route(page_html("Drip"), dribble=0.5)}  # ~60 s of headers
        fetcher = SafeFetcher(settings(), SafetyPolicy(test_hosts=server.hosts("drip.test")))
        err, seconds = bounded(lambda: fetcher.get("http://drip.test/"), limit=1 + 3 * MARGIN)
    assert isinstance(err, FetchError), err
    assert err.reason == "page deadline exceeded (1s)"
    assert seconds < 1 + MARGIN
    assert seconds >= 0.9  # the per-read timeout (5 s) never fired: the deadline did


def test_a_site_that_dribbles_is_recorded_as_failed_with_the_reason():
    with SiteServer() as server:
        server.sites["drip.test"] = {"/robots.txt": Route(b"User-agent: *\n", content_type="text/plain"),
                                     "/": Route(page_html("Drip"), dribble=0.5)}
        enricher = SiteEnricher(settings(), None, SafetyPolicy(test_hosts=server.hosts("drip.test")))
        result, seconds = bounded(lambda: enricher.enrich("drip.test"), limit=1 + 3 * MARGIN)
    assert (result.status, result.reason) == ("failed", "http: page deadline exceeded (1s)")
    assert seconds < 1 + MARGIN


def test_body_trickled_within_every_read_timeout_is_cut_at_the_same_deadline():
    with SiteServer() as server:
        server.sites["trickle.test"] = {"/": Route(page_html("x" * 50_000), trickle=0.2)}  # ~10 s of body
        fetcher = SafeFetcher(settings(), SafetyPolicy(test_hosts=server.hosts("trickle.test")))
        err, seconds = bounded(lambda: fetcher.get("http://trickle.test/"), limit=1 + 3 * MARGIN)
    assert isinstance(err, FetchError) and err.reason == "page deadline exceeded (1s)"
    assert seconds < 1 + MARGIN


def test_slow_first_byte_and_slow_body_share_one_deadline():
    """0.6 s before the headers plus a 0.6 s body: each under the 1 s limit, together over it."""
    with SiteServer() as server:
        server.sites["late.test"] = {"/": Route(page_html("x" * 6_000), delay=0.6, trickle=0.1)}
        fetcher = SafeFetcher(settings(), SafetyPolicy(test_hosts=server.hosts("late.test")))
        err, seconds = bounded(lambda: fetcher.get("http://late.test/"), limit=1 + 3 * MARGIN)
    assert isinstance(err, FetchError) and err.reason == "page deadline exceeded (1s)"
    assert seconds < 1 + MARGIN


class SilentServer:
    """Accepts TCP connections and never sends a byte: a TLS handshake against it never completes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_tls_handshake_that_never_completes_is_cut_at_the_page_deadline():
    with SilentServer() as silent:
        policy = SafetyPolicy(test_hosts={"stall.test": silent.port})
        fetcher = SafeFetcher(settings(schemes=["https"], read_timeout_seconds=30), policy)
        err, seconds = bounded(lambda: fetcher.get("https://stall.test/"), limit=1 + 3 * MARGIN)
    assert isinstance(err, FetchError) and err.reason == "page deadline exceeded (1s)"
    assert seconds < 1 + MARGIN


def test_a_name_look_up_that_hangs_counts_against_the_page_deadline():
    def hanging_resolver(host: str) -> list[str]:
        time.sleep(6)
        return ["93.184.215.14"]

    fetcher = SafeFetcher(settings(), SafetyPolicy(resolver=hanging_resolver))
    err, seconds = bounded(lambda: fetcher.get("http://slow-dns.example/"), limit=1 + 3 * MARGIN)
    assert isinstance(err, FetchError) and err.reason == "page deadline exceeded (1s)"
    assert seconds < 1 + MARGIN


@pytest.mark.parametrize("deadline", [0.5, 1.5])
def test_a_fast_page_is_unaffected_by_the_deadline(deadline):
    with SiteServer() as server:
        server.sites["fast.test"] = {"/": Route(page_html("Fast Co"))}
        fetcher = SafeFetcher(settings(page_deadline_seconds=deadline),
                              SafetyPolicy(test_hosts=server.hosts("fast.test")))
        page, _ = bounded(lambda: fetcher.get("http://fast.test/"), limit=5)
        time.sleep(deadline + 0.3)  # the watchdog fires after the page was read: nothing breaks
        again, _ = bounded(lambda: fetcher.get("http://fast.test/"), limit=5)
    assert page.status == 200 and b"Fast Co" in page.body
    assert again.status == 200 and again.body == page.body

"""A local HTTP server that plays many websites at once (virtual hosts on one loopback port).

Used by the web-enrichment tests and benchmark together with SafetyPolicy(test_hosts=...), which maps test
host names to this server's port. Each site is a dict path -> Route; requests are logged with their time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the status line
    trickle: float | None = None  # seconds between 1 KB chunks of the body
    dribble: float | None = None  # seconds between single bytes of the status line and headers


Handler = Callable[[int], Route]  # called with the 1-based count of requests to this path so far


@dataclass
class Hit:
    at: float
    host: str
    path: str
    user_agent: str
    headers: dict[str, str]


class SiteServer:
    def __init__(self, latency: float = 0.0, tls=None) -> None:
        self.sites: dict[str, dict[str, Route | Handler]] = {}
        self.fallback: Callable[[str, str], Route | None] | None = None
        self.latency = latency
        self.hits: list[Hit] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                with server._lock:
                    server.hits.append(Hit(time.monotonic(), host, self.path, self.headers.get("User-Agent", ""),
                                           dict(self.headers)))
                    key = (host, self.path)
                    server._counts[key] = server._counts.get(key, 0) + 1
                    count = server._counts[key]
                route = server.sites.get(host, {}).get(self.path)
                if callable(route):
                    route = route(count)
                if route is None and server.fallback is not None:
                    route = server.fallback(host, self.path)
                if route is None:
                    route = Route(b"<html><body>not found</body></html>", status=404)
                if server.latency or route.delay:
                    time.sleep(server.latency + route.delay)
                try:
                    self.send_response(route.status)
                    if route.content_type:
                        self.send_header("Content-Type", route.content_type)
                    for k, v in route.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(route.body)))
                    if route.dribble is None:
                        self.end_headers()
                    else:  # a hostile server: every byte arrives well within any per-read timeout
                        head, self._headers_buffer = b"".join(self._headers_buffer) + b"\r\n", []
                        for i in range(len(head)):
                            self.wfile.write(head[i : i + 1])
                            self.wfile.flush()
                            time.sleep(route.dribble)
                    if route.trickle is None:
                        self.wfile.write(route.body)
                    else:
                        for i in range(0, len(route.body), 1024):
                            self.wfile.write(route.body[i : i + 1024])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def hosts(self, *names: str) -> dict[str, int]:
        """The test_hosts mapping for SafetyPolicy: these names reach this server."""
        return {n: self.port for n in (names or tuple(self.sites))}

    def hits_for(self, host: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.host == host]

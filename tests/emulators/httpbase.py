"""A tiny threaded JSON-over-HTTP(S) server shared by the CRM emulators, with a request log and faults."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """Answer matching requests with `status`/`body` instead of the real behaviour.

    path: regex searched in the request path; method: HTTP method or None for any; skip: let this many
    matching requests through first; times: how many to fault (None = forever).
    """

    path: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    skip: int = 0
    times: int | None = 1
    close: bool = False  # drop the connection without an answer (a crash on the wire)
    apply_first: bool = False  # with close: the CRM does the work, then the answer is lost
    seen: int = 0


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class EmulatorServer:
    """Subclasses implement `handle(method, path, query, headers, body) -> Response`."""

    def __init__(self, certfile: str | None = None, keyfile: str | None = None):
        self.faults: list[Fault] = []
        self.log: list[dict] = []
        self.lock = threading.RLock()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                resp = emulator._dispatch(self.command, path, query, dict(self.headers), raw)
                if resp is None:  # injected connection drop
                    self.close_connection = True
                    self.connection.close()
                    return
                if resp.body is None:
                    payload = b""
                elif isinstance(resp.body, (bytes, str)):
                    payload = resp.body.encode() if isinstance(resp.body, str) else resp.body
                else:
                    payload = json.dumps(resp.body).encode()
                self.send_response(resp.status)
                if payload or resp.status not in (204,):
                    self.send_header("Content-Type", resp.content_type)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                import sys

                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # clients drop idle sockets
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> EmulatorServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def _dispatch(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response | None:
        entry = {"method": method, "path": path, "query": query, "t": time.monotonic()}
        refused = self.check_request(method, path, query, headers, raw)  # before faults: every request is checked
        if refused is not None:
            entry["status"] = refused.status
            with self.lock:
                self.log.append(entry)
            return refused
        with self.lock:
            for f in self.faults:
                if (f.method in (None, method)) and re.search(f.path, path) and (f.times is None or f.times > 0):
                    f.seen += 1
                    if f.seen <= f.skip:
                        continue
                    if f.times is not None:
                        f.times -= 1
                    entry["status"] = "drop" if f.close else f.status
                    self.log.append(entry)
                    if f.close and f.apply_first:
                        self.handle(method, path, query, headers, raw)
                    return None if f.close else Response(f.status, f.body, dict(f.headers))
        try:
            resp = self.handle(method, path, query, headers, raw)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must show up as a 500 in the test
            resp = Response(500, {"status": "error", "message": f"emulator error: {exc!r}"})
        entry["status"] = resp.status
        with self.lock:
            self.log.append(entry)
        return resp

    def handle(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response:
        raise NotImplementedError

    def check_request(self, method: str, path: str, query: str, headers: dict, raw: bytes) -> Response | None:
        """A request the API specification does not allow gets this answer (None: it is allowed)."""
        return None

    def calls(self, pattern: str, status: int | None = None) -> list[dict]:
        with self.lock:
            return [e for e in self.log if re.search(pattern, e["path"]) and (status is None or e["status"] == status)]

"""The form webhook: a website's form posts here; each submission is stored once, then acknowledged.

Served by Airflow's own API server through the plugin in `plugins/leadpipe_forms.py` (mounted under
/leadpipe-forms; Airflow runs the app's lifespan), or by any ASGI server. Every form has its own shared secret
in the Airflow Connection `leadpipe_form_<form id>` (its password); the sender signs the raw body with
HMAC-SHA256 and sends `X-Leadpipe-Signature: sha256=<hex>`.

Checks run cheapest first and nothing is stored unless all pass: form id (404), content type (415), body size
(413), signature (401), the form's rate limit (429), then the body itself (400/422, see
connectors.sources.forms.submission). The answer is 2xx only after the warehouse commit, so a sender that
gets no 2xx retries, and a retry finds the stored row (same idempotency key) instead of adding another.
Spam signals are recorded next to the submission, never used to drop it.

The warehouse is migrated once, when the app starts (every worker process; `migrate` serialises them with a
cross-process lock), never by a request; until it is ready a post gets 503 with Retry-After. Log lines name
the form id (checked against a strict pattern first) and fixed reason codes, never a value from the body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from airflow.sdk import Connection  # already loaded inside Airflow's API server; slow to import per request
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from connectors.sources.forms.submission import BodyRefused, read_submission
from leadpipe.airflow_app.form_rate_limit import (
    DEFAULT_RATE,
    DEFAULT_STORAGE,
    FormRateLimit,
    RateLimitSettingError,
)
from leadpipe.store.form_inbox import store_submission
from leadpipe.store.warehouse import RetiredRevision, engine_for, migrate

log = logging.getLogger("leadpipe.forms")

FORM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")  # used with fullmatch: no trailing newline slips through
SIGNATURE_HEADER = "X-Leadpipe-Signature"
DEFAULT_MAX_BYTES = 64 * 1024
STARTUP_WAIT_SECONDS = 30.0  # start-up waits this long at most for the first migration attempt (a hung database)
RETRY_AFTER_SECONDS = 30  # what a sender is told to wait while the warehouse is not ready or not reachable
_MAX_BACKOFF_SECONDS = 60.0


def warehouse_url() -> str:
    from leadpipe.pipeline.settings import leadpipe_home  # pulls in pandas: read once at start-up

    return os.environ.get("LEADPIPE_WAREHOUSE_URL") or f"sqlite:///{leadpipe_home() / 'warehouse.db'}"


def form_secret(form_id: str) -> bytes | None:
    """The form's shared secret from its Airflow Connection; None when the form is not set up."""
    try:
        conn = Connection.get(f"leadpipe_form_{form_id}")
    except Exception:  # noqa: BLE001 - "not defined" comes as several exception types
        return None
    return conn.password.encode() if conn and conn.password else None


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def store_unless_erased(engine: Engine, form: str, key: str, body: bytes, payload: dict, signals: dict):
    """Store one submission; a sender erased on request is stored blanked (field names kept, values dropped).

    The blanked post still counts once and reaches the ledger as `suppressed`, but their personal data never
    enters the warehouse. The erasure check looks the post's values up by hash (indexed), whatever the number
    of tombstones.
    """
    # on first use: every Airflow process that loads plugins imports this module; the guard pulls in pandas
    from leadpipe.pipeline.erasure_guard import blank_if_erased

    return store_submission(engine, form, key, body, blank_if_erased(engine, payload), signals)


@dataclass
class Warehouse:
    """The webhook's warehouse: migrated once at start-up, retried in the background until that works."""

    url: str
    engine: Engine | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    tried: threading.Event = field(default_factory=threading.Event)  # the first attempt is over, either way
    stop: threading.Event = field(default_factory=threading.Event)

    def prepare(self) -> None:
        """Migrate (under `migrate`'s cross-process lock) until it works or the app stops; then serve."""
        wait = 1.0
        while not self.stop.is_set():
            try:
                migrate(self.url)
            except Exception as exc:  # noqa: BLE001 - the message may hold the URL: log its kind, retry
                detail = str(exc) if isinstance(exc, RetiredRevision) else type(exc).__name__
                log.error("form webhook: warehouse not ready (%s); posts get 503 until it is; retry in %.0f s",
                          detail, wait)
                self.tried.set()
                self.stop.wait(wait)
                wait = min(wait * 2, _MAX_BACKOFF_SECONDS)
                continue
            self.engine = engine_for(self.url)
            self.ready.set()
            self.tried.set()
            log.info("form webhook: warehouse ready")
            return


@dataclass
class WebhookState:
    """What the app reads once at start-up: limits, the rate limiter and the warehouse (or why not)."""

    max_body_bytes: int = DEFAULT_MAX_BYTES
    rate_limit: FormRateLimit | None = None
    warehouse: Warehouse | None = None
    problem: str | None = None  # a setting that cannot be used: every post gets 503 and the log says why

    @classmethod
    def from_env(cls) -> WebhookState:
        raw_max = os.environ.get("LEADPIPE_FORM_MAX_BYTES") or str(DEFAULT_MAX_BYTES)
        if not raw_max.isdigit() or int(raw_max) == 0:
            return cls(problem=f"LEADPIPE_FORM_MAX_BYTES: {raw_max!r} is not a positive whole number of bytes")
        try:
            limiter = FormRateLimit.from_settings(os.environ.get("LEADPIPE_FORM_RATE_LIMIT") or DEFAULT_RATE,
                                                  os.environ.get("LEADPIPE_FORM_RATE_LIMIT_STORAGE") or DEFAULT_STORAGE)
        except RateLimitSettingError as exc:
            return cls(problem=str(exc))
        return cls(int(raw_max), limiter, Warehouse(warehouse_url()))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Read the settings and migrate the warehouse once per process, before the first post is served.

    A warehouse that cannot be migrated does not stop the server (inside Airflow that would take the UI and
    the task API down with it): migration is retried in the background and posts get 503 meanwhile.
    """
    state = WebhookState.from_env()
    app.state.webhook = state
    if state.problem:
        log.error("form webhook: not accepting posts: %s", state.problem)
    elif state.warehouse is not None:
        log.info("form webhook: rate limit %s per form (%s)", state.rate_limit.item,
                 "shared by all workers" if state.rate_limit.shared else "counted per worker process")
        threading.Thread(target=state.warehouse.prepare, name="leadpipe-forms-migrate", daemon=True).start()
        await asyncio.to_thread(state.warehouse.tried.wait, STARTUP_WAIT_SECONDS)
    try:
        yield
    finally:
        if state.warehouse is not None:
            state.warehouse.stop.set()


def _refuse(status: int, code: str, reason: str, form_id: str, headers: dict[str, str] | None = None) -> JSONResponse:
    log.info("form %s: submission refused (%d, %s)", form_id, status, code)
    return JSONResponse({"status": "refused", "code": code, "reason": reason}, status_code=status, headers=headers)


def _unavailable(reason: str) -> JSONResponse:
    return JSONResponse({"status": "error", "reason": reason}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _is_json(content_type: str | None) -> bool:
    """application/json, with no parameter but charset=utf-8."""
    media, _, params = (content_type or "").partition(";")
    charset = params.strip().lower().replace(" ", "")
    return media.strip().lower() == "application/json" and charset in ("", "charset=utf-8", 'charset="utf-8"')


async def _read_capped(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def create_app() -> FastAPI:
    app = FastAPI(title="leadpipe form webhook", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    @app.post("/forms/{form_id}")
    async def receive(form_id: str, request: Request) -> JSONResponse:
        if not FORM_ID.fullmatch(form_id):
            return _refuse(404, "unknown_form", "unknown form", "?")
        state: WebhookState | None = getattr(request.app.state, "webhook", None)
        if state is None or state.problem or state.warehouse is None or state.rate_limit is None:
            return _unavailable("webhook not configured; see the server log")
        if not _is_json(request.headers.get("content-type")):
            return _refuse(415, "content_type", "Content-Type must be application/json (UTF-8)", form_id)
        body = await _read_capped(request, state.max_body_bytes)
        if body is None:
            return _refuse(413, "too_large", f"body larger than {state.max_body_bytes} bytes", form_id)
        secret = await run_in_threadpool(form_secret, form_id)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if secret is None or not hmac.compare_digest(given.encode(), sign(secret, body).encode()):
            return _refuse(401, "signature", "unknown form or bad signature", form_id)
        wait = await run_in_threadpool(state.rate_limit.retry_after, form_id)
        if wait is not None:
            return _refuse(429, "rate_limited", f"more than {state.rate_limit.item} for this form; retry after "
                                                f"{wait} s", form_id, headers={"Retry-After": str(wait)})
        try:
            sub = read_submission(body, time.time())
        except BodyRefused as refused:
            return _refuse(refused.status, refused.code, refused.reason, form_id)
        if not state.warehouse.ready.is_set():
            log.warning("form %s: post answered 503, warehouse not ready", form_id)
            return _unavailable("not stored, retry later")
        try:
            stored = await run_in_threadpool(store_unless_erased, state.warehouse.engine, form_id, sub.key, body,
                                             sub.payload, sub.signals)
        except Exception as exc:  # noqa: BLE001 - the sender must retry; say nothing about internals
            log.error("form %s: could not store a submission (%s)", form_id, type(exc).__name__)
            return _unavailable("not stored, retry later")
        log.info("form %s: submission %s (inbox id %d)", form_id, "repeated" if stored.duplicate else "stored",
                 stored.inbox_id)
        return JSONResponse({"status": "duplicate" if stored.duplicate else "stored", "id": stored.inbox_id},
                            status_code=200 if stored.duplicate else 201)

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        state: WebhookState | None = getattr(request.app.state, "webhook", None)
        ready = bool(state and state.warehouse and state.warehouse.ready.is_set())
        return JSONResponse({"status": "ok" if ready else "starting"}, status_code=200 if ready else 503)

    return app


app = create_app()

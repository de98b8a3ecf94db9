"""The form webhook: a website's form posts here; each submission is stored once, then acknowledged.

Served by Airflow's own API server through the plugin in `plugins/leadpipe_forms.py` (mounted under
/leadpipe-forms), or by any ASGI server. Every form has its own shared secret in the Airflow Connection
`leadpipe_form_<form id>` (its password); the sender signs the raw body with HMAC-SHA256 and sends
`X-Leadpipe-Signature: sha256=<hex>`. Checks run cheapest first and nothing is stored unless all pass:
body size (413), signature (401), JSON object (400/422). The answer is 2xx only after the warehouse
commit, so a sender that gets no 2xx retries, and a retry finds the stored row (same idempotency key)
instead of adding another. Spam signals are recorded next to the submission, never used to drop it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
from datetime import datetime
from functools import lru_cache

from airflow.sdk import Connection  # already loaded inside Airflow's API server; slow to import per request
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from leadpipe.store.form_inbox import store_submission
from leadpipe.store.warehouse import engine_for, migrate

log = logging.getLogger("leadpipe.forms")

FORM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SIGNATURE_HEADER = "X-Leadpipe-Signature"
HONEYPOT_FIELD = "_hp"  # hidden input real people leave empty
RENDERED_AT_FIELD = "_rendered_at"  # epoch seconds (or ISO time) when the page showed the form
KEY_FIELDS = ("submission_id", "idempotency_key")  # a signed key in the body wins over the body hash
TOO_FAST_SECONDS = 3.0
MAX_FIELDS = 200


def max_body_bytes() -> int:
    return int(os.environ.get("LEADPIPE_FORM_MAX_BYTES") or 64 * 1024)


def warehouse_url() -> str:
    from leadpipe.pipeline.settings import leadpipe_home  # pulls in pandas: see store_unless_erased

    return os.environ.get("LEADPIPE_WAREHOUSE_URL") or f"sqlite:///{leadpipe_home() / 'warehouse.db'}"


@lru_cache(maxsize=4)
def _ready_engine(url: str):  # noqa: ANN202
    migrate(url)
    return engine_for(url)


def store_unless_erased(engine, form: str, key: str, body: bytes, payload: dict, signals: dict):  # noqa: ANN001, ANN201
    """Store one submission; a sender erased on request is stored blanked (field names kept, values dropped).

    The blanked post still counts once and reaches the ledger as `suppressed`, but their personal data never
    enters the warehouse.
    """
    # on first use: every Airflow process that loads plugins imports this module; the guard pulls in pandas
    from leadpipe.pipeline.erasure_guard import blank_if_erased

    return store_submission(engine, form, key, body, blank_if_erased(engine, payload), signals)


def form_secret(form_id: str) -> bytes | None:
    """The form's shared secret from its Airflow Connection; None when the form is not set up."""
    try:
        conn = Connection.get(f"leadpipe_form_{form_id}")
    except Exception:  # noqa: BLE001 - "not defined" comes as several exception types
        return None
    return conn.password.encode() if conn and conn.password else None


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def spam_signals(payload: dict, now: float) -> dict:
    honeypot = bool(str(payload.get(HONEYPOT_FIELD) or "").strip())
    seconds = None
    rendered = payload.get(RENDERED_AT_FIELD)
    try:
        if isinstance(rendered, (int, float)) or (isinstance(rendered, str) and rendered.replace(".", "", 1).isdigit()):
            seconds = round(now - float(rendered), 3)
        elif isinstance(rendered, str) and rendered:
            seconds = round(now - datetime.fromisoformat(rendered).timestamp(), 3)
    except (ValueError, OverflowError, OSError):
        seconds = None
    too_fast = seconds is not None and seconds < TOO_FAST_SECONDS
    return {"honeypot_filled": honeypot, "seconds_to_submit": seconds, "too_fast": too_fast,
            "spam_suspected": honeypot or too_fast}


def _refuse(status: int, reason: str, form_id: str) -> JSONResponse:
    log.info("form %s: submission refused (%d, %s)", form_id, status, reason)
    return JSONResponse({"status": "refused", "reason": reason}, status_code=status)


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
    app = FastAPI(title="leadpipe form webhook", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/forms/{form_id}")
    async def receive(form_id: str, request: Request) -> JSONResponse:
        if not FORM_ID.match(form_id):
            return _refuse(404, "unknown form", "?")
        body = await _read_capped(request, max_body_bytes())
        if body is None:
            return _refuse(413, f"body larger than {max_body_bytes()} bytes", form_id)
        secret = await run_in_threadpool(form_secret, form_id)
        given = request.headers.get(SIGNATURE_HEADER, "")
        if secret is None or not hmac.compare_digest(given.encode(), sign(secret, body).encode()):
            return _refuse(401, "unknown form or bad signature", form_id)
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _refuse(400, "body is not valid JSON", form_id)
        if not isinstance(payload, dict) or not payload:
            return _refuse(422, "body must be a non-empty JSON object of form fields", form_id)
        if len(payload) > MAX_FIELDS:
            return _refuse(422, f"more than {MAX_FIELDS} fields", form_id)
        key = next((str(payload[k])[:128] for k in KEY_FIELDS if payload.get(k)), None)
        key = key or hashlib.sha256(body).hexdigest()
        signals = spam_signals(payload, time.time())
        try:
            engine = await run_in_threadpool(_ready_engine, warehouse_url())
            stored = await run_in_threadpool(store_unless_erased, engine, form_id, key, body, payload, signals)
        except Exception as exc:  # noqa: BLE001 - the sender must retry; say nothing about internals
            log.error("form %s: could not store a submission (%s)", form_id, type(exc).__name__)
            return JSONResponse({"status": "error", "reason": "not stored, retry later"}, status_code=503)
        log.info("form %s: submission %s (inbox id %d)", form_id, "repeated" if stored.duplicate else "stored",
                 stored.inbox_id)
        return JSONResponse({"status": "duplicate" if stored.duplicate else "stored", "id": stored.inbox_id},
                            status_code=200 if stored.duplicate else 201)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    return app


app = create_app()

"""Remembered extraction results: extraction is a pure function of (url, html, country), so a page whose bytes have
not changed need not be parsed again. The key includes a hash of the extractor's own source files, so
changing the extraction rules invalidates every entry without anyone having to remember a version number.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from enrichment.web import extract as _extract_module
from enrichment.web.extract import extract


@functools.cache
def extractor_fingerprint() -> str:
    folder = Path(_extract_module.__file__).parent
    digest = hashlib.sha256()
    for name in ("extract.py", "contacts.py", "industry.py", "tech.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def memo_key(url: str, body: bytes, country: str | None = None) -> str:
    """The memo key of one page: a hash of the extractor's fingerprint, the URL and the exact bytes, then
    ":<country>" when the company's country was given (national phone numbers are read in it). The page part
    stays first so erasure (leadpipe.pipeline.forget_caches) finds every country's entry of a page."""
    page = hashlib.sha256(f"{extractor_fingerprint()}\0{url}\0".encode() + body).hexdigest()
    return f"{page}:{country.upper()}" if country else page


def page_part(key: str) -> str:
    """The page hash of a memo key, without the country."""
    return key.split(":", 1)[0]


class ExtractMemo:
    def __init__(self, path: Path, ttl_days: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, fields TEXT NOT NULL, at REAL)")
        self._db.execute("DELETE FROM memo WHERE at < ?", (time.time() - ttl_days * 86400,))
        self._lock = threading.Lock()

    def extract(self, url: str, body: bytes, country: str | None = None) -> dict[str, Any]:
        key = memo_key(url, body, country)
        with self._lock:
            row = self._db.execute("SELECT fields FROM memo WHERE key = ?", (key,)).fetchone()
        if row:
            return json.loads(row[0])
        fields = extract(url, body, country)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO memo VALUES (?, ?, ?)", (key, json.dumps(fields), time.time()))
        return fields

    def close(self) -> None:
        self._db.close()

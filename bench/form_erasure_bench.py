"""Form webhook erasure check benchmark: what checking ONE post against the erasure tombstones costs.

Usage: python bench/form_erasure_bench.py [--tombstones 300000] [--posts 50] [--backend sqlite|postgresql]

Fills a fresh warehouse with keyed tombstones, then checks posts (a few mapped, unmapped and nested fields,
one in ten from an erased person) two ways: `load all` (every tombstone read into memory per post, as the
webhook did before) and `lookup` (`blank_if_erased`: each value looked up through the (kind, value_hash)
index). Prints the median and 95th percentile milliseconds per post and checks both catch the same posts.
PostgreSQL: LEADPIPE_BENCH_PG (default the local server's `postgres` database; a scratch database is made).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, text

from connectors.sources.base import RawRecord
from connectors.sources.mapping import map_headers, record_headers
from enrichment.suppress import tombstone_hash
from leadpipe.pipeline.erasure_guard import (
    WEB_FORM_PRESET,
    ErasureGuard,
    blank_if_erased,
    flat_fields,
    is_erased,
)
from leadpipe.store.warehouse import engine_for, migrate, suppression_entries

KEY = "bench-tombstone-key-0123456789abcdef"


def load_all(engine: Engine, payload: dict) -> bool:
    """The former check: every tombstone loaded per post, then the same scrub."""
    batch = [RawRecord(1, flat_fields(payload))]
    with engine.connect() as conn:
        guard = ErasureGuard.load(conn)
    fields = map_headers(record_headers(batch), WEB_FORM_PRESET, None, automap=True).fields
    return guard.scrub(batch, fields)[1][0]


def posts(n: int) -> list[dict]:
    return [{"email": f"erased.{i}@acme.de" if i % 10 == 0 else f"visitor.{i}@acme.de", "full_name": "Eva Muster",
             "phone": "030 1234567", "country": "DE", "Mobile": "+49 171 5550000", "message": "please call",
             "contact": {"work_email": f"v{i}@work.example"}} for i in range(n)]


def fill(url: str, n: int, erased: list[str]) -> None:
    now = datetime.now(UTC)
    hashes = [tombstone_hash("email", e, KEY.encode()) for e in erased]
    hashes += [tombstone_hash("email", f"{secrets.token_hex(8)}@example.org", KEY.encode())
               for _ in range(n - len(hashes))]
    with engine_for(url).begin() as conn:
        for i in range(0, len(hashes), 20_000):
            conn.execute(insert(suppression_entries), [{"kind": "email", "value_hash": h, "list_name": "erasure",
                                                        "reason": "erased on request", "created_at": now}
                                                       for h in hashes[i : i + 20_000]])


def timed(fn, engine: Engine, data: list[dict]) -> tuple[list[float], int]:
    times, caught = [], 0
    for payload in data:
        t0 = time.perf_counter()
        caught += bool(fn(engine, payload))
        times.append((time.perf_counter() - t0) * 1000)
    return times, caught


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tombstones", type=int, default=300_000)
    ap.add_argument("--posts", type=int, default=50)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = ap.parse_args()
    os.environ["LEADPIPE_TOMBSTONE_KEY"] = KEY
    data = posts(args.posts)
    admin, db = None, None
    if args.backend == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='form-erasure-bench-')}/warehouse.db"
    else:
        pg = os.environ.get("LEADPIPE_BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
        db = f"form_erasure_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        url = pg.rsplit("/", 1)[0] + f"/{db}"
    try:
        migrate(url)
        fill(url, args.tombstones, [p["email"] for p in data if p["email"].startswith("erased")])
        engine = engine_for(url)
        out = {"backend": args.backend, "tombstones": args.tombstones, "posts": args.posts}
        for name, fn in (("load all", load_all), ("lookup", lambda e, p: is_erased(blank_if_erased(e, p)))):
            fn(engine, data[1])  # warm: connection, key, imports
            times, caught = timed(fn, engine, data)
            p95 = statistics.quantiles(times, n=20)[-1]
            out[name] = {"median_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2), "caught": caught}
            print(f"{name:<9} median {statistics.median(times):9.2f} ms  p95 {p95:9.2f} ms  caught {caught}",
                  flush=True)
        assert out["load all"]["caught"] == out["lookup"]["caught"] == len(range(0, args.posts, 10)), out
        results = ROOT / "bench" / "results"
        results.mkdir(parents=True, exist_ok=True)
        (results / f"form_erasure_{args.backend}_{args.tombstones}.json").write_text(json.dumps(out, indent=2) + "\n")
    finally:
        engine_for(url).dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

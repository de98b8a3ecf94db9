"""The first burst after a restart: 200 concurrent signed posts to a freshly started webhook (two worker
processes, a warehouse nobody has migrated yet), on SQLite and PostgreSQL. Every distinct submission is
stored exactly once, every exact replay is answered as a duplicate of it, and no post gets a 5xx.

Before, each request migrated the warehouse itself: most of such a burst got 503 and a fresh SQLite
warehouse was left half-migrated.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select, text

from leadpipe.airflow_app.forms_webhook import SIGNATURE_HEADER, sign
from leadpipe.store.warehouse import engine_for, form_inbox, metadata, migrate
from tests.webhook_server import FORM, SECRET, form_env, fresh_warehouse, serve_workers

DISTINCT = 160
REPLAYS = 40
WORKERS = 2


def _bodies() -> tuple[list[bytes], list[bytes]]:
    """160 distinct submissions (some with the sender's id, some without) and 40 byte-exact replays of them."""
    rng = random.Random(17)
    distinct = []
    for i in range(DISTINCT):
        sent = {"email": f"lead{i}@acme{i % 7}.de", "full_name": f"Lead {i}", "consent_email": "yes", "_hp": "",
                "_rendered_at": 1767000000 + i}
        if i % 3:
            sent["submission_id"] = f"burst-{i}"
        distinct.append(json.dumps(sent).encode())
    return distinct, rng.sample(distinct, REPLAYS)


async def _fire(base: str, bodies: list[bytes]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        return await asyncio.gather(*(client.post(
            f"{base}/forms/{FORM}", content=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(SECRET.encode(), body)})
            for body in bodies))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_200_concurrent_posts_to_a_fresh_webhook_are_stored_exactly_once(backend: str, tmp_path: Path,
                                                                         request: pytest.FixtureRequest) -> None:
    pg = request.getfixturevalue("pg_server") if backend == "postgresql" else None
    distinct, replays = _bodies()
    posts = distinct + replays
    random.Random(3).shuffle(posts)
    with fresh_warehouse(backend, tmp_path, pg) as url:
        with serve_workers(form_env(url), WORKERS, tmp_path / "uvicorn.log") as base:
            responses = asyncio.run(_fire(base, posts))
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: DISTINCT, 200: REPLAYS}, (statuses, (tmp_path / "uvicorn.log").read_text()[-3000:])

        ids: dict[bytes, set[int]] = {}
        for body, response in zip(posts, responses, strict=True):
            ids.setdefault(body, set()).add(response.json()["id"])
        assert all(len(v) == 1 for v in ids.values())  # a replay is answered with the original's inbox id

        with engine_for(url).connect() as conn:
            rows = conn.execute(select(form_inbox.c.id, form_inbox.c.payload, form_inbox.c.idempotency_key)).all()
            assert set(metadata.tables) <= set(inspect(conn).get_table_names())
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert len(rows) == DISTINCT
        stored = Counter(r.payload["email"] for r in rows)
        assert stored == Counter(json.loads(b)["email"] for b in distinct)  # each exactly once
        assert {r.id for r in rows} == {next(iter(v)) for v in ids.values()}
        assert len({r.idempotency_key for r in rows}) == DISTINCT
        migrate(url)  # the warehouse is whole: a later run migrates (a no-op) without error

"""A form post is checked against erasure tombstones by looking its own values up, not by loading every one.

The cost of one post must not grow with the number of people ever erased (it took 1.07 s at 300,000
tombstones when each post loaded them all). Measured without a clock: SQLite's progress handler counts the
virtual-machine steps the database runs for one check; with 100 or 20,000 tombstones they must be the same
order. Matching is unchanged: keyed (HMAC) tombstones and legacy plain SHA-256 ones, emails and phones, in
mapped, unmapped and nested fields.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, insert

from enrichment.suppress import legacy_tombstone_digest, tombstone_hash, tombstone_value
from leadpipe.pipeline.erasure_guard import blank_if_erased, is_erased
from leadpipe.store.warehouse import engine_for, migrate, suppression_entries

KEY = "a-tombstone-key-for-the-lookup-tests"


@pytest.fixture
def warehouse(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("LEADPIPE_TOMBSTONE_KEY", KEY)
    migrate(warehouse_url)
    yield warehouse_url


def _tombstones(url: str, n_random: int) -> None:
    """`n_random` keyed tombstones of strangers, plus the erased people the tests post as."""
    now = datetime.now(UTC)
    rows = [("email", tombstone_hash("email", f"{secrets.token_hex(6)}@example.org", KEY.encode()))
            for _ in range(n_random)]
    rows += [("email", tombstone_hash("email", "erased@acme.de", KEY.encode())),
             ("email", legacy_tombstone_digest("email", tombstone_value("email", "old.erasure@acme.de"))),
             ("phone", tombstone_hash("phone", "+4930901820", KEY.encode()))]
    with engine_for(url).begin() as conn:
        conn.execute(insert(suppression_entries), [{"kind": k, "value_hash": h, "list_name": "erasure",
                                                    "reason": "erased on request", "created_at": now}
                                                   for k, h in rows])


@pytest.mark.parametrize(("payload", "erased"), [
    ({"email": "Erased@ACME.de ", "full_name": "Eva Erased"}, True),  # keyed tombstone, as normalised
    ({"email": "old.erasure@acme.de"}, True),  # a legacy plain-hash tombstone
    ({"E_Mail": "erased@acme.de", "name": "x"}, True),  # an unmapped field
    ({"contact": {"work": {"email": "erased@acme.de"}}, "company": "Acme"}, True),  # nested
    ({"answers": [{"text": "Eva"}, {"text": "erased@acme.de"}]}, True),  # in a list
    ({"email": "eva@other.de", "phone": "030 901820", "country": "DE"}, True),  # phone, national format
    ({"email": "eva@other.de", "Mobile": "+49 30 901820"}, True),
    ({"email": "someone.else@acme.de", "phone": 4930901821, "score": 7.5, "consent": True}, False),
])
def test_erased_senders_are_found_by_lookup(warehouse: str, payload: dict, erased: bool) -> None:
    _tombstones(warehouse, 50)
    result = blank_if_erased(engine_for(warehouse), payload)
    assert is_erased(result) is erased
    if erased:
        assert set(payload) <= set(result) and all(result[k] == "" for k in payload)
    else:
        assert result == payload


def test_without_tombstones_a_post_is_unchanged(warehouse: str) -> None:
    payload = {"email": "erased@acme.de"}
    assert blank_if_erased(engine_for(warehouse), payload) == payload


def _counting_engine(url: str) -> tuple[Engine, list[int]]:
    """A SQLite engine whose connections count virtual-machine steps (in tens) into the returned list."""
    steps = [0]
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _count(dbapi_conn, _record) -> None:
        def tick() -> int:
            steps[0] += 1
            return 0

        dbapi_conn.set_progress_handler(tick, 10)

    return engine, steps


def test_the_cost_of_one_post_does_not_grow_with_the_number_of_tombstones(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_TOMBSTONE_KEY", KEY)
    payload = {"email": "eva@other.de", "E_Mail": "x@acme.de", "phone": "030 1234567", "country": "DE",
               "contact": {"mail": "y@acme.de"}}
    cost = {}
    for n in (100, 20_000):
        url = f"sqlite:///{tmp_path / f'w{n}.db'}"
        migrate(url)
        _tombstones(url, n)
        engine, steps = _counting_engine(url)
        assert blank_if_erased(engine, payload) == payload  # warm: connection, key, imports
        steps[0] = 0
        assert is_erased(blank_if_erased(engine, {**payload, "E_Mail": "erased@acme.de"}))
        cost[n] = steps[0]
        engine.dispose()
    # 200 times the tombstones: a full load would cost about 200 times the steps; a lookup the same
    assert cost[100] > 0, "the counter sees the lookups"
    assert cost[20_000] <= 2 * cost[100], cost

"""Whatever the webhook accepts, every warehouse backend stores and gives back unchanged: SQLite, PostgreSQL
and MariaDB (PostgreSQL refused `NaN`, `Infinity` and the -Infinity a long digit string in `_rendered_at`
turned into, so such a post got 503 on every retry and the lead was lost).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from connectors.sources.forms.submission import BodyRefused, canonical_json, read_submission
from leadpipe.store.form_inbox import store_submission
from leadpipe.store.warehouse import engine_for, form_inbox, migrate
from tests.webhook_server import fresh_warehouse

HOSTILE_BUT_VALID = [
    {"email": "a@acme.de", "_rendered_at": "9" * 400},
    {"email": "a@acme.de", "_rendered_at": int("9" * 40)},
    {"email": "a@acme.de", "_rendered_at": -1e308},
    {"email": "a@acme.de", "_rendered_at": "2026-13-45T99:99"},
    {"email": "a@acme.de", "gclid": int("9" * 40), "neg": -int("9" * 40)},
    {"email": "a@acme.de", "tiny": 5e-324, "big": 1.7976931348623157e308, "zero": -0.0},
    {"email": "a@acme.de", "message": "NUL\u0000 BEL\u0007 ESC\u001b DEL\u007f C1\u0085 LS\u2028"},
    {"email": "a@acme.de", "name": "👩‍💻 \U0010ffff \ufeff \u202e"},
    {"email": "a@acme.de", "nested": {"a": [1, {"b": [None, True, "x"]}]}},
    {"email": "a@acme.de", "quote": "\"'\\`${x}</script>"},
]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    pg = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    with fresh_warehouse(request.param, tmp_path, pg) as u:
        migrate(u)
        yield u


def test_every_accepted_post_is_stored_and_read_back_unchanged(url: str) -> None:
    engine = engine_for(url)
    for i, sent in enumerate(HOSTILE_BUT_VALID):
        body = json.dumps(sent).encode()
        sub = read_submission(body, time.time())
        assert store_submission(engine, "contact", sub.key, body, sub.payload, sub.signals).duplicate is False, i
    with engine.connect() as conn:
        rows = conn.execute(select(form_inbox.c.payload, form_inbox.c.signals).order_by(form_inbox.c.id)).all()
    assert [canonical_json(r.payload) for r in rows] == [canonical_json(s) for s in HOSTILE_BUT_VALID]
    assert all(r.signals["seconds_to_submit"] is None for r in rows[:4])  # no usable render time: no signal


def test_the_canonical_text_is_json_to_the_database_itself(url: str) -> None:
    """The database's own JSON parser accepts every accepted post's canonical text."""
    check = {"sqlite": "SELECT json_valid(:t)", "postgresql": "SELECT CAST(:t AS json) IS NOT NULL",
             "mysql": "SELECT JSON_VALID(:t)", "mariadb": "SELECT JSON_VALID(:t)"}
    engine = engine_for(url)
    with engine.connect() as conn:
        sql = text(check[conn.dialect.name])
        for sent in HOSTILE_BUT_VALID:
            payload = read_submission(json.dumps(sent).encode(), time.time()).payload
            assert conn.execute(sql, {"t": canonical_json(payload)}).scalar() in (1, True), sent


@pytest.mark.parametrize("body", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e999}',
                                  b'{"a": -1e999}', b'{"a": ' + b"1" * 41 + b"}"])
def test_what_no_backend_can_store_is_refused_before_the_warehouse(body: bytes) -> None:
    with pytest.raises(BodyRefused) as refused:
        read_submission(body, time.time())
    assert 400 <= refused.value.status < 500 and refused.value.reason

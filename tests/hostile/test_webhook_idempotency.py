"""Which posts are the same submission: a replay is stored once; two different submissions are never merged.

The idempotency key is the SHA-256 of the canonical submission (the sender's own `submission_id` with its
JSON type when it sends one, else every field), so ids that share a long prefix or differ only in type, and
bodies that differ in any value, are separate submissions; a replay with other spacing or field order is not.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sources.forms.submission import canonical_json, idempotency_key, parse_submission
from tests.webhook_server import inbox_count, inbox_payloads, post, webhook_on


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def webhook(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    pg = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    with webhook_on(request.param, tmp_path_factory.mktemp("wh"), pg) as running:
        yield running


def _stored(base: str, sent: dict) -> str:
    response = post(base, json.dumps(sent).encode())
    assert response.status_code in (200, 201), response.text
    return response.json()["status"]


@pytest.mark.parametrize(("first", "second"), [
    (7, "7"),  # number and text
    (True, "true"),
    (1, 1.0),
    ("A" * 128 + "-lead-1", "A" * 128 + "-lead-2"),  # same first 128 characters
    ("x" * 300 + "1", "x" * 300 + "2"),
    ("sub-1", ["sub-1"]),
])
def test_different_submission_ids_are_different_submissions(webhook: tuple[str, str], first: object,
                                                            second: object) -> None:
    base, url = webhook
    before = inbox_count(url)
    assert _stored(base, {"submission_id": first, "email": "a@acme.de"}) == "stored"
    assert _stored(base, {"submission_id": second, "email": "b@acme.de"}) == "stored"
    assert inbox_count(url) == before + 2


def test_a_retry_with_the_same_submission_id_is_one_submission(webhook: tuple[str, str]) -> None:
    base, url = webhook
    before = inbox_count(url)
    assert _stored(base, {"submission_id": 4711, "email": "a@acme.de", "_rendered_at": 1767000000}) == "stored"
    # the site re-renders the hidden timestamp on its retry: still the same submission
    assert _stored(base, {"submission_id": 4711, "email": "a@acme.de", "_rendered_at": 1767000009}) == "duplicate"
    assert inbox_count(url) == before + 1


def test_without_an_id_a_replay_is_stored_once_whatever_its_spacing(webhook: tuple[str, str]) -> None:
    base, url = webhook
    before = inbox_count(url)
    first = post(base, b'{"email": "c@acme.de", "full_name": "C Doe", "phone": 4930123456}')
    assert first.status_code == 201
    for replay in (b'{"email": "c@acme.de", "full_name": "C Doe", "phone": 4930123456}',
                   b'{"phone":4930123456,"full_name":"C Doe","email":"c@acme.de"}',
                   b'\n{ "email" : "c@acme.de" , "full_name" : "C Doe", "phone": 4930123456 }\n'):
        again = post(base, replay)
        assert again.status_code == 200 and again.json() == {"status": "duplicate", "id": first.json()["id"]}
    assert inbox_count(url) == before + 1


def test_without_an_id_any_changed_value_is_a_new_submission(webhook: tuple[str, str]) -> None:
    base, url = webhook
    before = inbox_count(url)
    variants = [{"email": "d@acme.de", "phone": 4930123456}, {"email": "d@acme.de", "phone": "4930123456"},
                {"email": "d@acme.de", "phone": 4930123456.0}, {"email": "d@acme.de", "phone": 4930123457},
                {"email": "d@acme.de", "phone": 4930123456, "consent": True}]
    for sent in variants:
        assert _stored(base, sent) == "stored"
    assert inbox_count(url) == before + len(variants)
    assert inbox_payloads(url)[-len(variants):] == variants  # each kept with its own type


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _same(a: object, b: object) -> bool:
    """Equal as JSON values, types included (Python says 1 == 1.0 == True)."""
    return canonical_json(a) == canonical_json(b) and type(a) is type(b)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8).filter(str.strip),
                       json_values, min_size=1, max_size=6), json_values)
def test_the_key_tells_apart_any_two_payloads_that_differ(payload: dict, other_value: object) -> None:
    changed = {**payload, next(iter(payload)): other_value}
    if _same(changed, payload):
        assert idempotency_key(changed) == idempotency_key(payload)
    else:
        assert idempotency_key(changed) != idempotency_key(payload)
    # the key is the same whichever way the body was written
    reordered = dict(reversed(list(payload.items())))
    assert idempotency_key(parse_submission(json.dumps(reordered, indent=2).encode())) == idempotency_key(payload)
    assert len(idempotency_key(payload)) == 64


"""Hostile form posts over real HTTP, on SQLite and PostgreSQL: each is stored as sent or refused with a 4xx
that says why, never a 500 or a 503 on every retry (a lost lead), and nothing of a refused post is stored.

Every body here is correctly signed: these are what a buggy or hostile sender that holds the form's secret
(or a website relaying what a browser typed) can send. Unsigned and forged posts: tests/test_forms_webhook.py.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from tests.webhook_server import SECRET, inbox_count, inbox_payloads, post, webhook_on

BASE = {"email": "jane@acme.de", "full_name": "Jane Doe", "_hp": ""}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def webhook(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    pg = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    with webhook_on(request.param, tmp_path_factory.mktemp("wh"), pg, MAX_BYTES="65536") as running:
        yield running


def _body(**fields: object) -> bytes:
    return json.dumps({**BASE, "_rendered_at": time.time() - 30, **fields}).encode()


def _nested(depth: int) -> bytes:
    """An object nested `depth` levels deep in all (the top-level object is level 1)."""
    inner: object = "x"
    for _ in range(depth - 1):
        inner = {"k": inner}
    return json.dumps({**BASE, "answers": inner}).encode()


REFUSED = {
    # name: (body, content type, status, code)
    "NaN literal": (b'{"email": "jane@acme.de", "score": NaN}', None, 400, "not_json"),
    "Infinity literal": (b'{"email": "jane@acme.de", "score": -Infinity}', None, 400, "not_json"),
    "number beyond a double": (b'{"email": "jane@acme.de", "score": 1e400}', None, 422, "number_out_of_range"),
    "integer of 41 digits": (b'{"email": "jane@acme.de", "gclid": ' + b"9" * 41 + b"}", None, 422,
                             "number_too_long"),
    "integer of 5000 digits": (b'{"email": "jane@acme.de", "gclid": ' + b"9" * 5000 + b"}", None, 422,
                               "number_too_long"),
    "nested 11 levels": (_nested(11), None, 422, "too_deep"),
    "nested 30000 levels": (b"[" * 30000 + b"]" * 30000, None, 422, "too_deep"),
    "nested 30000 levels, unclosed": (b'{"a":' + b"[" * 30000, None, 422, "too_deep"),
    "a string that never ends, 20000 escaped quotes": (b'{"a": "' + b'\\"' * 20000, None, 400, "not_json"),
    "field twice": (b'{"email": "jane@acme.de", "email": "other@evil.example"}', None, 422, "duplicate_field"),
    "unpaired surrogate": (b'{"email": "jane@acme.de", "name": "\\ud800"}', None, 400, "unpaired_surrogate"),
    "not UTF-8": ('{"email": "jane@acme.de", "name": "Jörg"}'.encode("latin-1"), None, 400, "not_utf8"),
    "UTF-16": ('{"email": "jane@acme.de"}'.encode("utf-16"), None, 400, "not_utf8"),
    "trailing garbage": (b'{"email": "jane@acme.de"} {"email": "x@y.de"}', None, 400, "not_json"),
    "truncated": (b'{"email": "jane@acme.de", "na', None, 400, "not_json"),
    "empty body": (b"", None, 400, "not_json"),
    "JSON list": (b'[{"email": "jane@acme.de"}]', None, 422, "not_object"),
    "JSON string": (b'"jane@acme.de"', None, 422, "not_object"),
    "JSON null": (b"null", None, 422, "not_object"),
    "empty object": (b"{}", None, 422, "empty"),
    "201 fields": (json.dumps({f"f{i}": "x" for i in range(201)}).encode(), None, 422, "too_many_fields"),
    "1001 values in a list": (json.dumps({"email": "jane@acme.de", "tags": list(range(1000))}).encode(), None, 422,
                              "too_many_values"),
    "empty field name": (b'{"email": "jane@acme.de", "": "x"}', None, 422, "empty_field_name"),
    "field name of 201 characters": (json.dumps({"email": "jane@acme.de", "n" * 201: "x"}).encode(), None, 422,
                                     "field_name_too_long"),
    "larger than the limit": (_body(message="x" * 70_000), None, 413, "too_large"),
    "text/plain": (_body(), "text/plain", 415, "content_type"),
    "form-urlencoded": (b"email=jane%40acme.de", "application/x-www-form-urlencoded", 415, "content_type"),
    "no content type": (_body(), "", 415, "content_type"),
    "JSON in Latin-1": (_body(), "application/json; charset=iso-8859-1", 415, "content_type"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_malformed_body_gets_a_4xx_with_its_reason_and_nothing_is_stored(webhook: tuple[str, str],
                                                                           case: str) -> None:
    base, url = webhook
    body, content_type, status, code = REFUSED[case]
    before = inbox_count(url)
    response = post(base, body, content_type="application/json" if content_type is None else content_type or None)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["status"] == "refused" and answer["code"] == code
    assert len(answer["reason"]) > 10  # a sentence the sender's developer can act on
    assert inbox_count(url) == before


ACCEPTED = {
    # name: (fields as sent, whether the body is sent with a byte order mark)
    "hidden field with a 400-digit string": ({"_rendered_at": "9" * 400}, False),
    "hidden field with a 400-digit string, not a time": ({"gclid": "1" * 400}, False),
    "numeric id of 40 digits": ({"gclid": int("9" * 40)}, False),
    "negative and tiny numbers": ({"score": -0.0, "weight": 1e-320, "big": 1.7e308}, False),
    "NUL and control characters in a value": ({"message": "a\u0000b\u0007c\u001b[31m"}, False),
    "emoji, right-to-left and combining marks": ({"full_name": "Zoë 👩‍💻 \u202eevil\u202c e\u0301"}, False),
    "brackets inside a string are not nesting": ({"message": "[" * 5000 + "{" * 5000}, False),
    "nested 10 levels (the limit)": ({"answers": json.loads(_nested(10))["answers"]}, False),
    "1000 values (the limit)": ({"tags": list(range(1000 - len(BASE) - 1))}, False),
    "byte order mark": ({}, True),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_an_unusual_but_valid_body_is_stored_as_sent(webhook: tuple[str, str], case: str) -> None:
    base, url = webhook
    fields, bom = ACCEPTED[case]
    sent = {**BASE, "submission_id": f"hostile-{case}", **fields}
    body = ("\ufeff" if bom else "").encode() + json.dumps(sent).encode()
    response = post(base, body)
    assert response.status_code == 201, response.text
    stored = inbox_payloads(url)[-1]
    assert stored == sent
    assert json.dumps(stored, allow_nan=False)  # what the nightly run reads back is plain JSON again


def test_a_long_digit_string_in_the_rendered_at_field_leaves_the_signal_empty(webhook: tuple[str, str]) -> None:
    from sqlalchemy import select

    from leadpipe.store.warehouse import engine_for, form_inbox

    base, url = webhook
    body = json.dumps({**BASE, "submission_id": "digits-in-rendered-at", "_rendered_at": "9" * 400}).encode()
    assert post(base, body).status_code == 201
    with engine_for(url).connect() as conn:
        signals = conn.execute(select(form_inbox.c.signals).order_by(form_inbox.c.id.desc()).limit(1)).scalar_one()
    assert signals["seconds_to_submit"] is None and signals["too_fast"] is False


def test_charset_utf8_is_accepted(webhook: tuple[str, str]) -> None:
    base, _ = webhook
    response = post(base, _body(submission_id="charset"), content_type="application/json; charset=UTF-8")
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("form", ["contact%0A", "contact%0D%0Aforged%20line", "Contact", "contact%00", "-contact",
                                  "c" * 64])
def test_a_bad_form_id_is_refused_and_never_reaches_a_log_line(webhook: tuple[str, str], form: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    base, url = webhook
    caplog.set_level(logging.INFO, logger="leadpipe.forms")
    before = inbox_count(url)
    response = post(base, _body(), form=form)
    assert response.status_code == 404 and response.json()["code"] == "unknown_form"
    assert inbox_count(url) == before
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("leadpipe")]
    assert lines, "the refusal is logged"
    assert not any(ch in line for line in lines for ch in "\r\n\x00"), lines
    assert not any("forged" in line or "Contact" in line for line in lines), lines


def test_log_lines_never_carry_values_from_the_body(webhook: tuple[str, str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    base, _ = webhook
    caplog.set_level(logging.DEBUG, logger="leadpipe")
    marker = "zz-canary-7f3a"
    bodies = [_body(email=f"{marker}@acme.de", submission_id=marker), b'{"email": "%s", NaN}' % marker.encode(),
              b'{"%s": 1, "%s": 2}' % (marker.encode(), marker.encode())]
    for body in bodies:
        assert post(base, body).status_code < 500
    assert post(base, bodies[0], secret="wrong").status_code == 401
    lines = [r.getMessage() for r in caplog.records]
    assert any("contact" in line for line in lines)
    assert not any(marker in line for line in lines), lines


def test_the_answer_to_a_refusal_is_json_not_a_traceback(webhook: tuple[str, str]) -> None:
    base, _ = webhook
    response = post(base, b"[" * 30000, secret=SECRET)
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text and "File \"" not in response.text


def test_the_limits_are_documented_for_form_vendors() -> None:
    from connectors.sources.forms import submission

    doc = (Path(__file__).resolve().parents[2] / "docs" / "connectors.md").read_text()
    for code in {c for *_, c in REFUSED.values()} | {"rate_limited", "signature", "unknown_form"}:
        assert f"`{code}`" in doc, f"docs/connectors.md does not explain the refusal code {code}"
    for limit in (submission.MAX_DEPTH, submission.MAX_FIELDS, submission.MAX_INT_DIGITS, submission.MAX_NAME_CHARS,
                  submission.MAX_VALUES):
        assert str(limit) in doc

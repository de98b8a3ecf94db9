"""What a form post must be before it is stored: strict, bounded JSON with one canonical text per submission.

Form posts are hostile input. The webhook parses every body with these rules and answers each refusal with a
4xx, a fixed `code` and a reason the sender's developer can act on, so nothing reaches the warehouse that one of
its backends (SQLite, PostgreSQL, MariaDB) would refuse, and no body makes the parser itself fail (a 500).

The rules are I-JSON (RFC 7493), the subset of JSON every parser reads the same way: UTF-8, unique field
names, no unpaired surrogates, no `NaN`/`Infinity` (not JSON at all, RFC 8259), numbers a double can hold,
plus bounds on nesting and integer length. One deliberate difference: integers are kept exactly up to
`MAX_INT_DIGITS` digits, so a numeric tracking id in a hidden field is stored as sent, not rounded.

The canonical text (`canonical_json`: keys sorted, no spaces, UTF-8, numbers as parsed, so `7` and `"7"` stay
different) is what the idempotency key hashes; see `idempotency_key`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_DEPTH = 10  # {"a": {"b": 1}} is 2 deep; form tools nest answers 4-5 deep
MAX_FIELDS = 200  # top-level fields of one submission
MAX_VALUES = 1000  # values in all (inside lists and objects too): each is searched for erased people's emails
MAX_INT_DIGITS = 40  # 2**128 has 39 digits: any numeric id fits; longer numbers must be sent as strings
MAX_NAME_CHARS = 200  # a field name longer than this is not a form field

# The sender's own id for the submission, signed with the body: it identifies the submission when present.
KEY_FIELDS = ("submission_id", "idempotency_key")
HONEYPOT_FIELD = "_hp"  # hidden input real people leave empty
RENDERED_AT_FIELD = "_rendered_at"  # epoch seconds (or ISO time) when the page showed the form
TOO_FAST_SECONDS = 3.0
_MAX_PLAUSIBLE_SECONDS = 366 * 24 * 3600.0  # a form rendered longer ago than this is a bad clock or a forgery

# What the depth check looks for: a bracket, or the quote that opens a string (skipped whole, so brackets
# inside text are not counted). The string body pattern cannot backtrack: its two branches never overlap.
_STRUCTURAL = re.compile(r'["\[\]{}]')
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BodyRefused(ValueError):
    """A body that is not stored: the HTTP status, a fixed code (safe to log) and a reason for the sender."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def parse_submission(body: bytes) -> dict[str, Any]:
    """The body as a dict of form fields, or BodyRefused (400: not JSON; 422: JSON we do not accept)."""
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise BodyRefused(400, "not_utf8", "body is not UTF-8 text; send JSON encoded as UTF-8") from None
    _check_depth(text)
    try:
        payload = json.loads(text, parse_constant=_refuse_constant, parse_int=_checked_int,
                             parse_float=_checked_float, object_pairs_hook=_unique_fields)
    except json.JSONDecodeError as exc:
        raise BodyRefused(400, "not_json",
                          f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # _check_depth keeps far below the limit; this is a second fence, not the check
        raise BodyRefused(422, "too_deep", f"body is nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(payload, dict):
        raise BodyRefused(422, "not_object", "body must be a JSON object of form fields, e.g. "
                                             '{"email": "jane@example.com"}')
    if not payload:
        raise BodyRefused(422, "empty", "body is an empty JSON object: no form fields")
    if len(payload) > MAX_FIELDS:
        raise BodyRefused(422, "too_many_fields", f"body has {len(payload)} fields; at most {MAX_FIELDS}")
    for name in payload:
        if not name.strip():
            raise BodyRefused(422, "empty_field_name", "a field has an empty name")
        if len(name) > MAX_NAME_CHARS:
            raise BodyRefused(422, "field_name_too_long", f"a field name is longer than {MAX_NAME_CHARS} characters")
    if _count_values(payload) > MAX_VALUES:
        raise BodyRefused(422, "too_many_values", f"body holds more than {MAX_VALUES} values (lists and objects "
                                                  "included)")
    if _SURROGATE.search(_raw_strings(payload)):
        raise BodyRefused(400, "unpaired_surrogate", "body has an unpaired UTF-16 surrogate escape (e.g. \\ud800): "
                                                     "not valid Unicode")
    return payload


def canonical_json(value: Any) -> str:
    """One text per value: keys sorted, no whitespace, numbers as parsed (1 and 1.0 and "1" all differ).

    Valid JSON for every warehouse backend's JSON check (no NaN, no Infinity; the parser refuses them).
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def idempotency_key(payload: dict[str, Any]) -> str:
    """SHA-256 (64 hex characters) of the canonical submission: what makes a retry the same submission.

    When the body carries the sender's own id (`submission_id` or `idempotency_key`, signed with the body),
    the submission is that id, type included (`7` and `"7"` differ), so a retry that re-renders a timestamp
    is still a retry; otherwise it is the whole payload, so any changed field makes a new submission while
    a replay with other spacing or field order is the same one.
    """
    basis = next(({name: payload[name]} for name in KEY_FIELDS if payload.get(name) not in (None, "")), payload)
    return hashlib.sha256(canonical_json(basis).encode("utf-8")).hexdigest()


def spam_signals(payload: dict[str, Any], now: float) -> dict[str, Any]:
    """Bot signals kept next to the submission (never used to drop it); every value is finite JSON."""
    honeypot = bool(str(payload.get(HONEYPOT_FIELD) or "").strip())
    seconds = _seconds_since(payload.get(RENDERED_AT_FIELD), now)
    too_fast = seconds is not None and seconds < TOO_FAST_SECONDS
    return {"honeypot_filled": honeypot, "seconds_to_submit": seconds, "too_fast": too_fast,
            "spam_suspected": honeypot or too_fast}


def _seconds_since(rendered: Any, now: float) -> float | None:
    """Seconds from `_rendered_at` (epoch seconds as number or text, or ISO time) to now; None if unusable."""
    try:
        number = isinstance(rendered, int | float) and not isinstance(rendered, bool)
        if number or (isinstance(rendered, str) and rendered.isascii() and rendered.replace(".", "", 1).isdigit()):
            at = float(rendered)
        elif isinstance(rendered, str) and rendered:
            at = datetime.fromisoformat(rendered).timestamp()
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    seconds = now - at
    if not math.isfinite(seconds) or abs(seconds) > _MAX_PLAUSIBLE_SECONDS:
        return None
    return round(seconds, 3)


def _check_depth(text: str) -> None:
    """Refuse deep nesting before the parser sees it (Python's parser recurses once per level).

    Up to the first syntax error these are the parser's tokens, so the parser never goes deeper than what is
    counted; one pass, linear in the body (each string is scanned once).
    """
    depth, pos = 0, 0
    while found := _STRUCTURAL.search(text, pos):
        ch, pos = found.group(), found.end()
        if ch == '"':
            pos = _STRING_BODY.match(text, pos).end()
            if pos >= len(text) or text[pos] != '"':  # unterminated: the parser stops at this string
                return
            pos += 1  # the closing quote
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise BodyRefused(422, "too_deep", f"body is nested deeper than {MAX_DEPTH} levels")
        else:
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise BodyRefused(400, "not_json", f"body is not valid JSON: {name} is not a JSON value (RFC 8259); "
                                       "send null or the value as a string")


def _checked_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise BodyRefused(422, "number_too_long", f"a number has more than {MAX_INT_DIGITS} digits; "
                                                  "send long numbers (ids, codes) as strings")
    return int(digits)


def _checked_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise BodyRefused(422, "number_out_of_range", "a number is too large for a double (beyond about 1.8e308); "
                                                      "send it as a string")
    return value


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise BodyRefused(422, "duplicate_field", "a field name appears twice in one object; each must be unique")
    return out


def _count_values(value: Any) -> int:
    """How many values a parsed body holds, counting inside lists and objects."""
    if isinstance(value, dict):
        return sum(_count_values(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_values(v) for v in value)
    return 1


def _raw_strings(value: Any) -> str:
    """Every string of a parsed value (names and values), joined: what is searched for unpaired surrogates."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(k + _raw_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return "".join(_raw_strings(v) for v in value)
    return ""


@dataclass(frozen=True)
class Submission:
    """A parsed post: the fields, its idempotency key and its spam signals."""

    payload: dict[str, Any]
    key: str
    signals: dict[str, Any]


def read_submission(body: bytes, now: float) -> Submission:
    """Parse and describe one post; BodyRefused when it cannot be stored as sent."""
    payload = parse_submission(body)
    return Submission(payload, idempotency_key(payload), spam_signals(payload, now))

"""Credentials out of everything we print or store: `mask_url` for one URL, `mask_text` for any message.

A warehouse or storage URL may carry a password as `user:password@` or as a query parameter
(`?password=`, `?sslpassword=`, `?token=`, a presigned URL's `X-Amz-Signature`). Every URL that reaches a
summary, a report, a log line or the terminal goes through here first, so the password never leaves the
environment variable or Airflow Connection it came from.

SQLAlchemy's `URL.render_as_string(hide_password=True)` hides the `user:password@` part of a parsed URL, but
not the query, and a URL typed with an unencoded `@` in its password (`user:p@ss@host`, which SQLAlchemy
parses as password `p` and host `ss@host`) would still show the rest. So strings are masked by their text:
the user-info part ends at the last `@` that is followed by a host name, and every query or fragment
parameter whose name says it is a secret is replaced by `***`. The rules over-mask rather than leak.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from leadpipe.core.controls import printable

if TYPE_CHECKING:
    from sqlalchemy.engine import URL  # only for the hints: logging setup imports this module, keep it light

__all__ = ["MASK", "MaskingFormatter", "is_secret_name", "mask_secrets", "mask_text", "mask_url", "url_secrets"]

MASK = "***"

# Parameter names, lower-cased with everything but letters and digits removed, that hold a secret: exactly one
# of these, or containing one of the longer ones (client_secret, X-Amz-Security-Token, sslpassword, apiKey).
_SECRET_EXACT = frozenset({"pass", "pwd", "pw", "key", "sig", "auth", "code", "apikey", "sslkey"})
_SECRET_PART = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey",
                "signature", "credential", "sessionkey", "authorization")

_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S+")
_PARAM = re.compile(r"([?&;#])([^=&;#?\s]+)=([^&;#\s]*)")
_HOST = re.compile(r"[A-Za-z0-9.\-_\[\]:%]*")  # what may follow the user-info's `@`: host[:port]
_PORT_THEN_PATH = re.compile(r"\d{1,5}(?:/|$)")  # `host:8080/a@b`: a port, not a password
# libpq and ODBC connection strings (`host=db password=s3cret`), as some drivers echo them in errors.
_KEY_VALUE = re.compile(r"(?i)\b(password|passwd|pwd|sslpassword|secret|token|api_key|access_token)"
                        r"(\s*=\s*)('[^']*'|\"[^\"]*\"|[^\s;&,]+)")


def is_secret_name(name: str) -> bool:
    """True when a parameter or setting named `name` holds a secret (password, token, key, signature...)."""
    folded = re.sub(r"[^a-z0-9]", "", name.lower())
    return folded in _SECRET_EXACT or any(part in folded for part in _SECRET_PART)


def mask_url(url: str | URL) -> str:
    """`url` as text with its password and every secret query parameter shown as `***`.

    A SQLAlchemy URL object is rendered with `render_as_string(hide_password=True)` first; its query (which
    that leaves alone) and every plain string are then masked by `_mask_one`.
    """
    if hasattr(url, "render_as_string"):  # a sqlalchemy.engine.URL
        return _mask_one(url.render_as_string(hide_password=True))
    return _mask_one(str(url))


def mask_text(text: str) -> str:
    """`text` (an error message, a log line, a path) with every URL in it masked, and libpq-style
    `password=...` pairs too."""
    if "=" not in text and "@" not in text:
        return text  # nothing to mask: the common case, kept cheap
    text = _URL_IN_TEXT.sub(_mask_match, text)
    return _KEY_VALUE.sub(_mask_key_value, text)


def mask_secrets(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with `mask_text` applied to every string in it,
    keys included: for summaries and reports that carry paths, URLs and error messages."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {mask_secrets(k) if isinstance(k, str) else k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v) for v in value]
    return value


def url_secrets(url: str | URL) -> list[str]:
    """The secret values inside `url` (its password, secret query parameters), for a log masker such as
    Airflow's `mask_secret` that hides values wherever they appear."""
    if hasattr(url, "render_as_string"):  # a sqlalchemy.engine.URL: its parts, as the driver gets them
        values = [url.password or ""]
        for name, value in url.query.items():
            if is_secret_name(name):
                values += [value] if isinstance(value, str) else list(value)
        return [s for s in dict.fromkeys(values) if s]
    text = str(url)
    found = []
    rest = text[text.find("://") + 3:] if "://" in text else text
    at = _userinfo_end(rest)
    if at is not None:
        found.append(rest[:at].partition(":")[2])
    found += [m.group(3) for m in _PARAM.finditer(text) if is_secret_name(m.group(2))]
    return [s for s in dict.fromkeys(found) if s and s != MASK]


def _mask_key_value(m: re.Match[str]) -> str:
    value = m.group(3)
    if value.startswith(MASK):
        return m.group(0)  # masked already (inside a URL)
    body = value if value[0] in "'\"" else value.rstrip(".,:!?)]}")
    return m.group(1) + m.group(2) + MASK + value[len(body):]


def _mask_match(m: re.Match[str]) -> str:
    """A URL found in text, without the punctuation that ends the sentence around it (`see <url>.`)."""
    url = m.group(0)
    body = url.rstrip(".,;:!?)]}'\"")
    return _mask_one(body) + url[len(body):]


def _mask_one(url: str) -> str:
    # No scheme: `user:password@host/...` typed without one is masked too.
    split = url.find("://") + 3 if "://" in url else 0
    head, rest = url[:split], url[split:]
    at = _userinfo_end(rest)
    if at is not None:
        user = rest[:at].partition(":")[0]
        rest = f"{user}:{MASK}{rest[at:]}"
    return head + _mask_params(rest)


def _userinfo_end(rest: str) -> int | None:
    """Where `user:password` ends in the part after `scheme://` (the index of its `@`), or None.

    The user name has no `/ ? # @`; the password runs to the last `@` that is followed by a host name, so a
    password typed with an unencoded `@`, `/` or `?` is still masked whole.
    """
    colon = rest.find(":")
    if colon < 0 or any(c in rest[:colon] for c in "/?#@"):
        return None
    for at in range(len(rest) - 1, colon, -1):
        if rest[at] != "@":
            continue
        host = re.split(r"[/?#]", rest[at + 1:], maxsplit=1)[0]
        if _HOST.fullmatch(host) and not _PORT_THEN_PATH.match(rest[colon + 1:at]):
            return at
    return None


def _mask_params(text: str) -> str:
    return _PARAM.sub(lambda m: m.group(0) if not is_secret_name(m.group(2))
                      else f"{m.group(1)}{m.group(2)}={MASK}", text)


class MaskingFormatter(logging.Formatter):
    """The log formatter of the command line (`leadpipe -v`, stderr on the operator's terminal): URLs'
    credentials masked in the whole record, traceback included, and control characters escaped (`\\x1b`,
    `\\u202e`). Log lines name files and columns from hostile uploads; a line break inside the message is
    escaped too, so a file name cannot forge a log line of its own (a traceback keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return printable(mask_text(super().format(record)), keep_newlines=True)

"""Erasure in the web-enrichment caches: the HTTP page cache and the extraction memo.

Company pages (team, imprint, contact) can name a person, so `leadpipe forget` also deletes every cached
response and every memo entry that carries one of the person's PERSONAL identifiers (the plan's normalised
emails and personal phones; shared company lines are not among them). A page carries an identifier when the
project's extractor (enrichment.web.extract) finds it there, or when an email or phone read from the page
the same way, with every domain kept and common obfuscations (`name [at] domain`, `(dot)`) undone, normalises
(enrichment.normalise) to exactly that value. Never a substring search: a page listing `jan.ott@acme.de` is
not the page of `an.ott@acme.de`.

The HTTP cache is read and changed through requests-cache's own API; the memo (enrichment.web.memo, a
`memo(key, fields, at)` table) with sqlite3. Both are vacuumed after a deletion so the deleted bytes do not
linger in free pages. A later enrichment run simply fetches and extracts those pages again.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import phonenumbers
from bs4 import BeautifulSoup

from enrichment.normalise import normalise_email, normalise_phone, phone_region
from enrichment.web.extract import extract, site_domain
from enrichment.web.memo import memo_key, page_part

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
# "an.ott [at] acme.de", "an.ott (at) acme.de", "an.ott{at}acme.de", "an.ott [@] acme [dot] de"
_OBFUSCATED_AT = re.compile(r"\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*", re.IGNORECASE)
_OBFUSCATED_DOT = re.compile(r"\s*[\[({<]\s*(?:dot|punkt|point)\s*[\])}>]\s*", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D+")


@dataclass
class CacheErasure:
    """What the person's erasure deletes from the web caches (keys are what apply deletes, urls what is shown)."""

    pages: list[dict] = field(default_factory=list)  # {"key", "url"} of cached responses
    memo_keys: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.pages or self.memo_keys)


def memo_path(cache_path: Path) -> Path:
    """Where the extraction memo sits next to the HTTP cache (as enrichment.web.site opens it)."""
    return cache_path.with_suffix(".extract.sqlite")


# ----------------------------------------------------------------------------- reading a page


def text_identifiers(text: str, regions: Iterable[str] = ()) -> tuple[set[str], set[str]]:
    """Normalised emails (plain and de-obfuscated) and phones (read in each of `regions`, or international)
    written in a piece of text."""
    emails: set[str] = set()
    for variant in {text, _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", text))}:
        for raw in _EMAIL.findall(variant):
            if email := normalise_email(raw.strip(".")).email:
                emails.add(email)
    phones: set[str] = set()
    for region in dict.fromkeys([*regions, None]):
        for match in phonenumbers.PhoneNumberMatcher(text[:2_000_000], region):
            phones.add(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return emails, phones


def page_identifiers(url: str, body: bytes, regions: Iterable[str] = ()) -> tuple[set[str], set[str]]:
    """Every normalised email and phone on one page: what the extractor finds (it keeps only the site's own
    addresses), plus every address and number in the text, links and attributes, whatever its domain."""
    regions = [r for r in dict.fromkeys([phone_region("", site_domain(url)), *regions]) if r]
    try:
        fields = extract(url, body)
    except Exception:  # noqa: BLE001 - an unparsable page still gets the plain-text reading below
        fields = {}
    emails = {e for e in (normalise_email(v).email for v in fields.get("emails") or []) if e}
    phones = {p for p in (normalise_phone(v, None) for v in fields.get("phones") or []) if p}
    soup = BeautifulSoup(body, "lxml")
    parts = [soup.get_text(" ")]
    for tag in soup.find_all(True):
        for value in tag.attrs.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and (":" in item or "@" in item):
                    parts.append(_link_text(item))
    found_emails, found_phones = text_identifiers("\n".join(parts), regions)
    return emails | found_emails, phones | found_phones


def _link_text(value: str) -> str:
    """mailto:/tel: links as plain text (`mailto:a@b.de?subject=x` -> `a@b.de`, `tel:+49...` -> `+49...`)."""
    value = html.unescape(value).strip()
    low = value.lower()
    if low.startswith("mailto:"):
        return unquote(value[7:].split("?", 1)[0])
    if low.startswith("tel:"):
        return unquote(value[4:])
    return value


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v)


def _regions(phones: Iterable[str]) -> list[str]:
    out = []
    for p in phones:
        with contextlib.suppress(phonenumbers.NumberParseException):
            region = phonenumbers.region_code_for_number(phonenumbers.parse(p, None))
            if region and region not in out:
                out.append(region)
    return out


# ----------------------------------------------------------------------------- finding


@dataclass(frozen=True)
class _Needles:
    """A cheap pre-check, never the decision: a page can only carry an email whose local part occurs in its
    (entity- and percent-decoded) text, or, where the page writes dots as "(dot)", all of whose local part's
    pieces occur; or a phone whose national digits occur in its digits. Only pages passing it are parsed (the
    extractor costs ~0.2 s on a large page, and most cached pages never name the person)."""

    locals: tuple[str, ...]  # per email: its lower-cased local part
    pieces: tuple[tuple[str, ...], ...]  # ... and that local part's dot-separated pieces
    digits: tuple[str, ...]  # per phone: its national significant number

    @classmethod
    def of(cls, emails: Iterable[str], phones: Iterable[str]) -> _Needles:
        local_parts = tuple(e.rpartition("@")[0].lower() for e in emails)
        pieces = tuple(tuple(p for p in local.split(".") if p) for local in local_parts)
        digits = []
        for phone in phones:
            with contextlib.suppress(phonenumbers.NumberParseException):
                digits.append(phonenumbers.national_significant_number(phonenumbers.parse(phone, None)))
        return cls(local_parts, pieces, tuple(digits))

    def may_be_in(self, body: bytes) -> bool:
        text = html.unescape(body.decode("utf-8", errors="replace")).lower()
        texts = [text, unquote(text)]
        if any(local and local in t for local in self.locals for t in texts):
            return True
        if any(_OBFUSCATED_DOT.search(t) and any(all(piece in t for piece in pieces) for pieces in self.pieces)
               for t in texts):
            return True
        streams = [_NOT_DIGIT.sub("", t) for t in texts]
        return any(d and d in stream for d in self.digits for stream in streams)


def plan_cache_erasure(cache_path: Path | None, emails: Iterable[str], phones: Iterable[str]) -> CacheErasure:
    """The cached responses and memo entries carrying one of these (already normalised, personal) emails or
    phones exactly; reads only. No cache file, or nothing to look for: nothing to do."""
    emails, phones = set(emails), set(phones)
    out = CacheErasure()
    if cache_path is None or not (emails or phones):
        return out
    regions, needles = _regions(phones), _Needles.of(emails, phones)
    memo_of_pages: set[str] = set()
    if cache_path.is_file():
        with _http_cache(cache_path) as cache:
            for key in list(cache.responses.keys()):
                response = cache.get_response(key)  # None when it cannot be read back: nothing we could match
                if response is None:
                    continue
                body = response.content or b""
                if not needles.may_be_in(body):
                    continue
                page_emails, page_phones = page_identifiers(response.url, body, regions)
                if page_emails & emails or page_phones & phones:
                    out.pages.append({"key": key, "url": response.url})
                    memo_of_pages.add(memo_key(response.url, body))
    memo = memo_path(cache_path)
    if memo.is_file():
        # Read with an ordinary connection: a read-only one cannot remove the WAL side files it opens.
        with contextlib.closing(sqlite3.connect(str(memo))) as db:
            for key, fields_json in db.execute("SELECT key, fields FROM memo"):
                if page_part(key) in memo_of_pages or _memo_carries(fields_json, emails, phones, regions):
                    out.memo_keys.append(key)
    out.pages.sort(key=lambda p: (p["url"], p["key"]))
    out.memo_keys.sort()
    return out


def _memo_carries(fields_json: str, emails: set[str], phones: set[str], regions: list[str]) -> bool:
    try:
        fields = json.loads(fields_json)
    except ValueError:
        return False
    if not isinstance(fields, dict):
        return False
    listed_emails = {normalise_email(e).email for e in _json_strings(fields.get("emails"))}
    listed_phones = {normalise_phone(p, None) for p in _json_strings(fields.get("phones"))}
    if listed_emails & emails or listed_phones & phones:
        return True
    text_emails, text_phones = text_identifiers("\n".join(_json_strings(fields)), regions)
    return bool(text_emails & emails or text_phones & phones)


@contextlib.contextmanager
def _http_cache(cache_path: Path):
    import requests_cache  # ~0.14 s: only an erasure with a page cache on disk needs it

    cache = requests_cache.SQLiteCache(str(cache_path))
    try:
        yield cache
    finally:
        cache.close()


# ----------------------------------------------------------------------------- deleting


def apply_cache_erasure(cache_path: Path | None, planned: CacheErasure) -> dict[str, int]:
    """Delete the planned cached responses and memo entries, then vacuum; returns what was deleted
    ({"web_cache_pages": n, "web_memo_entries": m}, zeros left out)."""
    done: dict[str, int] = {}
    if cache_path is None or not planned:
        return done
    keys = [p["key"] for p in planned.pages]
    if keys and cache_path.is_file():
        with _http_cache(cache_path) as cache:
            present = [k for k in keys if k in cache.responses]
            if present:
                cache.delete(*present, vacuum=False)
                cache.responses.vacuum()  # deleted rows otherwise stay readable in the file's free pages
                done["web_cache_pages"] = len(present)
    memo = memo_path(cache_path)
    if planned.memo_keys and memo.is_file():
        with contextlib.closing(sqlite3.connect(str(memo), isolation_level=None)) as db:
            db.execute("PRAGMA secure_delete=ON")
            deleted = 0
            for i in range(0, len(planned.memo_keys), 500):
                chunk = planned.memo_keys[i : i + 500]
                deleted += db.execute(f"DELETE FROM memo WHERE key IN ({','.join('?' * len(chunk))})",
                                      chunk).rowcount
            if deleted:
                db.execute("VACUUM")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the memo runs in WAL mode
                done["web_memo_entries"] = deleted
    return done

"""Erased people stay out at the door: incoming rows are checked against erasure tombstones at ingest.

`leadpipe forget` keeps only keyed hashes (tombstones) of an erased person's identifiers. When a later purchased
list (or a web form) brings the person back, the row must not put their personal data into the warehouse
again, not even for the hours until `qualify` would suppress it. A hit is stored as a raw row with lineage but
with an erasure marker instead of its payload, and gets the outcome `suppressed` there and then, so the run
ledger still adds up and nothing of the row reaches a later stage, a run file or a CRM.

What is compared is what the pipeline would store, not the text as written: the batch's columns are mapped to
lead fields with the unit's own mapping and run through `enrichment.normalise.normalise_frame`, the function
the normalise stage uses, so "Jan Ott <JAN.OTT@acme.de>", a punycode domain, "+1 415 555 0190 ext. 12",
"011 49 30 ..." or "030 ..." with the row's country meet the tombstone of the stored value. Columns the mapping
leaves out are looked at too: any value there that parses as an email, or looks like a phone number and
parses as one (read with the row's region), is checked the same way, so a column named "E_Mail" or
"Private Mobile" cannot carry an erased person in.

Cost: only with tombstones present; each distinct value is normalised and hashed once per batch, and phones
are parsed only when phone tombstones exist. A batch loads the tombstone hashes once (`ErasureGuard.load`); a
single web-form post instead looks each of its few values up through the index on (kind, value_hash)
(`ErasureGuard.lookup`), so its cost does not grow with the number of erased people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from connectors.sources.base import RawRecord
from connectors.sources.mapping import map_headers, record_headers
from enrichment.normalise import normalise_email, normalise_frame, normalise_phone, phone_region
from enrichment.suppress import tombstone_digests, tombstone_value
from leadpipe.pipeline.tombstone_key import tombstone_key
from leadpipe.store.warehouse import suppression_entries

REASON = "erased on request (GDPR Art. 17): personal data not stored"
WEB_FORM_PRESET = "web_form"  # how the form inbox source maps submissions (connectors/sources/presets.py)
# The lead fields that decide the stored email and phone: the phone's region comes from the country, else
# from the site's or the mail domain's ccTLD.
_IDENTITY_INPUTS = ("email", "phone", "country", "website", "domain")
# A value in an unmapped column that may be a phone: phone characters only, an optional extension.
_PHONE_LIKE = re.compile(r"\s*\+?[\d\s().\-/]{6,}(?:(?:ext\.?|extension|x|#)\s*\d{1,6})?\s*", re.IGNORECASE)
_MIN_PHONE_DIGITS = 7
# An address-like piece of a longer text: what is searched when the whole value is not one address.
_ADDRESS_TOKEN = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")


def erased_marker(reason: str = REASON) -> dict:
    """What is stored instead of an erased person's row: when and why, no personal data (as `forget` does)."""
    return {"erased": datetime.now(UTC).date().isoformat(), "reason": reason}


def is_erased(payload: dict) -> bool:
    """True for a payload blanked before it was stored (the form inbox does that at the webhook)."""
    return "erased" in payload and str(payload.get("reason") or "").startswith("erased on request")


class Tombstones(Protocol):
    """One kind's tombstone hashes: a frozenset, or `IndexedTombstones` asking the warehouse."""

    def __bool__(self) -> bool: ...

    def isdisjoint(self, digests: Iterable[str], /) -> bool: ...


class IndexedTombstones:
    """One kind's tombstones, looked up in `suppression_entries` per value through its unique (kind, value_hash)
    index instead of being loaded: for a caller checking a handful of values (one form post)."""

    def __init__(self, conn: Connection, kind: str):
        self._conn = conn
        self._kind = kind
        self._any = conn.execute(select(suppression_entries.c.id)
                                 .where(suppression_entries.c.kind == kind).limit(1)).first() is not None

    def __bool__(self) -> bool:
        return self._any

    def __repr__(self) -> str:
        return f"IndexedTombstones({self._kind!r})"

    def isdisjoint(self, digests: Iterable[str], /) -> bool:
        wanted = list(digests)
        return self._conn.execute(select(suppression_entries.c.id).where(
            suppression_entries.c.kind == self._kind, suppression_entries.c.value_hash.in_(wanted)).limit(1)
        ).first() is None


@dataclass(frozen=True)
class ErasureGuard:
    """The tombstone hashes of erased people, split by kind, and the key to hash incoming values with.

    Tombstones are keyed hashes; those made before keys existed are plain SHA-256 and cannot be re-keyed, so
    every value is checked under both (see `enrichment.suppress.tombstone_digests`).
    """

    emails: Tombstones = frozenset()
    phones: Tombstones = frozenset()
    key: bytes | None = field(default=None, repr=False)  # a secret: never in a log line

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones)

    @classmethod
    def load(cls, conn: Connection, key: bytes | None = None) -> ErasureGuard:
        """The warehouse's tombstones; the key (LEADPIPE_TOMBSTONE_KEY, ...) is read only when there are any."""
        rows = conn.execute(select(suppression_entries.c.kind, suppression_entries.c.value_hash)).all()
        emails = frozenset(h for k, h in rows if k == "email")
        phones = frozenset(h for k, h in rows if k == "phone")
        if not (emails or phones):
            return cls()
        return cls(emails, phones, key if key is not None else tombstone_key())

    @classmethod
    def lookup(cls, conn: Connection, key: bytes | None = None) -> ErasureGuard:
        """A guard that asks the warehouse about each value (indexed) instead of loading every tombstone.

        For a few rows only (one form post): `conn` must stay open while the guard is used.
        """
        emails, phones = IndexedTombstones(conn, "email"), IndexedTombstones(conn, "phone")
        if not (emails or phones):
            return cls()
        return cls(emails, phones, key if key is not None else tombstone_key())

    def scrub(self, batch: list[RawRecord], fields: dict[str, str]) -> tuple[list[RawRecord], list[bool]]:
        """The batch with erased people's payloads replaced by the marker, and which rows those were.

        `fields` is the unit's header mapping (lead field -> header, `unit_mapping(...).fields`): the mapped
        email and phone are normalised as the normalise stage will, and every other column is searched for
        values that parse as an email or a phone.
        """
        flags = [is_erased(r.payload) for r in batch]
        if self and batch:
            leads = self._normalised(batch, fields)
            hit = np.array(flags, dtype=bool)
            if self.emails:
                hit |= self._hits(leads["email"].tolist(), "email", self.emails)
            if self.phones:
                hit |= self._hits(leads["phone"].tolist(), "phone", self.phones)
            hit |= self._other_column_hits(batch, fields, leads)
            flags = hit.tolist()
        if not any(flags):
            return batch, flags
        marker = erased_marker()
        return [replace(r, payload=marker, error=None) if f else r for r, f in zip(batch, flags, strict=True)], flags

    def _normalised(self, batch: list[RawRecord], fields: dict[str, str]) -> pd.DataFrame:
        """The identity fields of the batch through the pipeline's normaliser (email, phone, country, domain).

        Exactly what the normalise stage will store; the phone is parsed only when phone tombstones exist.
        """
        wanted = [f for f in _IDENTITY_INPUTS if fields.get(f) and (f != "phone" or self.phones)]
        frame = pd.DataFrame({f: [_cell(r.payload.get(fields[f])) for r in batch] for f in wanted},
                             index=pd.RangeIndex(len(batch)))
        return normalise_frame(frame)

    def _other_column_hits(self, batch: list[RawRecord], fields: dict[str, str], leads: pd.DataFrame) -> np.ndarray:
        """Rows with a tombstoned email or phone where the mapped fields do not show it.

        Every unmapped column is searched for values that parse as an email or look like and parse as a phone
        (read in the row's region, as the stored phone is). The raw payload is stored whole, so an address the
        normaliser rejects as a whole ("Dr. Jan Ott <jan@acme.de>", "a@x.de; b@y.de") is searched for
        addresses too, in the mapped email column as well.
        """
        mapped = set(fields.values())
        headers = [h for h in dict.fromkeys(k for r in batch for k in r.payload) if h not in mapped]
        email_header = fields.get("email")
        hit = np.zeros(len(batch), dtype=bool)
        regions: np.ndarray | None = None
        for header in headers + ([email_header] if email_header and self.emails else []):
            values = pd.Series([_cell(r.payload.get(header)) for r in batch], dtype="string")
            if self.emails:
                look = values.str.contains("@", regex=False).fillna(False).to_numpy(dtype=bool)
                if header == email_header and header not in headers:
                    look &= (leads["email"] == "").to_numpy()
                if look.any():
                    hit[look] |= self._hits(_distinct_map(values[look], _addresses), "email", self.emails)
            if self.phones and header in headers:
                digits = values.str.count(r"\d").fillna(0).to_numpy()
                maybe = (digits >= _MIN_PHONE_DIGITS) & values.str.fullmatch(_PHONE_LIKE).fillna(False).to_numpy(bool)
                if maybe.any():
                    if regions is None:
                        pairs = zip(leads["country"].tolist(), leads["domain"].tolist(), strict=True)
                        regions = _distinct_map(pd.Series(list(pairs)), lambda cd: phone_region(*cd)).to_numpy()
                    pairs = pd.Series(list(zip(values[maybe].tolist(), regions[maybe].tolist(), strict=True)))
                    hit[maybe] |= self._hits(_distinct_map(pairs, lambda vr: normalise_phone(*vr)), "phone",
                                             self.phones)
        return hit

    def _hits(self, values: list, kind: str, tombstones: Tombstones) -> np.ndarray:
        """Which values (normalised; a tuple: any of them) have a keyed or legacy tombstone; each hashed once."""
        seen: dict[str, bool] = {}
        out = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values):
            for one in (v,) if isinstance(v, str) else v if isinstance(v, tuple) else ():
                if not one:
                    continue
                found = seen.get(one)
                if found is None:
                    norm = tombstone_value(kind, one)
                    found = seen[one] = bool(norm) and not tombstones.isdisjoint(
                        tombstone_digests(kind, norm, self.key))
                if found:
                    out[i] = True
                    break
        return out

    @staticmethod
    def outcomes(run_id: str, ids: list[int], flags: list[bool]) -> list[dict]:
        """Outcome rows for the erased rows of a stored batch: settled at ingest, never handed on."""
        return [{"run_id": run_id, "raw_row_id": rid, "outcome": "suppressed", "reason": REASON, "person_id": None}
                for rid, f in zip(ids, flags, strict=True) if f]


def _cell(value: object) -> str | None:
    """A payload value as text (JSON numbers from forms and SQL sources included); None when missing."""
    if value is None or isinstance(value, dict | list):
        return None
    return value if isinstance(value, str) else str(value)


def _distinct_map(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """`fn` over the values, called once per distinct value (lead files repeat domains, countries, phones)."""
    cache: dict = {}
    out = np.empty(len(values), dtype=object)
    out[:] = [cache[v] if v in cache else cache.setdefault(v, fn(v)) for v in values.tolist()]
    return pd.Series(out, index=values.index, dtype=object)


def _addresses(value: str) -> tuple[str, ...]:
    """The normalised address of a value, or of each address-like piece when the whole is not one."""
    whole = normalise_email(value).email
    if whole:
        return (whole,)
    return tuple(a for a in (normalise_email(t).email for t in _ADDRESS_TOKEN.findall(value)) if a)


def blank_if_erased(engine: Engine, payload: dict) -> dict:
    """One web-form submission: blanked (field names kept, so the source still maps) if its sender was erased.

    Mapped as the form inbox source maps it (the `web_form` preset plus auto-mapping), and every other field
    is searched too, so "E_Mail" or "Mail" are checked like "email"; values nested in objects or lists are
    searched under dotted names ("contact.email"). Tombstones are looked up by hash, never loaded whole.
    """
    batch = [RawRecord(1, flat_fields(payload))]
    with engine.connect() as conn:
        guard = ErasureGuard.lookup(conn)
        if not guard:
            return payload
        fields = map_headers(record_headers(batch), WEB_FORM_PRESET, None, automap=True).fields
        _, (erased,) = guard.scrub(batch, fields)
    return {**{k: "" for k in payload}, **erased_marker()} if erased else payload


def flat_fields(payload: dict, prefix: str = "") -> dict[str, str]:
    """Every text or number of a (possibly nested) submission under its dotted field name, as text."""
    out: dict[str, str] = {}
    items = payload.items() if isinstance(payload, dict) else enumerate(payload)
    for k, v in items:
        name = f"{prefix}{k}"
        if isinstance(v, dict | list):
            out.update(flat_fields(v, f"{name}."))
        elif isinstance(v, str | int | float) and not isinstance(v, bool):
            out[name] = v if isinstance(v, str) else str(v)
    return out

"""Erased people stay out at the door: incoming rows are checked against erasure tombstones at ingest.

`leadpipe forget` keeps only sha256 tombstones of an erased person's email and phone. When a later purchased
list (or a web form) brings the person back, the row must not put their personal data into the warehouse
again, not even for the hours until `qualify` would suppress it. So ingest hashes each batch's email (and,
when phone tombstones exist, phone) values the same way the tombstones were made and looks them up in a set;
a hit is stored as a raw row with lineage but with an erasure marker instead of its payload, and gets the
outcome `suppressed` there and then, so the run ledger still adds up and nothing of the row reaches a later
stage, a run file or a CRM.

The check is per column, not per row: values are normalised as a pandas column, each distinct value is hashed
once, and membership is a set lookup. With no tombstones at all only the web-form marker is looked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pandas as pd
import phonenumbers
from sqlalchemy import Connection, Engine, select

from connectors.sources.base import RawRecord
from enrichment.normalise import country_code
from enrichment.suppress import tombstone_digest
from leadpipe.store.warehouse import suppression_entries

REASON = "erased on request (GDPR Art. 17): personal data not stored"
# Columns read besides the mapped email/phone field: vendors often add "Personal Email", "Mobile Phone", ...
_EMAIL_HEADER = re.compile(r"e-?mail", re.IGNORECASE)
_PHONE_HEADER = re.compile(r"phone|mobile|tel(efon|ephone)?\b|handy|movil|portable", re.IGNORECASE)


def erased_marker(reason: str = REASON) -> dict:
    """What is stored instead of an erased person's row: when and why, no personal data (as `forget` does)."""
    return {"erased": datetime.now(UTC).date().isoformat(), "reason": reason}


def is_erased(payload: dict) -> bool:
    """True for a payload blanked before it was stored (the form inbox does that at the webhook)."""
    return "erased" in payload and str(payload.get("reason") or "").startswith("erased on request")


@dataclass(frozen=True)
class ErasureGuard:
    """The tombstone hashes of erased people, split by kind, loaded once per unit."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones)

    @classmethod
    def load(cls, conn: Connection) -> ErasureGuard:
        rows = conn.execute(select(suppression_entries.c.kind, suppression_entries.c.value_hash)).all()
        return cls(frozenset(h for k, h in rows if k == "email"), frozenset(h for k, h in rows if k == "phone"))

    def scrub(self, batch: list[RawRecord], fields: dict[str, str]) -> tuple[list[RawRecord], list[bool]]:
        """The batch with erased people's payloads replaced by the marker, and which rows those were.

        `fields` is the unit's header mapping (canonical field -> header): the mapped email and phone columns
        are checked, and so is every other column whose header names an email or phone.
        """
        flags = [is_erased(r.payload) for r in batch]
        if self.emails or self.phones:
            headers = list(dict.fromkeys(k for r in batch for k in r.payload))
            hit = pd.Series(flags)
            if self.emails:
                for col in _columns(headers, fields.get("email"), _EMAIL_HEADER):
                    hit |= _hits(_email_text(_column(batch, col)), "email", self.emails)
            if self.phones:
                country = _column(batch, fields["country"]) if fields.get("country") in headers else None
                for col in _columns(headers, fields.get("phone"), _PHONE_HEADER):
                    hit |= _phone_hits(_column(batch, col), country, self.phones)
            flags = hit.tolist()
        if not any(flags):
            return batch, flags
        marker = erased_marker()
        return [replace(r, payload=marker, error=None) if f else r for r, f in zip(batch, flags, strict=True)], flags

    @staticmethod
    def outcomes(run_id: str, ids: list[int], flags: list[bool]) -> list[dict]:
        """Outcome rows for the erased rows of a stored batch: settled at ingest, never handed on."""
        return [{"run_id": run_id, "raw_row_id": rid, "outcome": "suppressed", "reason": REASON, "person_id": None}
                for rid, f in zip(ids, flags, strict=True) if f]


def _columns(headers: list[str], mapped: str | None, pattern: re.Pattern[str]) -> list[str]:
    return [c for c in headers if c == mapped or (not c.startswith("_") and pattern.search(c))]


def _column(batch: list[RawRecord], header: str) -> pd.Series:
    return pd.Series([r.payload.get(header) for r in batch], dtype="string")


def _email_text(values: pd.Series) -> pd.Series:
    """The form `forget` hashes: no spaces, lower case, no mailto:, no <angle brackets>."""
    text = values.str.replace(r"\s+", "", regex=True).str.lower()
    return text.str.removeprefix("mailto:").str.strip("<>")


def _hits(values: pd.Series, kind: str, tombstones: frozenset[str]) -> pd.Series:
    """Rows whose normalised value is tombstoned; each distinct value is hashed once."""
    seen: dict[str, bool] = {}
    out = []
    for v in values.tolist():
        if not isinstance(v, str) or not v:
            out.append(False)
            continue
        hit = seen.get(v)
        if hit is None:
            hit = seen[v] = tombstone_digest(kind, v) in tombstones
        out.append(hit)
    return pd.Series(out, index=values.index, dtype=bool)


def _phone_hits(values: pd.Series, country: pd.Series | None, tombstones: frozenset[str]) -> pd.Series:
    """Phones as written (digits) and as E.164 built with the row's country: "(415) 555-0190", US -> +1415...

    Built with string operations, not a parser, so 1M rows stay cheap: the country's calling code in front of the
    national number without its trunk zero, and "+49 (0)30 ..." with that zero dropped after the calling code.
    """
    digits = values.str.replace(r"\D", "", regex=True)
    hit = _hits(digits, "phone", tombstones)
    if country is None:
        return hit
    codes = {c: _calling_code(c) for c in country.dropna().unique()}
    cc = country.map(codes).astype("string")
    hit |= _hits(cc + digits.str.lstrip("0"), "phone", tombstones)
    pairs = zip(cc.fillna("").tolist(), digits.fillna("").tolist(), strict=True)
    rest = pd.Series([d[len(c):].lstrip("0") if c and d.startswith(c) else None for c, d in pairs],
                     index=values.index, dtype="string")
    return hit | _hits(cc + rest, "phone", tombstones)


def _calling_code(country: str) -> str:
    """The calling code: "1" for "United States" or "US", "49" for "Deutschland", "" for an unknown country."""
    region = country_code(country)
    code = phonenumbers.country_code_for_region(region) if region else 0
    return str(code) if code else ""


def blank_if_erased(engine: Engine, payload: dict) -> dict:
    """One web-form submission: blanked (field names kept, so the source still maps) if its sender was erased."""
    batch = [RawRecord(1, {k: v if isinstance(v, str) else str(v) for k, v in payload.items()
                           if isinstance(v, str | int | float)})]
    with engine.connect() as conn:
        _, (erased,) = ErasureGuard.load(conn).scrub(batch, {"country": "country"})
    return {**{k: "" for k in payload}, **erased_marker()} if erased else payload

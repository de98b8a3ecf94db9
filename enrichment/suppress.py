"""Suppression and compliance: who must not be contacted, on which channel, and on what lawful basis.

Checked before any push, on every run, so a person on a list never reaches a CRM again, even when a later
purchased list brings them back. Sources of "do not contact":
- do-not-contact CSVs (unsubscribes, bounces, existing customers, competitors) by email, domain or phone;
- hashed tombstones of people erased on request (`leadpipe forget`): only the hash is kept;
- role (info@) and disposable addresses;
- GDPR per country: where email needs prior consent (e.g. DE, NL) a lead without consent is suppressed;
- the national Do-Not-Call registry extract: a listed phone, or any phone whose last DNC check is older
  than `dnc_max_age_days` (31: the FTC/FCC scrub interval), is withheld from calling, the email stays usable.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from leadpipe.config import SuppressionConfig


class SuppressionListError(ValueError):
    pass


@dataclass
class SuppressionLists:
    emails: dict[str, str] = field(default_factory=dict)  # value -> list name
    domains: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)  # digits only -> list name
    tombstones: set[str] = field(default_factory=set)  # tombstone_hash() values


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def tombstone_hash(kind: str, value: str) -> str:
    """Hash kept after an erasure: enough to recognise the person again, useless to contact them."""
    norm = _digits(value) if kind == "phone" else (value or "").strip().lower()
    return tombstone_digest(kind, norm)


def tombstone_digest(kind: str, norm: str) -> str:
    """The hash of an already normalised value (digits only, or a stripped lower-case email): for bulk checks."""
    return hashlib.sha256(f"leadpipe-tombstone:{kind}:{norm}".encode()).hexdigest()


def load_lists(paths: list[Path]) -> SuppressionLists:
    lists = SuppressionLists()
    for path in paths:
        if not path.exists():
            raise SuppressionListError(f"do-not-contact file not found: {path}")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
            if not {"email", "domain", "phone"} & cols.keys():
                raise SuppressionListError(f"{path.name}: needs an 'email', 'domain' or 'phone' column")
            for row in reader:
                for key, target in (("email", lists.emails), ("domain", lists.domains), ("phone", lists.phones)):
                    value = (row.get(cols.get(key, ""), "") or "").strip().lower()
                    if key == "phone":
                        value = _digits(value)
                    if value:
                        target.setdefault(value, path.name)
                        if key == "phone":  # E.164 too, for checks that compare "+4930..." as written
                            target.setdefault("+" + value, path.name)
    return lists


def load_dnc_registry(path: Path, country_code: str = "1") -> set[str]:
    """Numbers in a national DNC registry extract, as digits with the country code ("12015550123").

    The FTC's full-list flat file has one registered number per line, either as "area code,number"
    ("201,5550123") or as ten digits; both are read. Anything else is an error naming the line, because a
    half-read registry would let registered numbers through.
    """
    if not path.exists():
        raise SuppressionListError(f"Do-Not-Call registry extract not found: {path}")
    numbers: set[str] = set()
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            m = re.fullmatch(r"(\d{3})\s*,\s*(\d{7})|(\d{10})", text)
            if not m:
                raise SuppressionListError(
                    f"{path.name} line {lineno}: expected 'area code,number' (201,5550123) or 10 digits, "
                    f"got {text[:40]!r}"
                )
            numbers.add(country_code + (m.group(3) or m.group(1) + m.group(2)))
    return numbers


@dataclass(frozen=True)
class Decision:
    """The compliance verdict on one person, carried on the record and pushed with it."""

    suppressed: str | None  # reason, or None when the person may be contacted
    lawful_basis: str  # consent | legitimate_interest | n/a
    consent_evidence: str | None = None
    lia_ref: str | None = None
    phone_callable: bool = False
    dnc_status: str | None = None  # registered | not_registered | stale | None (no phone / not covered)
    dnc_checked_at: date | None = None
    phone_note: str | None = None


def list_reason(record: dict, lists: SuppressionLists) -> str | None:
    """Why a do-not-contact list or an erasure tombstone blocks this person, or None."""
    email = (record.get("email") or "").lower()
    phone = _digits(record.get("phone") or "")
    if (email and tombstone_hash("email", email) in lists.tombstones) or (
        phone and tombstone_hash("phone", phone) in lists.tombstones
    ):
        return "erased on request (GDPR Art. 17): never re-contact"
    if email and email in lists.emails:
        return f"email on do-not-contact list {lists.emails[email]}"
    email_domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    for d in ((record.get("domain") or "").lower(), email_domain):
        if d and d in lists.domains:
            return f"domain {d} on do-not-contact list {lists.domains[d]}"
    if phone and phone in lists.phones:
        return f"phone on do-not-contact list {lists.phones[phone]}"
    return None


def suppression_reason(record: dict, flags: dict, lists: SuppressionLists, *, role: bool, disposable: bool,
                       require_form_consent: bool) -> str | None:
    """Why this person must not be contacted at all (lists, tombstones, address kind, form consent), or None."""
    why = list_reason(record, lists)
    if why:
        return why
    if role and flags.get("email_role"):
        return "role address (info@, sales@ ...): not a person"
    if disposable and flags.get("email_disposable"):
        return "disposable email address"
    if require_form_consent and flags.get("from_form") and record.get("email_consent") is not True:
        return "web form lead without email consent"
    return None


def _consented(record: dict) -> bool:
    value = record.get("email_consent")
    return value is True or str(value).strip().lower() in {"true", "yes", "1", "y"}


def decide(record: dict, flags: dict, lists: SuppressionLists, cfg: SuppressionConfig, *,
           registry: set[str] | None, today: date) -> Decision:
    """Full verdict: suppression reason, lawful basis with evidence, and whether the phone may be called."""
    basis, evidence, lia = _lawful_basis(record, cfg)
    callable_, status, checked, note = _phone_verdict(record, lists, cfg, registry, today)
    why = suppression_reason(record, flags, lists, role=cfg.suppress_role_addresses,
                             disposable=cfg.suppress_disposable_addresses,
                             require_form_consent=cfg.require_consent_for_forms)
    if why is None and basis == "missing_consent":
        country = (record.get("country") or "").upper()
        why = f"GDPR: email in {country} needs prior consent and none is on record"
    return Decision(why, "n/a" if basis == "missing_consent" else basis, evidence, lia, callable_, status,
                    checked, note)


def _lawful_basis(record: dict, cfg: SuppressionConfig) -> tuple[str, str | None, str | None]:
    country = (record.get("country") or "").upper()
    rule = cfg.email_rules.get(country, cfg.default_email_rule)
    if _consented(record):
        evidence = record.get("consent_evidence") or (
            f"form {record.get('lead_source') or 'submission'} at {record.get('submitted_at') or 'unknown time'}"
        )
        return "consent", str(evidence), None
    if rule == "consent":
        return "missing_consent", None, None
    if rule == "legitimate_interest":
        return "legitimate_interest", None, cfg.legitimate_interest_ref
    return "n/a", None, None


def _phone_verdict(record: dict, lists: SuppressionLists, cfg: SuppressionConfig, registry: set[str] | None,
                   today: date) -> tuple[bool, str | None, date | None, str | None]:
    phone = _digits(record.get("phone") or "")
    if not phone:
        return False, None, None, None
    reg = cfg.national_dnc_registry
    if reg is None or not phone.startswith(reg.country_code):
        return True, None, None, None  # no registry covers this number
    checked = reg.downloaded_on
    if (today - checked).days > cfg.dnc_max_age_days:
        return (False, "stale", checked,
                f"DNC check of {checked} is older than {cfg.dnc_max_age_days} days: do not call until re-scrubbed")
    if registry is not None and phone in registry:
        return False, "registered", checked, "number is on the national Do-Not-Call registry"
    return True, "not_registered", checked, None

"""Suppression and compliance: who must not be contacted, on which channel, and on what lawful basis.

Checked before any push, on every run, so a person on a list never reaches a CRM again, even when a later
purchased list brings them back. Sources of "do not contact":
- do-not-contact CSVs (unsubscribes, bounces, existing customers, competitors) by email, domain or phone;
- tombstones of people erased on request (`leadpipe forget`): only a keyed hash (HMAC) is kept;
- role (info@) and disposable addresses;
- GDPR per country: where email needs prior consent (e.g. DE, NL) a lead without consent is suppressed;
- the national Do-Not-Call registry extract: a listed phone, or any phone whose last DNC check is older
  than `dnc_max_age_days` (31: the FTC/FCC scrub interval), is withheld from calling, the email stays usable.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from enrichment.settings import DncRegistryConfig, SuppressionConfig  # noqa: F401 - re-exported; lives apart so the config needs no pandas


class SuppressionListError(ValueError):
    """A do-not-contact list or DNC extract that cannot be used: better stop than let listed people through."""


@dataclass
class SuppressionLists:
    emails: dict[str, str] = field(default_factory=dict)  # value -> list name
    domains: dict[str, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)  # digits only -> list name
    tombstones: set[str] = field(default_factory=set)  # tombstone_hash() values (and legacy plain hashes)
    tombstone_key: bytes | None = field(default=None, repr=False)  # their key; None: the configured default


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


class TombstoneKeyMissing(RuntimeError):
    """A tombstone was to be made or checked with no key: a plain hash would let anyone test emails against it."""


_tombstone_key: bytes | None = None  # set by the pipeline (leadpipe.pipeline.tombstone_key.configure)


def configure_tombstone_key(key: bytes | None) -> None:
    """Make `key` the default of the tombstone functions in this process (None: no default, calls need `key=`)."""
    global _tombstone_key  # one process-wide setting, made once by the pipeline layer
    _tombstone_key = key


def tombstone_value(kind: str, value: str) -> str:
    """The text a tombstone is made of: a phone's digits, an email stripped and lower-cased.

    Callers hand in values normalised by `enrichment.normalise` (E.164, the normalised address); this only
    folds what is left, so "+49 30 1234567" and "+49301234567" make the same tombstone.
    """
    return _digits(value) if kind == "phone" else (value or "").strip().lower()


def tombstone_hash(kind: str, value: str, key: bytes | None = None) -> str:
    """The tombstone kept after an erasure: HMAC-SHA256 with the secret key, 64 hex characters.

    Enough to recognise the person again, useless to contact them, and without the key useless to find out
    who they were (a plain hash of an email is reversed by hashing a list of emails). `key` defaults to the
    one the pipeline configured; there is no built-in key.
    """
    return tombstone_digest(kind, tombstone_value(kind, value), key)


def tombstone_digest(kind: str, norm: str, key: bytes | None = None) -> str:
    """The keyed hash of an already folded value (`tombstone_value`): for bulk checks."""
    key = key if key is not None else _tombstone_key
    if not key:
        raise TombstoneKeyMissing("no tombstone key: the pipeline loads it with "
                                  "leadpipe.pipeline.tombstone_key (LEADPIPE_TOMBSTONE_KEY)")
    return hmac.new(key, f"leadpipe-tombstone:{kind}:{norm}".encode(), hashlib.sha256).hexdigest()


def legacy_tombstone_digest(kind: str, norm: str) -> str:
    """The plain SHA-256 tombstones were made with before keyed hashes: only ever CHECKED, never written.

    Hashes are one-way, so old tombstones cannot be re-keyed; an erased person must stay out all the same.
    """
    return hashlib.sha256(f"leadpipe-tombstone:{kind}:{norm}".encode()).hexdigest()


def tombstone_digests(kind: str, norm: str, key: bytes | None = None) -> tuple[str, str]:
    """(keyed, legacy) hashes of a folded value: a value is tombstoned when either is in the table."""
    return tombstone_digest(kind, norm, key), legacy_tombstone_digest(kind, norm)


def is_tombstoned(kind: str, value: str, tombstones: set[str] | frozenset[str], key: bytes | None = None) -> bool:
    """True when `value` (normalised) has a keyed or a legacy tombstone; False for an empty value."""
    norm = tombstone_value(kind, value)
    return bool(norm) and not tombstones.isdisjoint(tombstone_digests(kind, norm, key))


def add_list(lists: SuppressionLists, name: str, columns: list[str], rows: Iterable[dict[str, str]]) -> None:
    """Add one do-not-contact list (its rows as read from a CSV with `columns`); `name` is the reason shown.

    The first list naming a value keeps it. Phones are kept as digits and as E.164 ("+4930..."), so checks
    that compare a number as written also match.
    """
    cols = {c.strip().lower(): c for c in columns}
    if not {"email", "domain", "phone"} & cols.keys():
        raise SuppressionListError(f"{name}: needs an 'email', 'domain' or 'phone' column")
    for row in rows:
        for key, target in (("email", lists.emails), ("domain", lists.domains), ("phone", lists.phones)):
            value = (row.get(cols.get(key, ""), "") or "").strip().lower()
            if key == "phone":
                value = _digits(value)
            if value:
                target.setdefault(value, name)
                if key == "phone":
                    target.setdefault("+" + value, name)


def parse_dnc_registry(name: str, lines: Iterable[str], country_code: str = "1") -> set[str]:
    """Numbers in a national DNC registry extract, as digits with the country code ("12015550123").

    The FTC's full-list flat file has one registered number per line, either as "area code,number"
    ("201,5550123") or as ten digits; both are read. Anything else is an error naming the line, because a
    half-read registry would let registered numbers through.
    """
    numbers: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        m = re.fullmatch(r"(\d{3})\s*,\s*(\d{7})|(\d{10})", text)
        if not m:
            raise SuppressionListError(
                f"{name} line {lineno}: expected 'area code,number' (201,5550123) or 10 digits, "
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
    if lists.tombstones and (is_tombstoned("email", email, lists.tombstones, lists.tombstone_key)
                             or is_tombstoned("phone", phone, lists.tombstones, lists.tombstone_key)):
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


@dataclass(frozen=True)
class FrameDecisions:
    """`decide` for many people at once: one entry per person, in input order."""

    suppressed: list[str | None]
    lawful_basis: list[str]
    consent_evidence: list[str | None]
    lia_ref: list[str | None]
    phone_callable: list[bool]
    dnc_status: list[str | None]
    dnc_checked_at: list[date | None]
    phone_note: list[str | None]


def _text_column(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        return pd.Series([""] * len(df), index=df.index, dtype=object)
    return df[name].astype(object).where(df[name].notna(), "").astype(str)


def _is_true(value: object) -> bool:
    """`record.get("email_consent") is True` as the per-record code saw it (numpy booleans boxed to bool)."""
    return value is True or (isinstance(value, np.bool_) and bool(value))


def decide_frame(df: pd.DataFrame, role: list[bool], disposable: list[bool], lists: SuppressionLists,
                 cfg: SuppressionConfig, *, registry: set[str] | None, today: date) -> FrameDecisions:
    """`decide` over a frame of people (columns as in resolved.parquet), column-wise where the rules are.

    Same verdicts, same reasons, same precedence as `decide`: tombstones, then lists (email, domain, phone),
    then role / disposable addresses, then form consent, then the GDPR consent rule.
    """
    n = len(df)
    email = _text_column(df, "email").str.lower()
    phone = _text_column(df, "phone").str.replace(r"\D", "", regex=True)
    country = _text_column(df, "country").str.upper()
    domain = _text_column(df, "domain").str.lower()
    email_domain = email.str.rpartition("@")[2].where(email.str.contains("@", regex=False), "")
    consent_raw = df["email_consent"] if "email_consent" in df.columns else pd.Series([None] * n, index=df.index)
    consent_raw = consent_raw.astype(object).where(consent_raw.notna(), None)
    consented = consent_raw.map(lambda v: _consented({"email_consent": v})).to_numpy(dtype=bool)
    consent_is_true = consent_raw.map(_is_true).to_numpy(dtype=bool)
    from_form = (df["from_form"].fillna(False).astype(bool).to_numpy() if "from_form" in df.columns
                 else np.zeros(n, dtype=bool))

    # lawful basis per person: consent on record, else the country's rule
    rule = country.map(lambda c: cfg.email_rules.get(c, cfg.default_email_rule)).to_numpy(dtype=object)
    basis = np.where(consented, "consent", np.where(rule == "consent", "missing_consent",
                     np.where(rule == "legitimate_interest", "legitimate_interest", "n/a"))).astype(object)
    evidence: list[str | None] = [None] * n
    given = _text_column(df, "consent_evidence").tolist()
    lead_source = df["lead_source"].tolist() if "lead_source" in df.columns else [None] * n
    submitted = df["submitted_at"].tolist() if "submitted_at" in df.columns else [None] * n
    for i in np.flatnonzero(consented).tolist():
        ev = given[i] or f"form {_or(lead_source[i], 'submission')} at {_or(submitted[i], 'unknown time')}"
        evidence[i] = str(ev)
    lia = [cfg.legitimate_interest_ref if b == "legitimate_interest" else None for b in basis.tolist()]

    # phone: callable unless registered or the registry check is stale
    has_phone = (phone != "").to_numpy()
    callable_ = has_phone.copy()
    status: list[str | None] = [None] * n
    checked: list[date | None] = [None] * n
    note: list[str | None] = [None] * n
    reg = cfg.national_dnc_registry
    if reg is not None:
        covered = has_phone & phone.str.startswith(reg.country_code).to_numpy()
        stale = (today - reg.downloaded_on).days > cfg.dnc_max_age_days
        registered = phone.isin(registry or set()).to_numpy() if registry is not None else np.zeros(n, bool)
        stale_note = (f"DNC check of {reg.downloaded_on} is older than {cfg.dnc_max_age_days} days: "
                      "do not call until re-scrubbed")
        for i in np.flatnonzero(covered).tolist():
            checked[i] = reg.downloaded_on
            if stale:
                callable_[i], status[i], note[i] = False, "stale", stale_note
            elif registered[i]:
                callable_[i], status[i], note[i] = False, "registered", "number is on the national Do-Not-Call registry"
            else:
                status[i] = "not_registered"

    # suppression, in decide's order of precedence; the first reason found wins
    why = np.full(n, None, dtype=object)

    def first(mask: np.ndarray, reasons: object) -> None:
        todo = mask & pd.isna(why)
        why[todo] = reasons[todo] if isinstance(reasons, np.ndarray) else reasons

    if lists.tombstones:
        key = lists.tombstone_key
        hashed_email = email.map(lambda e: is_tombstoned("email", e, lists.tombstones, key))
        hashed_phone = phone.map(lambda p: is_tombstoned("phone", p, lists.tombstones, key))
        first((hashed_email.astype(bool) | hashed_phone.astype(bool)).to_numpy(),
              "erased on request (GDPR Art. 17): never re-contact")
    if lists.emails:
        on_list = email.map(lists.emails).to_numpy(dtype=object)
        mask = (email != "").to_numpy() & pd.notna(on_list)
        first(mask, np.array([f"email on do-not-contact list {x}" for x in on_list], dtype=object))
    if lists.domains:
        for d in (domain, email_domain):
            on_list = d.map(lists.domains).to_numpy(dtype=object)
            mask = (d != "").to_numpy() & pd.notna(on_list)
            first(mask, np.array([f"domain {v} on do-not-contact list {x}" if m else None
                                  for v, x, m in zip(d.tolist(), on_list, mask, strict=True)], dtype=object))
    if lists.phones:
        on_list = phone.map(lists.phones).to_numpy(dtype=object)
        mask = has_phone & pd.notna(on_list)
        first(mask, np.array([f"phone on do-not-contact list {x}" for x in on_list], dtype=object))
    if cfg.suppress_role_addresses:
        first(np.asarray(role, dtype=bool), "role address (info@, sales@ ...): not a person")
    if cfg.suppress_disposable_addresses:
        first(np.asarray(disposable, dtype=bool), "disposable email address")
    if cfg.require_consent_for_forms:
        first(from_form & ~consent_is_true, "web form lead without email consent")
    missing = basis == "missing_consent"
    first(missing, np.array([f"GDPR: email in {c} needs prior consent and none is on record" if m else None
                             for c, m in zip(country.tolist(), missing, strict=True)], dtype=object))
    return FrameDecisions(why.tolist(), np.where(missing, "n/a", basis).tolist(), evidence, lia,
                          callable_.tolist(), status, checked, note)


def _or(value: object, default: str) -> object:
    """`value or default` with pandas' missing values counted as missing."""
    return default if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or not value \
        else value


# ---- CRM feedback: what a CRM reported back after the push (leadpipe.pipeline.crm_feedback) ----------------

CRM_LABELS = {"hubspot": "HubSpot", "salesforce": "Salesforce", "local": "the local CRM"}


def combine_crm_flags(records: Iterable[dict], customer_stages: Iterable[str]) -> dict | None:
    """One person's CRM flags from the CRM records that are theirs (rows of `latest_crm_flags`), or None.

    Each flag keeps the CRM and the earliest date it is set in any of them: an opt-out in one CRM counts for
    all. A lifecycle stage in `customer_stages` (any case) or a conversion makes the person a customer. The
    lead status and owner are the most recently changed record's. Values are JSON-ready (dates as ISO text).
    """
    stages = {s.strip().casefold() for s in customer_stages}
    out: dict = {}
    latest: dict[str, tuple] = {}
    for r in records:
        crm = CRM_LABELS.get(r.get("crm") or "", r.get("crm") or "the CRM")
        changed = _when(r.get("changed_at"))
        for kind, column, detail in (("email_opt_out", "email_opted_out_at", None),
                                     ("email_hard_bounce", "email_bounced_at", r.get("email_bounce_reason")),
                                     ("do_not_call", "do_not_call_at", None)):
            at = _when(r.get(column))
            if at and (kind not in out or at < out[kind]["at"]):
                out[kind] = {"crm": crm, "at": at, **({"reason": detail} if detail else {})}
        lifecycle = (r.get("lifecycle") or "").strip()
        converted = _when(r.get("converted_at"))
        if converted or (lifecycle and lifecycle.casefold() in stages):
            at = converted or changed
            what = "converted" if converted else f"lifecycle stage {lifecycle}"
            if "customer" not in out or (at or "") < (out["customer"]["at"] or ""):
                out["customer"] = {"crm": crm, "at": at, "what": what}
        for kind in ("lead_status", "owner"):
            value = r.get(kind)
            if value and (kind not in latest or (changed or "") > latest[kind][0]):
                latest[kind] = (changed or "", {"crm": crm, "value": str(value), "at": changed})
    out.update({kind: v for kind, (_, v) in latest.items()})
    return out or None


def _when(value: object) -> str | None:
    """A timestamp as ISO text (None for missing values, pandas' NaT included)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def crm_suppression_reason(flags: dict | None) -> str | None:
    """Why CRM feedback keeps this person off the prospect list (with the CRM and the date), or None.

    An unsubscribe from all email and a hard bounce block the email channel, which every pushed prospect
    needs; a customer (HubSpot lifecycle stage, Salesforce conversion) is no prospect any more.
    """
    if not flags:
        return None
    if f := flags.get("email_opt_out"):
        return f"unsubscribed from all email in {f['crm']} on {f['at'][:10]} (CRM feedback)"
    if f := flags.get("email_hard_bounce"):
        reason = f" ({f['reason']})" if f.get("reason") else ""
        return f"email hard-bounced in {f['crm']} on {f['at'][:10]}{reason} (CRM feedback)"
    if f := flags.get("customer"):
        on = f" on {f['at'][:10]}" if f.get("at") else ""
        return f"already a customer in {f['crm']} ({f['what']}{on}): not pushed as a prospect again"
    return None


def crm_phone_note(flags: dict | None) -> str | None:
    """Why CRM feedback makes the phone not callable (do-not-call with the CRM and date), or None."""
    f = (flags or {}).get("do_not_call")
    return f"do-not-call in {f['crm']} since {f['at'][:10]} (CRM feedback)" if f else None

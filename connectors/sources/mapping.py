"""Map a file's headers to canonical lead fields: explicit override, then preset, then fuzzy aliases.

With neither a preset nor overrides configured (and auto-mapping on), the preset is detected from the headers
by `presets.detect_preset`, the one rule that ingest, `leadpipe validate` and `leadpipe dedupe` share.

Purchased lists come with headers like "E-mail Address", "Work Email" or "Firma"; writing a mapping for
each is busywork. Auto-mapping compares each unused header against known aliases with rapidfuzz and
takes only confident matches; whatever is not mapped stays in the raw payload, untouched.

A repeated column name is read as `Name`, `Name (2)` (see `headers.unique_headers`). A copy holding the same
values as the first column in every sampled row is the same column written twice (Seamless.AI's second
`First Name`) and is set aside as such; a copy with other values backs up the field its first column feeds,
row by row: a row whose work `Phone` is empty gets its `Phone (2)` (the mobile), because the lead schema
has one phone field. The raw payload keeps every copy either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from connectors.sources.base import RawRecord
from connectors.sources.presets import PRESET_OPTIONAL, PRESETS, detect_preset
from leadpipe.core.schema import ADDRESS_FIELDS

AUTO_MAP_MIN_SCORE = 90.0

# canonical field -> header spellings seen in the wild (compared after normalising, see _norm).
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "fname", "vorname", "prenom"),
    "last_name": ("last name", "lastname", "surname", "family name", "lname", "nachname"),
    "full_name": ("full name", "name", "contact name", "person name"),
    "email": ("email", "e mail", "email address", "work email", "business email", "mail", "e mail address"),
    "phone": ("phone", "phone number", "telephone", "direct phone", "mobile", "mobile phone", "tel",
              "work phone", "telefon"),
    "company": ("company", "company name", "organization", "organisation", "account name", "employer",
                "firma"),
    "website": ("website", "company website", "web site", "url", "company url", "homepage", "company domain",
                "domain"),
    "employees": ("employees", "employee count", "number of employees", "company size", "headcount",
                  "staff count", "employees count"),
    "industry": ("industry", "company industry", "sector", "branche"),
    "job_title": ("job title", "title", "position", "role", "job role", "designation"),
    # the person's postal address; "stra e" is "Straße" after _norm. A company's address column never feeds
    # these (see _COMPANY_COLUMN).
    "street": ("street", "street address", "address", "address line 1", "address 1", "address1", "street 1",
               "street line 1", "person street", "contact street", "mailing street", "mailing address",
               "home address", "strasse", "stra e", "adresse", "direccion"),
    "address_line2": ("address line 2", "address 2", "address2", "street 2", "street line 2",
                      "street address 2", "person street 2", "adresszusatz", "apartment suite"),
    "house_number": ("house number", "hausnummer", "street number", "building number", "house no", "hnr"),
    "city": ("city", "town", "person city", "contact city", "stadt"),
    "state": ("state", "region", "state region", "province", "county"),
    "postcode": ("postcode", "postal code", "zip", "zip code", "plz", "person zip code", "contact zip",
                 "contact postal code", "person postal code", "postleitzahl"),
    "country": ("country", "country region", "country code", "nation", "land"),
    # a person's LinkedIn profile (Apollo "Person Linkedin Url", ZoomInfo "LinkedIn Contact Profile URL"); a
    # company's LinkedIn page ("Company Linkedin Url") never feeds it (see _COMPANY_COLUMN)
    "linkedin_url": ("linkedin url", "linkedin", "linkedin profile", "linkedin profile url", "person linkedin url",
                     "linkedin contact profile url", "contact linkedin url", "linkedin link"),
    "preferred_channel": ("preferred channel", "contact preference", "preferred contact method",
                          "contact method", "preferred contact channel", "how to contact"),
    "email_consent": ("email consent", "consent email", "marketing consent", "opt in", "newsletter opt in",
                      "gdpr consent"),
    "submitted_at": ("submitted at", "submission date", "created at", "create date", "date submitted",
                     "timestamp"),
}


# A header naming the company's (or account's, HQ's) address: "Company Street Address", "Company City",
# "Account Postal Code", "HQ Address". Auto-mapping never feeds it to the person's address fields, however
# close its wording: a person's street taken from their employer's head office is wrong in the CRM.
_COMPANY_COLUMN = re.compile(r"^(company|organi[sz]ation|account|employer|firma|firmen|hq|headquarters?|office"
                             r"|business|corporate)\b")
_ADDRESS_TARGETS = frozenset(ADDRESS_FIELDS) | {"linkedin_url"}  # the person's, never the company's

_DUPLICATE = re.compile(r"^(?P<base>.+) \((?P<n>[2-9]|[1-9]\d+)\)$")


@dataclass(frozen=True)
class HeaderMapping:
    fields: dict[str, str]  # canonical field -> header in the file
    how: dict[str, str]  # canonical field -> "override" | "preset" | "auto (score 95)"
    missing: list[str] = field(default_factory=list)  # configured headers the file lacks
    unmapped: list[str] = field(default_factory=list)  # headers kept only in the raw payload
    preset: str | None = None  # the preset used, configured or detected
    preset_detected: bool = False  # True when nothing was configured and the headers matched `preset`
    fallbacks: dict[str, list[str]] = field(default_factory=dict)  # field -> repeated columns used when empty
    same_as: dict[str, str] = field(default_factory=dict)  # repeated column -> the column it copies

    def column(self, fld: str, payloads: Sequence[dict[str, str]]) -> list[str]:
        """The values field `fld` gets from these payloads: its column, else a repeated copy that has one."""
        header = self.fields.get(fld)
        if not header:
            return [""] * len(payloads)
        backups = self.fallbacks.get(fld)
        if not backups:
            return [p.get(header, "") for p in payloads]
        out = []
        for p in payloads:
            value = p.get(header, "")
            if not value.strip():
                value = next((p[b] for b in backups if (p.get(b) or "").strip()), value)
            out.append(value)
        return out


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


norm_header = _norm  # how headers compare: lower case, punctuation and spaces folded


def duplicate_of(header: str, headers: Iterable[str]) -> str | None:
    """The column `header` repeats (`Phone (2)` -> `Phone`) when that column is among `headers`."""
    m = _DUPLICATE.match(header)
    if m and m["base"] in set(headers):
        return m["base"]
    return None


def record_headers(records: Iterable[RawRecord]) -> list[str]:
    """The header row of a file as read: every payload key in first-seen order (not the overflow column)."""
    seen: dict[str, None] = {}
    for r in records:
        for k in r.payload:
            if k != "_extra_fields":
                seen.setdefault(k, None)
    return list(seen)


def map_headers(headers: list[str], preset: str | None = None, overrides: dict[str, str] | None = None,
                automap: bool = True, rows: Sequence[dict[str, str]] | None = None) -> HeaderMapping:
    """Decide which header feeds which canonical field for one file.

    Nothing configured (no preset, no overrides) and auto-mapping on: a vendor preset the headers match is
    used (detect_preset); its absent headers are not reported as missing, since nobody configured them.
    `rows` (a sample of payloads) lets repeated columns be told apart by content; without it a repeated
    column backs up its first column's field.
    """
    from rapidfuzz import fuzz, process  # here: DAG files must parse without loading rapidfuzz

    detected = preset is None and not overrides and automap
    if detected:
        preset = detect_preset(headers)
        detected = preset is not None
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(_norm(h), h)
    fields: dict[str, str] = {}
    how: dict[str, str] = {}
    missing: list[str] = []

    def find(header: str) -> str | None:
        return header if header in headers else by_norm.get(_norm(header))

    for origin, wanted in (("override", overrides or {}), ("preset", PRESETS.get(preset or "", {})),
                           ("preset (optional)", PRESET_OPTIONAL.get(preset or "", {}))):
        for fld, header in wanted.items():
            if fld in fields:
                continue
            found = find(header)
            if found is None:
                if origin == "override" or (origin == "preset" and not detected):
                    missing.append(header)
            elif found not in fields.values():
                fields[fld], how[fld] = found, origin.split(" ")[0]
    if automap:
        choices = [(fld, alias) for fld, aliases in ALIASES.items() for alias in aliases]
        alias_texts = [a for _, a in choices]
        for h in headers:
            if h in fields.values() or not _norm(h) or duplicate_of(h, headers):
                continue
            best = process.extractOne(_norm(h), alias_texts, scorer=fuzz.ratio, score_cutoff=AUTO_MAP_MIN_SCORE)
            if best is None:
                continue
            fld = choices[best[2]][0]
            if fld in _ADDRESS_TARGETS and _COMPANY_COLUMN.match(_norm(h)):
                continue  # the company's address, not the person's
            if fld not in fields:
                fields[fld], how[fld] = h, f"auto (score {best[1]:.0f})"
    fallbacks, same_as = _repeated_columns(headers, fields, rows)
    used = set(fields.values()) | set(same_as) | {h for hs in fallbacks.values() for h in hs}
    return HeaderMapping(fields, how, sorted(set(missing) - set(fields.values())),
                         [h for h in headers if h not in used], preset, detected, fallbacks, same_as)


def _repeated_columns(headers: list[str], fields: dict[str, str], rows: Sequence[dict[str, str]] | None,
                      ) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Repeated columns (`Phone (2)`) by content: a copy of its first column, or a backup for its field."""
    field_of = {h: f for f, h in fields.items()}
    fallbacks: dict[str, list[str]] = {}
    same_as: dict[str, str] = {}
    for h in headers:
        base = duplicate_of(h, headers)
        if base is None or h in field_of:
            continue
        if rows and all(not (r.get(h) or "").strip() or r.get(h) == r.get(base) for r in rows):
            same_as[h] = base
        elif base in field_of:
            fallbacks.setdefault(field_of[base], []).append(h)
    return fallbacks, same_as

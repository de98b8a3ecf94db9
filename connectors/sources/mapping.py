"""Map a file's headers to canonical lead fields: explicit override, then preset, then fuzzy aliases.

Purchased lists come with headers like "E-mail Address", "Work Email" or "Firma"; writing a mapping for
each is busywork. Auto-mapping compares each unused header against known aliases with rapidfuzz and
takes only confident matches; whatever is not mapped stays in the raw payload, untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connectors.sources.presets import PRESETS

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
    "city": ("city", "town", "person city", "contact city", "stadt"),
    "state": ("state", "region", "state region", "province", "county"),
    "postcode": ("postcode", "postal code", "zip", "zip code", "plz"),
    "country": ("country", "country region", "country code", "nation", "land"),
    "email_consent": ("email consent", "consent email", "marketing consent", "opt in", "newsletter opt in",
                      "gdpr consent"),
    "submitted_at": ("submitted at", "submission date", "created at", "create date", "date submitted",
                     "timestamp"),
}


@dataclass(frozen=True)
class HeaderMapping:
    fields: dict[str, str]  # canonical field -> header in the file
    how: dict[str, str]  # canonical field -> "override" | "preset" | "auto (score 95)"
    missing: list[str] = field(default_factory=list)  # configured headers the file lacks
    unmapped: list[str] = field(default_factory=list)  # headers kept only in the raw payload


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


def map_headers(headers: list[str], preset: str | None = None, overrides: dict[str, str] | None = None,
                automap: bool = True) -> HeaderMapping:
    """Decide which header feeds which canonical field for one file."""
    from rapidfuzz import fuzz, process

    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(_norm(h), h)
    fields: dict[str, str] = {}
    how: dict[str, str] = {}
    missing: list[str] = []

    def find(header: str) -> str | None:
        return header if header in headers else by_norm.get(_norm(header))

    for origin, wanted in (("override", overrides or {}), ("preset", PRESETS.get(preset or "", {}))):
        for fld, header in wanted.items():
            if fld in fields:
                continue
            found = find(header)
            if found is None:
                missing.append(header)
            elif found not in fields.values():
                fields[fld], how[fld] = found, origin
    if automap:
        choices = [(fld, alias) for fld, aliases in ALIASES.items() for alias in aliases]
        alias_texts = [a for _, a in choices]
        for h in headers:
            if h in fields.values() or not _norm(h):
                continue
            best = process.extractOne(_norm(h), alias_texts, scorer=fuzz.ratio, score_cutoff=AUTO_MAP_MIN_SCORE)
            if best is None:
                continue
            fld = choices[best[2]][0]
            if fld not in fields:
                fields[fld], how[fld] = h, f"auto (score {best[1]:.0f})"
    used = set(fields.values())
    return HeaderMapping(fields, how, sorted(set(missing) - used), [h for h in headers if h not in used])

"""Placeholders: what spreadsheets and vendors put in a cell that has no value. One list, used everywhere.

A cell holding `#N/A`, `N/A`, `unknown` or `-` says "nothing here", not "a company called N/A". Kept as text,
it is pushed to the CRM as a company or job title, scored, and, worst, read by the matcher as a shared
company, so two different John Smiths "at #N/A" become one person. So every text field treats these values as
empty (enrichment.normalise), the matcher ignores them (enrichment.dedupe.features), and the normalised-leads
suite quarantines a row whose *name* is one (expectations.normalised_leads), as it always did for 'asdf'.

It lives in the core because normalisation, matching and the validation suite, three separate plug-in
packages, must agree on it. Matching is exact on the trimmed, case-folded value with inner runs of space
collapsed: "N/A" and " n/a " are placeholders, "N/A Logistics" is a company.

Some spellings are real values in one field and placeholders in another, so the decision is per field:
"NA" is Namibia's country code and Navarra's subdivision code (ES-NA), and "Na" a Korean family name;
"Nil" is a given name; "X" can be an initial. Those stay in the fields where they are real.
"""

from __future__ import annotations

import re

__all__ = [
    "COMPANY_PLACEHOLDERS",
    "EXCEL_ERRORS",
    "NAME_PLACEHOLDERS",
    "TEXT_PLACEHOLDERS",
    "blank_placeholder",
    "is_placeholder",
    "placeholders_for",
]

# Spreadsheet error values (Excel, LibreOffice, Google Sheets) that end up in exported CSVs as text.
EXCEL_ERRORS: frozenset[str] = frozenset({
    "#n/a", "#n/a!", "#na", "#value!", "#ref!", "#div/0!", "#name?", "#null!", "#num!", "#getting_data",
    "#spill!", "#calc!", "#field!", "#blocked!", "#connect!", "#busy!", "#unknown!", "#external!", "#python!",
    "#error!", "err:502", "err:504", "err:508", "err:522",
})

# What people and vendors type into any text field when they have nothing to give.
TEXT_PLACEHOLDERS: frozenset[str] = EXCEL_ERRORS | frozenset({
    "-", "--", "---", "_", ".", "..", "...", "?", "??", "???", "/", "*",
    "n/a", "n.a.", "n.a", "n / a", "na", "nan", "none", "null", "nil", "undefined", "unknown", "unkown",
    "not applicable", "not provided", "not available", "not specified", "not given", "not known", "no data",
    "tbd", "tba", "tbc", "x", "xx", "xxx", "(blank)", "<blank>", "blank", "empty", "(none)", "<none>",
    "k.a.", "k. a.", "keine angabe", "keine", "unbekannt", "non renseigné", "inconnu", "desconocido",
})

# A company cell that names no employer: matching on it would merge namesakes (all "Self-employed").
COMPANY_PLACEHOLDERS: frozenset[str] = TEXT_PLACEHOLDERS | frozenset({
    "self-employed", "self employed", "selfemployed", "self", "freelance", "freelancer", "freelancing",
    "independent", "independent contractor", "private", "privat", "private person", "privatperson",
    "retired", "unemployed", "student", "no company", "none (self)", "my company", "company",
    "selbstständig", "selbständig", "freiberuflich", "indépendant", "autónomo", "autonomo",
})

# Names people type into forms to get past them. Not "na" (a Korean family name), "nil" (a given name),
# "x" (an initial); the rest of the text placeholders are no name either.
NAME_PLACEHOLDERS: frozenset[str] = (TEXT_PLACEHOLDERS - {"na", "nil", "x"}) | frozenset({
    "test", "testing", "asdf", "qwerty", "dummy",
})

# Real values in these fields: "NA" is Namibia (country) and ES-NA Navarra (state).
_REAL_IN_FIELD: dict[str, frozenset[str]] = {
    "country": frozenset({"na"}),
    "state": frozenset({"na"}),
}

_SPACE = re.compile(r"\s+")
_LONGEST = max(len(p) for p in COMPANY_PLACEHOLDERS | NAME_PLACEHOLDERS | TEXT_PLACEHOLDERS)


def placeholders_for(field: str) -> frozenset[str]:
    """The placeholder spellings (case-folded) for one canonical field."""
    if field == "company":
        return COMPANY_PLACEHOLDERS
    if field in ("first_name", "last_name", "full_name"):
        return NAME_PLACEHOLDERS
    return TEXT_PLACEHOLDERS - _REAL_IN_FIELD.get(field, frozenset())


def _key(value: str) -> str:
    return _SPACE.sub(" ", value.strip()).casefold()


def _too_long(value: str) -> bool:
    """Too long to be any placeholder, whatever its spacing: without control or separator characters
    (isprintable) its only whitespace is " ", so its key keeps at least its other characters (casefold never
    shortens a character). Saves the key's regex on the long values that make up most cells."""
    return len(value) - value.count(" ") > _LONGEST and value.isprintable()


# The first character of every placeholder's key: a value starting with any other ("+49 30...", "https://...",
# "john@...") is none, and its key (a regex and a case-fold) is never built.
_FIRST_CHARACTERS = frozenset(p[0] for p in COMPANY_PLACEHOLDERS | NAME_PLACEHOLDERS | TEXT_PLACEHOLDERS)


def _surely_not(value: str) -> bool:
    """Cannot be a placeholder of any field: too long, or its key would start with a character none starts with."""
    head = value.lstrip()[:1]
    return (bool(head) and head.casefold()[0] not in _FIRST_CHARACTERS) or _too_long(value)


def is_placeholder(value: object, field: str = "") -> bool:
    """True when the cell is text that only says "no value" for this field (see the module docstring)."""
    return isinstance(value, str) and not _surely_not(value) and _key(value) in placeholders_for(field)


def blank_placeholder(value: str, field: str = "") -> str:
    """The value, or "" when it is a placeholder for this field."""
    return value if _surely_not(value) or _key(value) not in placeholders_for(field) else ""

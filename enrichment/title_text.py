"""The normal form of a job title that the rules, the O*NET lookup and the title model all read.

Lower-case ASCII words, accents dropped, "&" as "and", a bracketed acronym of words the title spells out
dropped, and whole-word abbreviations spelled out ("VP Eng", "Sr Acct Exec", "HRBP", "V.P."), so that "Sr. Acct Exec" and "Senior Account Executive" are one title.
"""

from __future__ import annotations

import re
import unicodedata

# Whole-token abbreviations, expanded before any rule runs.
_ABBREVIATIONS = {
    "sr": "senior", "snr": "senior", "jr": "junior", "mgr": "manager", "dir": "director", "asst": "assistant",
    "acct": "account", "exec": "executive", "eng": "engineering", "engg": "engineering", "mktg": "marketing",
    "mkt": "marketing", "ops": "operations", "revops": "revenue operations", "hrbp": "hr business partner",
    "csm": "customer success manager", "pmm": "product marketing manager", "bdr": "business development rep",
    "sdr": "sales development rep", "svp": "vice president", "evp": "vice president", "rvp": "vice president",
    "vp": "vice president", "dev": "developer", "ceo": "chief executive officer",
    "cfo": "chief financial officer", "cto": "chief technology officer", "coo": "chief operating officer",
    "cmo": "chief marketing officer", "cro": "chief revenue officer", "cio": "chief information officer",
    "ciso": "chief information security officer", "chro": "chief human resources officer",
    "clo": "chief legal officer", "pdg": "president directeur general", "drh": "directeur ressources humaines",
    "dsi": "directeur systemes d information", "rrhh": "recursos humanos", "fp": "fp", "gf": "geschaftsfuhrer",
    "gm": "general manager", "ict": "it", "hrm": "hr", "dba": "database administrator",
}

_TOKEN = re.compile(r"[a-z0-9]+")
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_LETTERS = re.compile(r"[A-Za-z]+")


def _drop_spelled_out_acronyms(title: str) -> str:
    """Drop a bracket whose acronyms abbreviate words the title already has: "Continuous Miner Operator (CMO)" is
    no chief marketing officer, "Quality Assurance Inspector (QA Inspector)" says it twice. A bracket that adds
    something ("Director (IT)", "Sales Manager (EMEA)") stays."""
    outside = _PARENTHESES.sub(" ", title)
    initials = "".join(w[0] for w in _LETTERS.findall(outside)).casefold()
    if not initials:
        return title

    def spelled_out(found: re.Match[str]) -> str:
        acronyms = [w for w in _LETTERS.findall(found.group(1)) if len(w) >= 2 and w.isupper()]
        return " " if acronyms and all(a.casefold() in initials for a in acronyms) else found.group(0)

    return _PARENTHESES.sub(spelled_out, title)
_V_P = re.compile(r"\bv p\b")  # "V.P." and "V. P." split into two words
# German gender forms "Architekt*in", "Lehrer:innen", "Manager_in", "Berater/in": one word, not "architekt in" (an
# English "X in Y" title, or the model's word "in")
_GENDER_SUFFIX = re.compile(r"(?<=[^\W\d_])[*:_/]in(nen)?(?![\w-])", re.IGNORECASE)
_GENDER_MARKS = frozenset("*:_/")


def normalise_title(title: str) -> str:
    """Lower-case ASCII words with abbreviations spelled out: the form every rule reads."""
    if "(" in title:
        title = _drop_spelled_out_acronyms(title)
    if not _GENDER_MARKS.isdisjoint(title):
        title = _GENDER_SUFFIX.sub("", title)
    if title.isascii():  # most titles: no accent to drop (NFKD leaves ASCII as it is), and 3x cheaper
        text = title.lower().replace("&", " and ")
    else:
        text = unicodedata.normalize("NFKD", title.casefold())
        text = "".join(c for c in text if not unicodedata.combining(c)).replace("&", " and ")
    words = _TOKEN.findall(text)
    text = " ".join(map(_ABBREVIATIONS.get, words, words))  # each word, or what it abbreviates
    return _V_P.sub("vice president", text) if "v p" in text else text  # the search only where it can fit


_ROLE_MARK = "zzrolezz"  # survives normalisation as a token of its own
_SEPARATORS = re.compile(r"[&/|+]")
_ROLE_SPLIT = re.compile(rf"\b(?:{_ROLE_MARK}|and)\b")


def normalise_roles(title: str) -> list[str]:
    """The normal form of each role of a title that joins several with "&", "/", "|", "+" or "and"
    ("Partner & Head of Legal" -> ["partner", "head of legal"]), normalised in one pass."""
    text = normalise_title(_SEPARATORS.sub(f" {_ROLE_MARK} ", title))
    return [p for p in (part.strip() for part in _ROLE_SPLIT.split(text)) if p]

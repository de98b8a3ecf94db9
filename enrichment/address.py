"""Street lines made comparable and CRM-ready: case, punctuation and common abbreviations, per country.

Vendors write "123 MAIN ST.", "123 main street" and "123 Main St" for one address; German lists write
"Hauptstr. 5" and "Hauptstrasse 5". A small, documented table (no network, no address parser) expands the
abbreviations sales lists actually carry, so the CRM shows one spelling and survivorship compares like
with like. Words not in the table are kept, only re-cased when the whole line was in one case.

Rules (docs/normalisation.md repeats them):
- whitespace folded, stray punctuation at the ends and before commas dropped ("123 Main St.," -> "123 Main Street");
- a line entirely upper or lower case is title-cased word by word ("MAIN ST" -> "Main Street"); mixed case is kept;
- English-speaking countries (US, GB, IE, CA, AU, NZ, and unknown country): St/Rd/Ave/Blvd/Dr/Ln/Ct/Pl/Sq/Hwy/Pkwy
  as whole words become Street/Road/Avenue/Boulevard/Drive/Lane/Court/Place/Square/Highway/Parkway;
  "Apt"/"Ste" (line 2) become Apartment/Suite;
- German-speaking (DE, AT, CH): a word ending "str." or "strasse" becomes "...straße" (CH keeps "ss": Swiss
  spelling has no ß), a separate "Str." becomes "Straße", "Pl." becomes "Platz";
- French/Spanish/Portuguese-speaking (FR, BE, LU, ES, PT, BR, MX, AR): "Av."/"Av" becomes "Avenue" in FR/BE/LU,
  "Avenida" elsewhere; "Bd"/"Bd." becomes "Boulevard" (FR/BE/LU); "C/" becomes "Calle" (ES).
"St." before a name ("St. James Road") is kept as "St." when it is the first word: it means Saint there.

House number: the number at the start of line 1 ("123 Main Street", "12 Avenue de la Paix") or at its end
("Hauptstraße 5", "Keizersgracht 123-125", "Marienplatz 8a"), with a letter or range suffix; see
`house_number`. A file with the number in its own column gets it joined to the street the country's way
(`street_with_number`: after the name in continental Europe, before it elsewhere).
Postcodes: whitespace folded, letters upper-cased ("sw1a  1aa" -> "SW1A 1AA"); nothing else is assumed.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["house_number", "normalise_postcode", "normalise_street", "street_with_number"]

_ENGLISH = {"US", "GB", "IE", "CA", "AU", "NZ", ""}
_GERMAN = {"DE", "AT", "CH"}
_FRENCH = {"FR", "BE", "LU"}
_IBERIAN = {"ES", "PT", "BR", "MX", "AR", "CO", "CL", "PE"}

# whole-word abbreviation (lower case, no dot) -> full word, per language group
_ENGLISH_WORDS = {
    "st": "Street", "str": "Street", "rd": "Road", "ave": "Avenue", "av": "Avenue", "blvd": "Boulevard",
    "dr": "Drive", "ln": "Lane", "ct": "Court", "pl": "Place", "sq": "Square", "hwy": "Highway",
    "pkwy": "Parkway", "apt": "Apartment", "ste": "Suite",
}
_GERMAN_WORDS = {"str": "Straße", "strasse": "Straße", "pl": "Platz"}
_FRENCH_WORDS = {"av": "Avenue", "bd": "Boulevard", "bld": "Boulevard"}
_IBERIAN_WORDS = {"av": "Avenida", "avda": "Avenida", "c/": "Calle"}

_TOKEN = re.compile(r"\S+")
_GERMAN_SUFFIX = re.compile(r"(?i)^(?P<stem>\w+?)(?:str\.?|strasse|straße)(?P<tail>[,;]?)$")


def normalise_street(value: str, country: str = "") -> str:
    """One street line (line 1 or line 2) in the documented spelling; "" stays ""."""
    return _normalise(value or "", (country or "").upper())


@lru_cache(maxsize=1 << 16)
def _normalise(value: str, country: str) -> str:
    text = " ".join(value.split()).strip(" ,;.-")
    if not text:
        return ""
    one_case = text == text.upper() or text == text.lower()
    words = _words_for(country)
    out: list[str] = []
    for i, token in enumerate(_TOKEN.findall(text)):
        out.append(_word(token, i, words, country, one_case))
    return re.sub(r"\s+,", ",", " ".join(out))


def _words_for(country: str) -> dict[str, str]:
    if country in _GERMAN:
        return _GERMAN_WORDS
    if country in _FRENCH:
        return _FRENCH_WORDS
    if country in _IBERIAN:
        return _IBERIAN_WORDS
    if country in _ENGLISH:
        return _ENGLISH_WORDS
    return {}


def _word(token: str, position: int, words: dict[str, str], country: str, one_case: bool) -> str:
    trail = token[-1] if token[-1] in ",;" else ""
    core = token[:-1] if trail else token
    key = core.lower().rstrip(".")
    if country in _GERMAN:
        m = _GERMAN_SUFFIX.match(core)
        if m and key not in words:
            stem = m["stem"]
            stem = stem.capitalize() if one_case else stem
            return f"{stem}{'strasse' if country == 'CH' else 'straße'}{trail}"
    if key == "c/" or core.lower() == "c/":
        key = "c/"
    if key in words and not (key == "st" and position == 0 and words is _ENGLISH_WORDS):
        full = words[key]
        if country == "CH" and full == "Straße":
            full = "Strasse"
        return full + trail
    if one_case and any(ch.isalpha() for ch in core):
        # lower case, then each "-" joined part capitalised ("KARL-MARX-ALLEE" -> "Karl-Marx-Allee"); "5TH" -> "5th"
        core = "-".join(_capital(p) for p in core.lower().split("-"))
    return core + trail


def _capital(part: str) -> str:
    """First letter upper case, unless it has no one-letter capital ("ß" -> "SS" would change the word)."""
    if not part or not part[0].isalpha() or len(part[0].upper()) != 1:
        return part
    return part[0].upper() + part[1:]


# countries that write the house number after the street name ("Hauptstraße 5")
_NUMBER_AFTER = {"DE", "AT", "CH", "NL", "BE", "LU", "DK", "SE", "NO", "FI", "PL", "CZ", "SK", "HU", "IT", "ES",
                 "PT", "BR", "MX", "AR", "CO", "CL", "PE", "SI", "HR", "EE", "LV", "LT", "IS"}
_LEADING_NUMBER = re.compile(r"^(\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?)(?:\s|,)")
_TRAILING_NUMBER = re.compile(r"(?:\s|,)(\d+\s?[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?)$")


def house_number(street: str) -> str:
    """The house number in a (normalised) line 1: leading ("123 Main Street") or trailing ("Hauptstraße 5")."""
    text = (street or "").strip()
    m = _LEADING_NUMBER.match(text) or _TRAILING_NUMBER.search(text)
    return m.group(1).replace(" ", "").upper() if m else ""


def street_with_number(street: str, number: str, country: str = "") -> str:
    """Line 1 with a separately given house number joined in, unless the line already carries it."""
    number = " ".join((number or "").split())
    if not number or not street or house_number(street):
        return street or ""
    return f"{street} {number}" if (country or "").upper() in _NUMBER_AFTER else f"{number} {street}"


_SPACES = re.compile(r"\s+")


def normalise_postcode(value: str) -> str:
    """A postcode with its whitespace folded and letters upper-cased; its digits and layout as given."""
    return _SPACES.sub(" ", (value or "").strip()).upper()

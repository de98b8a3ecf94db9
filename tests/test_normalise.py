"""Normalisers against real-world inputs whose right answers come from the domain, not from the code.

Phone numbers are real, valid numbering-plan entries (Google HQ, Ofcom's drama range, a Berlin
landline shape); countries and subdivisions follow ISO 3166; free/disposable verdicts follow what
those providers are.
"""

from __future__ import annotations

import socket

import pandas as pd
import phonenumbers
import pytest
from cleanco.clean import prepare_default_terms
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enrichment import normalise as norm
from enrichment._legal_forms import LEGAL_FORMS
from enrichment.normalise import (
    EMAIL_FLAG_COLUMNS,
    company_key,
    country_code,
    normalise_email,
    normalise_frame,
    normalise_phone,
    registrable_domain,
    split_name,
    state_code,
)
from leadpipe.core.placeholders import blank_placeholder
from leadpipe.core.schema import MAPPABLE_FIELDS

# --------------------------------------------------------------------------------------------------
# email


@pytest.mark.parametrize(
    ("raw", "email", "free", "role", "disposable"),
    [
        ("  John.Doe@GMAIL.com ", "john.doe@gmail.com", True, False, False),
        ("hans.meier@web.de", "hans.meier@web.de", True, False, False),
        ("jane@outlook.com", "jane@outlook.com", True, False, False),
        ("info@acme.de", "info@acme.de", False, True, False),
        ("Sales@Acme.com", "sales@acme.com", False, True, False),
        ("sales.emea@acme.com", "sales.emea@acme.com", False, True, False),
        ("noreply@shop.acme.com", "noreply@shop.acme.com", False, True, False),
        ("no-reply@acme.com", "no-reply@acme.com", False, True, False),
        ("mark.smith@acme.com", "mark.smith@acme.com", False, False, False),
        ("a@mailinator.com", "a@mailinator.com", False, False, True),
        ("x@guerrillamail.com", "x@guerrillamail.com", False, False, True),
        ("Jane Roe <Jane.Roe@Example.org>", "jane.roe@example.org", False, False, False),
        ("mailto:j.doe@acme.co.uk", "j.doe@acme.co.uk", False, False, False),
        ("jörg@MÜLLER.de", "jörg@müller.de", False, False, False),
        ("JOHN@XN--MLLER-KVA.DE", "john@müller.de", False, False, False),
        ("john+crm@acme.com", "john+crm@acme.com", False, False, False),
    ],
)
def test_valid_emails(raw: str, email: str, free: bool, role: bool, disposable: bool) -> None:
    result = normalise_email(raw)
    assert (result.email, result.status, result.reason) == (email, "valid", "")
    assert (result.free, result.role, result.disposable) == (free, role, disposable)


@pytest.mark.parametrize(
    "raw",
    [
        "not-an-email",
        "john@localhost",  # no dot: not an internet domain
        "john..doe@acme.com",  # consecutive dots
        ".john@acme.com",
        "john@acme.com.",
        "john@ acme.com",
        "john@[127.0.0.1]",  # IP literals are not lead addresses
        "john@example.invalid",  # RFC 2606 reserved TLD
        "john@acme_corp.com",  # underscore is not allowed in host names
        "john@doe@acme.com",
    ],
)
def test_invalid_emails(raw: str) -> None:
    result = normalise_email(raw)
    assert (result.email, result.status) == ("", "invalid")
    assert result.reason
    assert not (result.free or result.role or result.disposable)


@pytest.mark.parametrize("raw", [None, "", "   ", "n/a", "N/A", "-", float("nan"), pd.NA])
def test_missing_emails(raw: object) -> None:
    assert normalise_email(raw) == norm.EmailResult("", "missing")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "address",
    [
        "john.doe@acme.com",
        "JOHN.DOE@ACME.COM",
        "o'brien@acme.ie",
        "x@a.io",
        "a_b-c@sub.acme.co.uk",
        "john@acme",
        "john@-acme.com",
        "john@acme-.com",
        "john@acme..com",
        "john@acme.123",
        "john@test.local",
        "john@xn--bad.com",
        "a" * 64 + "@acme.com",
        "john@" + "a" * 64 + ".com",
        "postmaster@acme.com",
        "ABUSE@acme.com",
    ],
)
def test_email_shortcut_agrees_with_email_validator(address: str) -> None:
    """Plain addresses skip per-address domain checks; the answer must be email-validator's own."""
    local, domain, error = norm._validated_address(address)
    norm._normalise_email_text.cache_clear()
    result = norm._normalise_email_text(address)
    assert (result.email, result.reason) == (("" if error else f"{local}@{domain}".lower()), error)


@settings(max_examples=4000, deadline=None)
@given(st.one_of(st.text(alphabet="abzAZ09-.", min_size=1, max_size=30),
                 st.from_regex(r"[a-zA-Z0-9-]{1,70}(\.[a-zA-Z0-9-]{1,70}){1,4}", fullmatch=True),
                 st.sampled_from(["omnitek.com", "x.local", "a.test", "b.localhost", "ab--c.de", "xn--p1ai.ru",
                                  "shop.xn--p1ai", "a.-b", "a.b-", "e.1a", "a" * 64 + ".com", "a.b" * 90, "ACME.DE",
                                  "Acme-Bau.De", "X.LOCAL", "A.Test", "AB--C.DE", "XN--P1AI.RU", "Shop.Xn--P1ai",
                                  "A" * 64 + ".COM", "A.B" * 90, "K.de", "acme.Kom"])))
def test_plain_domain_shortcut_agrees_with_email_validator(domain: str) -> None:
    """Plain host names skip email-validator's Unicode checks; the answer must be the library's own."""
    norm._validated_domain.cache_clear()
    _, normalised, error = norm._validated_address(f"postmaster@{domain}")
    assert norm._validated_domain(domain) == (normalised, error)


# --------------------------------------------------------------------------------------------------
# phone


def _library_phone(text: str, region: str) -> str:
    """What the phone normaliser did before its validity shortcut: phonenumbers' own is_valid_number."""
    if not region and text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_CALLING_CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
_TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
          phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
          phonenumbers.PhoneNumberType.SHARED_COST, phonenumbers.PhoneNumberType.VOIP,
          phonenumbers.PhoneNumberType.PERSONAL_NUMBER, phonenumbers.PhoneNumberType.PAGER,
          phonenumbers.PhoneNumberType.UAN, phonenumbers.PhoneNumberType.VOICEMAIL]


def test_phone_validity_shortcut_agrees_on_every_regions_example_numbers() -> None:
    """Every region's example number of every type, and each with its last digit changed or dropped."""
    checked = 0
    for region in _REGIONS:
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            nsn = phonenumbers.national_significant_number(example)
            for digits in (nsn, nsn[:-1], nsn + "0", nsn[:-1] + str((int(nsn[-1]) + 1) % 10)):
                number = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(digits))
                assert norm._is_valid_number(number) == phonenumbers.is_valid_number(number), (region, digits)
                checked += 1
    assert checked > 3000


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(_CALLING_CODES), st.integers(min_value=0, max_value=10**17))
def test_phone_validity_shortcut_agrees_on_any_number(country: int, national: int) -> None:
    number = phonenumbers.PhoneNumber(country_code=country, national_number=national)
    assert norm._is_valid_number(number) == phonenumbers.is_valid_number(number)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789 +-()./x", max_size=22), st.sampled_from(["", "DE", "US", "GB", "FR", "CA",
                                                                             "IT", "CH", "AU", "IN", "BR"]))
def test_phone_normaliser_agrees_with_the_library(text: str, region: str) -> None:
    norm._normalise_phone_text.cache_clear()
    assert norm._normalise_phone_text(text, region) == _library_phone(text, region)


def _parse_both(text: str, region: str) -> tuple[object, object]:
    """(the library's parse, the plain-shape parser's), each a PhoneNumber or the exception's error type."""
    def outcome(parse):
        try:
            return parse()
        except phonenumbers.NumberParseException as exc:
            return exc.error_type
    return outcome(lambda: phonenumbers.parse(text, region or None)), outcome(lambda: norm._parse_plain(text, region))


_PLAIN_REGIONS = ["", "XX", *_REGIONS]


@settings(max_examples=4000, deadline=None)
@given(st.from_regex(r"\+?[0-9(][0-9 ().-]{0,20}[0-9]", fullmatch=True), st.sampled_from(_PLAIN_REGIONS))
def test_the_plain_phone_parser_is_the_librarys_parse(text: str, region: str) -> None:
    """Any plain-shaped text, any region (none, unknown, every supported one): the same number or the same
    error as phonenumbers.parse, or None (the library parses it)."""
    library, plain = _parse_both(text, region)
    if plain is not None:
        assert plain == library, (text, region)


def test_the_plain_phone_parser_agrees_on_every_regions_example_numbers() -> None:
    """Every region's example numbers written as people write them (international with "+" and with the
    region's IDD, national with its trunk prefix, spaced, dotted, bracketed), read in their own region, in
    another and in none: the same PhoneNumber or the same error as phonenumbers.parse, and mostly not None."""
    checked = declined = 0
    for region in _REGIONS:
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            international = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            texts = {international, national, e164, e164[1:], "00" + e164[1:], "011" + e164[1:],
                     international.replace(" ", "."), national.replace(" ", "-"), e164[:-1], e164 + "1"}
            for text in texts:
                for read_in in (region, "US", "DE", "GB", ""):
                    library, plain = _parse_both(text, read_in)
                    if plain is None:
                        declined += 1
                    else:
                        assert plain == library, (text, read_in)
                    checked += 1
    assert checked > 10000
    assert declined < checked * 0.1  # the fast path is the common path


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("(030) 1234567", "DE", "+49301234567"),  # Berlin landline, national format
        ("030 1234567", "Deutschland", "+49301234567"),  # country by name
        ("0151 23456789", "DE", "+4915123456789"),  # German mobile
        ("+49 (0)30 1234567", None, "+49301234567"),  # the "(0)" trunk-prefix habit
        ("0049 30 1234567", None, "+49301234567"),  # international prefix, no country known
        ("+1 650-253-0000", None, "+16502530000"),  # Google HQ
        ("(650) 253-0000", "US", "+16502530000"),
        ("650.253.0000", "United States", "+16502530000"),
        ("020 7946 0018", "GB", "+442079460018"),  # London, Ofcom drama range
        ("+44 (0) 20 7946 0018", "DE", "+442079460018"),  # explicit code beats the lead's country
        ("01 42 68 53 00", "FR", "+33142685300"),  # Paris
        ("02 9374 4000", "AU", "+61293744000"),  # Sydney
        ("tel:+41 44 668 18 00", None, "+41446681800"),  # Zurich, tel: URI
    ],
)
def test_valid_phones(raw: str, country: str | None, e164: str) -> None:
    assert normalise_phone(raw, country) == e164


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("555-1234", "US"),  # parses, but a seven-digit US number is not valid
        ("030 1234567", None),  # national number and no country to read it
        ("030 1234567", ""),
        ("12", "DE"),
        ("n/a", "DE"),
        ("", "DE"),
        (None, "DE"),
        ("call me", "US"),
        ("+49 30", None),  # too short for Berlin
    ],
)
def test_invalid_phones(raw: str | None, country: str | None) -> None:
    assert normalise_phone(raw, country) == ""


# --------------------------------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    ("first", "last", "full", "expected"),
    [
        (None, None, "SMITH, JOHN", ("John", "Smith")),
        (None, None, "Dr. Hans-Peter van der Berg Jr.", ("Hans-Peter", "van der Berg")),
        (None, None, "Prof. Dr. Angela Merkel", ("Angela", "Merkel")),
        (None, None, "Mr. John Smith", ("John", "Smith")),
        (None, None, "Smith Jr., John", ("John", "Smith")),
        (None, None, "de la Cruz, María", ("María", "de la Cruz")),
        (None, None, "Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        (None, None, "MARTIN LUTHER KING JR.", ("Martin Luther", "King")),  # middle name kept
        (None, None, "  ronald   macdonald ", ("Ronald", "MacDonald")),
        (None, None, "DAVID MACHADO", ("David", "Machado")),  # not a Gaelic "Mac"
        (None, None, "EMMANUEL MACRON", ("Emmanuel", "Macron")),
        (None, None, "Jean-Claude Van Damme", ("Jean-Claude", "Van Damme")),  # mixed case is kept
        (None, None, "Cher", ("Cher", "")),
        ("JOHN", "MCDONALD", None, ("John", "McDonald")),
        ("john", "o'neil", None, ("John", "O'Neil")),
        ("ANNE-MARIE", "O'BRIEN", None, ("Anne-Marie", "O'Brien")),
        ("mary-jane", "VAN DER BERG", None, ("Mary-Jane", "van der Berg")),
        ("DeShawn", "McKinney", None, ("DeShawn", "McKinney")),
        ("  Peter ", " Müller ", "ignored when both parts are given", ("Peter", "Müller")),
        ("Anna", None, "Anna Schmidt", ("Anna", "Schmidt")),  # the missing part comes from full_name
        (None, "Schmidt", "Anna Schmidt", ("Anna", "Schmidt")),
        (None, None, None, ("", "")),
        ("", "", "   ", ("", "")),
    ],
)
def test_split_name(first: str | None, last: str | None, full: str | None, expected: tuple[str, str]) -> None:
    assert split_name(first, last, full) == expected


def _faker_names() -> list[tuple[str, str]]:
    from faker import Faker

    names = []
    for locale in ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "sv_SE", "en_IE"):
        fake = Faker(locale)
        fake.seed_instance(11)
        names += [(fake.first_name(), fake.last_name()) for _ in range(60)]
    return names


def test_name_shortcuts_agree_with_nameparser() -> None:
    """The "Given Family" and plain-word shortcuts must give what nameparser's full parse gives."""
    checked = 0
    for first, last in _faker_names():
        for full in (f"{first} {last}", f"{first} {last}".upper(), f"{first} {last}".lower()):
            words = full.split()
            if len(words) == 2 and all(norm._plain_word(w) for w in words):
                assert norm._split_full(full) == norm._split_full_parsed(full), full
                checked += 1
        for part, family in ((first.upper(), False), (last.lower(), True)):
            if all(norm._plain_word(w) for w in part.split()):
                plain = " ".join(norm._recase_plain(w) for w in part.split())
                assert plain == norm._recase_parsed(part, family), part
    assert checked > 1000  # the shortcut is actually exercised


_NAME_WORDS = ["Anna", "Jansen", "José", "Müller", "O'Neil", "Anne-Marie", "Zoë", "Ramírez", "Jacobi", "Li",
               "ANNA", "jansen", "Dr", "Dr.", "King", "Graf", "Jr", "II", "Mac", "Van", "De", "St.", "Mary", "Le",
               "Ahmad", "Khalid", "María", "Teresa", "Ng", "X", "Smith-Jones", "Bishop", "Baron", "Sir"]


@settings(max_examples=3000, deadline=None)
@example(["Jan", "van", "der", "Berg"], False)
@example(["Trillo", "Reinaldo"], True)
@example(["José", "Manuel", "Ramírez"], False)
@given(st.lists(st.one_of(st.sampled_from(_NAME_WORDS), st.sampled_from(sorted(norm._LOWER_PARTICLES))),
                min_size=2, max_size=5),
       st.booleans())
def test_mixed_case_name_shortcuts_agree_with_nameparser(words: list[str], comma: bool) -> None:
    """Where the three-or-four-word, particle and "Family, Given" shortcuts answer, nameparser's full parse must
    answer the same (words drawn from plain names, nameparser's particles, titles, suffixes and odd cases)."""
    if comma:
        words = [words[0] + ",", *words[1:]]
    shortcut = norm._split_mixed_case(words)
    if shortcut is not None:
        assert shortcut == norm._split_full_parsed(" ".join(words)), words


def test_mixed_case_name_shortcuts_answer_the_common_shapes() -> None:
    assert norm._split_mixed_case(["Jan", "van", "der", "Berg"]) == ("Jan", "van der Berg")
    assert norm._split_mixed_case(["Trillo,", "Reinaldo"]) == ("Reinaldo", "Trillo")
    assert norm._split_mixed_case(["José", "Manuel", "Ramírez"]) == ("José Manuel", "Ramírez")
    assert norm._split_mixed_case(["JAN", "VAN", "BERG"]) is None  # one case: nameparser repairs it
    assert norm._split_mixed_case(["Dr.", "Anna", "Berg"]) is None  # a title: nameparser drops it


# --------------------------------------------------------------------------------------------------
# companies


@pytest.mark.parametrize(
    "variants",
    [
        ("Acme GmbH", "ACME Gmbh.", "acme", "  Acme  "),
        ("Acme, Inc.", "Acme Inc", "ACME INC.", "Acme Incorporated"),
        ("The Coca-Cola Company", "Coca Cola", "coca-cola"),
        ("Siemens AG", "SIEMENS", "Siemens Aktiengesellschaft"),
        ("Müller & Söhne GmbH & Co. KG", "Müller & Söhne", "MÜLLER SÖHNE"),
        ("McDonald's Corporation", "McDonalds Corp", "MCDONALD'S"),
        ("Deutsche Bank AG", "Deutsche Bank"),
        ("Accenture plc", "Accenture"),
        # a conjunction between names counts as the "&" it stands for
        ("Smith & Sons Ltd", "Smith and Sons Ltd", "SMITH AND SONS", "Smith And Sons Limited"),
        ("Müller & Söhne GmbH", "Müller und Söhne GmbH", "Müller u. Söhne GmbH", "MÜLLER U SÖHNE"),
        ("Dupont & Fils SA", "Dupont et Fils S.A.", "DUPONT ET FILS"),
        ("García & Hermanos SL", "García y Hermanos S.L.", "GARCÍA Y HERMANOS"),
        ("Procter & Gamble Co.", "Procter and Gamble Company", "Procter, and Gamble"),
        ("Ali, Thompson & Evans Ltd", "Ali, Thompson and Evans Ltd"),
        ("Smith & Co", "Smith and Co", "Smith and Co.", "Smith"),
        ("Acme GmbH & Co. KG", "Acme GmbH & Co KG", "Acme GmbH u. Co. KG", "Acme GmbH und Co. KG", "Acme GmbH u Co KG",
         "Acme AG und Co. KG", "Acme SE u. Co. KGaA", "Acme"),
    ],
)
def test_company_key_matches_variants(variants: tuple[str, ...]) -> None:
    keys = {company_key(v) for v in variants}
    assert len(keys) == 1 and keys != {""}, keys


@pytest.mark.parametrize(
    ("a", "b"),
    [("Acme GmbH", "Acme Logistics GmbH"), ("Deutsche Bank AG", "Deutsche Bahn AG"), ("3M", "M3"),
     # a conjunction that starts the name is the name
     ("Y Combinator", "Combinator"), ("Et Cetera Ltd", "Cetera Ltd"), ("U Haul", "Haul"), ("And Sons", "Sons"),
     ("The Y Company", "The Company")],
)
def test_company_key_keeps_companies_apart(a: str, b: str) -> None:
    assert company_key(a) != company_key(b)


@pytest.mark.parametrize(("raw", "key"), [
    ("Acme GmbH", "acme"), ("", ""), (None, ""), ("AT&T Inc.", "at t"),
    ("Smith and Sons Ltd", "smith sons"), ("Müller u. Söhne GmbH", "müller söhne"), ("Dupont et Fils", "dupont fils"),
    ("García y Hermanos", "garcía hermanos"), ("Acme GmbH und Co. KG", "acme"), ("Smith and", "smith"),
    ("Black and and Decker", "black decker"), ("García y Hermanos S.A. de C.V.", "garcía hermanos"),  # cleanco's form
    # kept where it starts the name (after a leading "The"), or is the whole name
    ("Y Combinator", "y combinator"), ("And Co", "and"), ("The Y Company LLC", "y"), ("The And", "and"),
    ("Et Cetera Ltd", "et cetera"), ("U Haul Inc", "u haul"), ("and", "and"), ("Y", "y"),
    # words that only contain one are no conjunctions
    ("Andersen Consulting", "andersen consulting"), ("Yandex", "yandex"),
    ("Anderson, Murphy & Black", "anderson murphy black"),
])
def test_company_key_values(raw: str | None, key: str) -> None:
    assert company_key(raw) == key


# --------------------------------------------------------------------------------------------------
# domains


@pytest.mark.parametrize(
    ("website", "email", "domain"),
    [
        ("https://www.shop.example.co.uk/x", None, "example.co.uk"),
        ("www.Acme.DE/kontakt", None, "acme.de"),
        ("http://user:pw@sub.acme.com:8080/path?q=1", None, "acme.com"),
        ("acme.com.au", "x@other.com", "acme.com.au"),  # the website wins over the email
        ("https://acme.github.io/", None, "acme.github.io"),  # shared host: the subdomain is the site
        ("http://xn--mller-kva.de", None, "müller.de"),
        (None, "john@acme.de", "acme.de"),
        (None, "john@mail.acme.co.uk", "acme.co.uk"),
        (None, "John@Acme.COM", "acme.com"),
        (None, "john@gmail.com", ""),  # personal address: says nothing about the employer
        (None, "john@web.de", ""),
        (None, "x@mailinator.com", ""),
        ("https://www.linkedin.com/company/acme", "jane@acme.com", "acme.com"),  # a profile, not a site
        ("gmail.com", "jane@acme.com", "acme.com"),
        ("n/a", "jane@acme.com", "acme.com"),
        ("http://192.168.0.1/", None, ""),
        ("localhost", None, ""),
        (None, None, ""),
        ("", "not-an-email", ""),
    ],
)
def test_registrable_domain(website: str | None, email: str | None, domain: str) -> None:
    assert registrable_domain(website, email) == domain


def test_no_network_at_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh lookups (suffix list, email domains) must work with every socket refused."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for cached in (norm._extractor, norm._registrable, norm._site_domain, norm._normalise_email_text):
        cached.cache_clear()
    assert registrable_domain("https://www.beispiel.co.at/", None) == "beispiel.co.at"
    assert normalise_email("anna@beispiel.co.at").status == "valid"
    assert normalise_phone("+43 1 234567", None).startswith("+43")


# --------------------------------------------------------------------------------------------------
# countries and subdivisions


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("germany ", "DE"),
        ("DEU", "DE"),
        ("de", "DE"),
        ("Allemagne", "DE"),  # French catalogue
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("U.S.", "US"),
        ("United States of America", "US"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Nederland", "NL"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("España", "ES"),
        ("日本", "JP"),
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Vietnam", "VN"),
        ("Viet Nam", "VN"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Russia", "RU"),
        ("Brasil", "BR"),
        ("Bahamas", "BS"),
        ("The Bahamas", "BS"),
    ],
)
def test_country_code(raw: str, iso: str) -> None:
    assert country_code(raw) == iso


def test_common_country_spellings_do_not_read_the_translation_catalogues() -> None:
    """Every worker and task process resolves its file's countries; reading ~160 catalogues (~0.4 s) is only
    for a spelling that needs them."""
    from enrichment import normalise

    normalise._common_country_names.cache_clear()
    normalise._catalogue_country_names.cache_clear()
    assert [country_code(v) for v in ("Germany", "USA", "de", "U.K.", "Ivory Coast", "Korea, Republic of")] == \
        ["DE", "US", "DE", "GB", "CI", "KR"]
    assert normalise._catalogue_country_names.cache_info().currsize == 0
    assert country_code("Allemagne") == "DE"
    assert normalise._catalogue_country_names.cache_info().currsize == 1


@pytest.mark.parametrize("raw", ["Atlantis", "xyz", "", None, "Europe", "-"])
def test_country_code_unknown(raw: str | None) -> None:
    assert country_code(raw) == ""


@pytest.mark.parametrize(
    ("raw", "country", "code"),
    [
        ("California", "US", "US-CA"),
        ("CA", "US", "US-CA"),
        ("ca", "USA", "US-CA"),
        ("Georgia", "US", "US-GA"),
        ("US-CA", None, "US-CA"),
        ("Bavaria", "DE", "DE-BY"),  # English name
        ("Bayern", "Deutschland", "DE-BY"),  # ISO (local) name
        ("NRW", "DE", "NRW"),  # colloquial abbreviation: kept as given
        ("Nordrhein-Westfalen", "DE", "DE-NW"),
        ("Ontario", "CA", "CA-ON"),
        ("NSW", "AU", "AU-NSW"),
        ("New South Wales", "Australia", "AU-NSW"),
        ("Île-de-France", "FR", "FR-IDF"),
        ("Ile de France", "France", "FR-IDF"),
        ("Zürich", "CH", "CH-ZH"),
        ("Scotland", "UK", "GB-SCT"),
        ("Nowhere", "US", "Nowhere"),
        ("  Texas ", None, "Texas"),  # no country: cannot resolve, kept trimmed
        (None, "US", ""),
    ],
)
def test_state_code(raw: str | None, country: str | None, code: str) -> None:
    assert state_code(raw, country) == code


# --------------------------------------------------------------------------------------------------
# the stage


def _leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "raw_row_id": [101, 102, 103, 104],
            "source": ["vendor", "vendor", "web_forms", "web_forms"],
            "full_name": ["SMITH, JOHN", "Dr. Anna van der Berg", None, "Jane Roe"],
            "email": ["  John.Smith@ACME.de ", "info@beispiel.nl", "x@mailinator.com", "not-an-email"],
            "phone": ["(030) 1234567", "+31 20 794 0000", "555-1234", None],
            "company": ["  Acme GmbH ", "Beispiel B.V.", None, "Roe & Co Ltd"],
            "website": [None, "https://www.beispiel.nl/over-ons", None, "www.roe.co.uk"],
            "country": ["Deutschland", "Holland", "USA", None],
            "state": ["Bayern", None, "CA", None],
            "employees": ["1,200", "11-50", "n/a", None],
            "email_consent": ["yes", "no", "X", None],
        },
        index=pd.Index([10, 20, 30, 40], name="row"),
    )


def test_frame_columns_index_and_pass_through() -> None:
    df = _leads()
    out = normalise_frame(df)
    assert out.index.equals(df.index)
    assert set(MAPPABLE_FIELDS) <= set(out.columns)
    assert set(EMAIL_FLAG_COLUMNS) <= set(out.columns)
    assert out["raw_row_id"].tolist() == [101, 102, 103, 104]
    assert out["source"].tolist() == df["source"].tolist()
    assert out["full_name"].tolist()[:2] == ["SMITH, JOHN", "Dr. Anna van der Berg"]  # kept for audit
    assert out["city"].tolist() == [""] * 4  # absent in the source: created empty
    assert df["email"].iloc[0] == "  John.Smith@ACME.de "  # input not mutated


_SITES = ["https://www.acme.co.uk/about", "acme.github.io", "www.gmail.com", "linkedin.com/company/acme", "#N/A",
          "n/a", "", "  Beispiel.NL ", "http://shop.müller.de", "not a url", "mailinator.com"]
_EMAILS = ["john@acme.de", "JANE@Gmail.com", "x@mailinator.com", "bad@", "", "unknown", "a.b@sub.firma.co.at",
           "Hans <h@web.de>", "mailto:info@beispiel.nl", "@nobody", "z@xn--mller-kva.de"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_SITES), st.sampled_from(_SITES), st.sampled_from(_EMAILS)),
                min_size=1, max_size=12))
def test_frame_domain_is_the_sites_else_the_emails_registrable_domain(rows: list[tuple[str, str, str]]) -> None:
    """normalise_frame computes the company domain in two halves (site, email) and joins them per row; each row
    must get what registrable_domain gives for its website (else its domain column) and its normalised email."""
    df = pd.DataFrame(rows, columns=["website", "domain", "email"])
    out = normalise_frame(df)
    for (website, domain, _), email, got in zip(rows, out["email"], out["domain"], strict=True):
        site = blank_placeholder(website.strip(), "website") or blank_placeholder(domain.strip(), "domain")
        assert got == registrable_domain(site, email or None), (website, domain, email)


def test_frame_values() -> None:
    out = normalise_frame(_leads())
    assert out["first_name"].tolist() == ["John", "Anna", "", "Jane"]
    assert out["last_name"].tolist() == ["Smith", "van der Berg", "", "Roe"]
    assert out["email"].tolist() == ["john.smith@acme.de", "info@beispiel.nl", "x@mailinator.com", ""]
    assert out["email_status"].tolist() == ["valid", "valid", "valid", "invalid"]
    assert out["email_reason"].iloc[3] and not out["email_reason"].iloc[0]
    assert out["email_role"].tolist() == [False, True, False, False]
    assert out["email_disposable"].tolist() == [False, False, True, False]
    assert out["email_free"].tolist() == [False, False, False, False]
    assert out["phone"].tolist() == ["+49301234567", "+31207940000", "", ""]
    assert out["company"].tolist() == ["Acme GmbH", "Beispiel B.V.", "", "Roe & Co Ltd"]
    assert out["company_key"].tolist() == ["acme", "beispiel", "", "roe"]
    assert out["domain"].tolist() == ["acme.de", "beispiel.nl", "", "roe.co.uk"]
    assert out["country"].tolist() == ["DE", "NL", "US", ""]
    assert out["state"].tolist() == ["DE-BY", "", "US-CA", ""]
    assert str(out["employees"].dtype) == "Int64"
    assert out["employees"].tolist()[:2] == [1200, 11] and out["employees"].isna().tolist()[2:] == [
        True,
        True,
    ]
    assert str(out["email_consent"].dtype) == "boolean"
    assert out["email_consent"].tolist()[0] is True and out["email_consent"].tolist()[2] is True
    assert out["email_consent"].isna().tolist() == [False, True, False, True]
    assert out["email_free"].dtype == bool


def test_frame_phone_region_falls_back_to_site_cctld() -> None:
    out = normalise_frame(pd.DataFrame({"phone": ["089 12345678"], "website": ["https://www.firma.de"]}))
    assert out["phone"].tolist() == ["+498912345678"]
    assert out["country"].tolist() == [""]  # the hint is only for the phone


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("1,200", 1200),
        ("1.000", 1000),
        ("500+", 500),
        ("11-50", 11),
        ("2.5k", 2500),
        ("250", 250),
        (250.0, 250),
        ("approx. 40 employees", 40),
        ("n/a", None),
        ("", None),
        ("many", None),
    ],
)
def test_frame_employees(raw: object, count: int | None) -> None:
    value = normalise_frame(pd.DataFrame({"employees": [raw]}))["employees"].iloc[0]
    assert (value is pd.NA) if count is None else (value == count)


def test_frame_broadcasts_distinct_values_correctly() -> None:
    """Per-distinct-value work must land on the right rows, including pairs (phone + country)."""
    base = pd.DataFrame(
        {
            "email": ["A@acme.com", "info@acme.com", None, "A@acme.com", "bad"],  # .com: no region hint
            "phone": ["030 1234567", "030 1234567", "030 1234567", "+1 650 253 0000", None],
            "country": ["DE", None, "Germany", "DE", "US"],
            "first_name": ["ANNA", "anna", None, "Anna", None],
            "full_name": [None, None, "BEN MILLER", None, "Ben Miller"],
        }
    )
    big = pd.concat([base] * 400, ignore_index=True).sample(frac=1.0, random_state=3)
    out = normalise_frame(big)
    assert out.index.equals(big.index)
    for idx, row in big.iterrows():
        email = normalise_email(row["email"])
        assert out.at[idx, "email"] == email.email
        assert out.at[idx, "email_role"] == email.role
        assert out.at[idx, "phone"] == normalise_phone(row["phone"], country_code(row["country"]))
        assert out.at[idx, "first_name"] == split_name(row["first_name"], None, row["full_name"])[0]


def test_frame_empty_and_bare() -> None:
    empty = normalise_frame(pd.DataFrame({"email": pd.Series([], dtype="str")}))
    assert len(empty) == 0 and set(EMAIL_FLAG_COLUMNS) <= set(empty.columns)
    bare = normalise_frame(pd.DataFrame(index=[5, 6]))
    assert bare["email_status"].tolist() == ["missing", "missing"]
    assert bare["first_name"].tolist() == ["", ""]


def test_company_basename_shortcut_agrees_with_cleanco() -> None:
    """The indexed suffix scan must strip exactly what cleanco.basename strips, term order included."""
    import functools
    import operator

    from cleanco import basename
    from cleanco.termdata import terms_by_country, terms_by_type

    terms = sorted(set(functools.reduce(operator.iconcat, [*terms_by_type.values(), *terms_by_country.values()], [])))
    names = ["Daddy & Sons, Ltd.", "Acme GmbH & Co. KG", "Foo Inc. Ltd", "Bar S.A. de C.V.", "Müller AG", "Ltd", "",
             "The Y Company LLC", "Foo (Pty) Ltd", "foo llc llc", "Foo Corp Corp Ltd", "Coca-Cola", "Oy Ab"]
    for t in terms:  # every term: alone, at the end, twice, shouted, after another form, before a trailing one
        names += [t, f"Foo {t}", f"Foo {t} {t}", f"Foo Bar {t.upper()}", f"Foo Ltd {t}", f"Foo {t} Inc."]
    differ = [(n, basename(n), norm._cleanco_basename(n)) for n in names if basename(n) != norm._cleanco_basename(n)]
    assert len(names) > 1500 and not differ, differ[:5]


def test_ascii_shortcuts_of_company_words_and_accents_decide_every_ascii_character_as_unicodedata() -> None:
    """The company key's ASCII paths replace per-character Unicode lookups; over all 128 characters they agree."""
    import unicodedata

    for code in range(128):
        c = chr(code)
        assert (c.translate(norm._ASCII_NON_ALNUM_TO_SPACE) == " ") == (unicodedata.category(c)[0] in "PSZC"), c
        assert norm._strip_accents(c) == "".join(
            x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x)), c


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=30))
def test_company_words_ascii_shortcut_agrees_with_the_unicode_rule(text: str) -> None:
    import unicodedata

    key = text.casefold().replace("'", "").replace("\u2019", "").replace(".", "")
    assert norm._company_words(text) == "".join(
        " " if unicodedata.category(c)[0] in "PSZC" else c for c in key).split()


def _company_key_as_it_was(text: str) -> str:
    """company_key_text before its shortcuts: both keys always computed, every legal-form length tried, and
    cleanco's own basename (which _cleanco_basename equals: test_company_basename_shortcut_agrees_with_cleanco)."""
    import unicodedata

    from cleanco import basename

    def strip_forms(words: list[str]) -> list[str]:
        bare = [norm._strip_accents(w) for w in words]
        longest = max(len(f.split()) for f in LEGAL_FORMS)
        stripped = True
        while stripped:
            stripped = False
            for size in range(min(longest, len(words) - 1), 0, -1):
                if " ".join(bare[-size:]) in LEGAL_FORMS:
                    words, bare, stripped = words[:-size], bare[:-size], True
                    break
        return words

    def words_of(name: str) -> list[str]:  # the conjunction rule (not in the key as it was before it)
        words = norm._company_words(name)
        first = 2 if words[:1] == ["the"] else 1
        return words[:first] + [w for w in words[first:] if w not in {"and", "und", "u", "et", "y"}]

    text = unicodedata.normalize("NFKC", text)
    keys = [strip_forms(words_of(basename(text))), strip_forms(words_of(text))]
    keys = [key for key in keys if key] or [words_of(text)]
    words = min(keys, key=len)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


_FORM_WORDS = sorted({w for form in LEGAL_FORMS for w in form.split()})
# words no rule strips (company_key_text works such names out once per shape), cleanco's term words, and words
# holding the shape placeholder's letters
_PLAIN_WORDS = ["Acme", "SOLUTIONS", "group", "42", "x9", "Q", "zqzq0", "ZQZQ1", "zqzq", "zqzq0x", "Zqzq10",
                "Johnson-Robinson", "Caldwell,", "A-G", "Gmb-H", "Müller", "MÜLLER-Lüdenscheidt,", "ＡＢＣ", "Ⅻ",
                "İstanbul", "Straße", "Co-op", "x-", "-x", ",", "ǅemal", "łtd", "ŁTD", "Spółka", "Ⱥ", "Gmbⱨ"]
_CLEANCO_WORDS = sorted({w for _, parts in prepare_default_terms() for w in parts})


@settings(max_examples=3000, deadline=None)
@example(["Limited", "Company"], " ")
@example(["Pty", "Ltd"], " ")
@example(["Acme", "GmbH", "&", "Co.", "KG"], " ")
@example(["Acme", "GmbH", "u.", "Co.", "KG"], " ")
@example(["The", "Y", "and", "Company"], " ")
@example(["Acme", "Solutions", "GmbH"], " ")
@example(["zqzq1", "Acme", "Ltd"], " ")
@example(["Acme", "", "Corp"], " ")
@example(["Johnson-Robinson", "Gmb-H"], " ")
@example(["Caldwell,", "Gordon", "and", "Müller", "Straße", "AG"], " ")
@example(["Acme\x00", "x\x00", "Ltd"], " ")
@given(st.lists(st.one_of(st.sampled_from(_FORM_WORDS), st.sampled_from(["The", "Acme", "GMBH.", "Müller", "&",
                                                                           "Co.", "S.A.", "Ｌｔｄ", "-", "Ltd,"]),
                          st.sampled_from(["and", "AND", "und", "u.", "U", "et", "y", "Y", "and,", "Ｙ"]),
                          st.sampled_from(_PLAIN_WORDS), st.sampled_from(_CLEANCO_WORDS),
                          st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=8)), max_size=6),
       st.sampled_from([" ", "  ", "\t", ", "]))
def test_company_key_shortcuts_give_the_key_as_it_was(words: list[str], between: str) -> None:
    """The ASCII paths, the single computation when cleanco strips nothing, the legal-form lengths indexed by
    last word and the keys worked out once per shape of name must not change a single key (names built mostly
    from legal-form words, cleanco's term words, conjunctions and words no rule strips, in any case and order);
    the reference applies the conjunction rule as plainly as it can be written."""
    text = between.join(words)
    assert norm.company_key_text(text) == _company_key_as_it_was(text)


_LABELS = ["www", "acme", "acme-bau", "shop", "co", "uk", "de", "com", "github", "io", "ck", "kawasaki", "jp",
           "city", "blogspot", "appspot", "s3", "amazonaws", "xn--mller-kva", "123", "-x", "x-", "local", "example",
           "test", "invalid", "a", "0"]


@settings(max_examples=4000, deadline=None)
@example(["shop", "acme", "co", "uk"], "https://", "", ":8080", "/?q=1")
@example(["foo", "ck"], "", "", "", "")
@example(["city", "kawasaki", "jp"], "", "", "", "")
@given(st.lists(st.sampled_from(_LABELS), min_size=1, max_size=5),
       st.sampled_from(["", "http://", "https://", "HTTPS://", "ftp://", "//", "http:/", " "]),
       st.sampled_from(["", "user@", "a:b@"]), st.sampled_from(["", ":80", ":x", "."]),
       st.sampled_from(["", "/", "/kontakt", "?a=b", "#top", "/a//b", "/@x", " "]))
def test_plain_registrable_domain_agrees_with_tldextract(labels: list[str], scheme: str, user: str, port: str,
                                                         path: str) -> None:
    """The plain-host shortcut of the registrable domain must give what tldextract's whole parse gives, on
    addresses built from public suffixes (private ones too), wildcard rules, Punycode, IP-like labels, ports,
    user info and odd schemes."""
    url = scheme + user + ".".join(labels) + port + path
    assert norm._registrable.__wrapped__(url) == norm._registrable_by_tldextract(url.strip().lower()), url


def _provider_kind_by_tldextract(domain: str) -> tuple[bool, bool]:
    """mail_provider_kind as it was: candidates from tldextract's registrable parent, always."""
    candidates = {domain, norm._ascii_domain(domain)}
    candidates |= {norm._registrable(name) for name in list(candidates)}
    candidates.discard("")
    return (any(n in norm._free_domains() for n in candidates),
            any(n in norm._disposable_domains() for n in candidates))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.sampled_from(sorted(norm._free_domains()))
    .flatmap(lambda d: st.sampled_from([d, f"eu.{d}", f"a.b.{d}", d.split(".", 1)[-1], f"x{d}"])),
    st.sampled_from(sorted(norm._disposable_domains())).flatmap(lambda d: st.sampled_from([d, f"mx.{d}"])),
    st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,12}){0,3}\.(com|de|co\.uk|github\.io|com\.au|io|k12\.ca\.us)",
                  fullmatch=True),
    st.text(alphabet="abc.-xn", max_size=15),
))
def test_mail_provider_shortcut_agrees_with_tldextract(domain: str) -> None:
    norm.mail_provider_kind.cache_clear()
    assert norm.mail_provider_kind(domain) == _provider_kind_by_tldextract(domain)


_VOCABULARY_SAMPLE = sorted(norm._name_vocabulary())[::7]  # titles, suffixes, particles, conjunctions, ...


@settings(max_examples=4000, deadline=None)
@example(["Debra", "King"], 0)
@example(["noortje", "van", "maaren"], 0)
@example(["Ritter,", "Reinhard"], 0)
@example(["Qzna", "King"], 0)
@example(["DEBRA", "KING", "JR"], 0)
@given(st.lists(st.one_of(st.sampled_from(_NAME_WORDS), st.sampled_from(sorted(norm._LOWER_PARTICLES)),
                          st.sampled_from(_VOCABULARY_SAMPLE),
                          st.sampled_from(["Debra", "DEBRA", "debra", "maaren", "Schmidt", "qzna", "Qznb", "A.",
                                           "J", "III", "(Bob)", '"Bo"', "&", "e", "y", "Mc", "macdonald", "NG",
                                           "XXaX", "Anna,", "ANNA", "anna", "Annabel", "großfürst", "GROSSFÜRST"])),
                min_size=1, max_size=6),
       st.sampled_from([0, 1, 2]))
def test_names_parsed_once_per_shape_agree_with_parsing_each(words: list[str], comma: int) -> None:
    """_split_full_parsed parses a shape of name (its plain words as placeholders) once: for any name it must
    give exactly nameparser's split and recasing of that name."""
    if comma and len(words) > comma:
        words = [*words[:comma - 1], words[comma - 1] + ",", *words[comma:]]
    full = " ".join(words)
    assert norm._split_full_parsed(full) == norm._parsed_split(full)


def test_faker_names_parsed_once_per_shape_agree_with_parsing_each() -> None:
    for first, last in _faker_names():
        for full in (f"{first} {last}", f"{last}, {first}", f"Dr. {first} {last} Jr.", f"{first} King".lower(),
                     f"{first} van {last}".upper()):
            assert norm._split_full_parsed(full) == norm._parsed_split(full), full

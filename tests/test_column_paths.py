"""The column-wise paths of normalise_frame (enrichment.column_paths) give each row what the per-value normaliser
gives it: email addresses, company domains from websites, and name parts, on generated and hostile cells."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enrichment import normalise


@pytest.fixture(autouse=True)
def _column_paths_at_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The paths are taken from COLUMN_PATHS_FROM rows on; these tests give them a few rows."""
    monkeypatch.setattr(normalise, "COLUMN_PATHS_FROM", 0)
from enrichment.column_paths import plain_emails, plain_hosts
from leadpipe.core.placeholders import COMPANY_PLACEHOLDERS, NAME_PLACEHOLDERS, TEXT_PLACEHOLDERS


def _columns_equal(job, rows: int, positions: list[int], flags: list[int], expected: list[tuple]) -> None:
    index = pd.RangeIndex(rows)
    for p in positions:  # None: the normaliser gives one value, not a tuple
        got = job.text(index, p).tolist()
        assert got == [e[p or 0] for e in expected], p
    for p in flags:
        assert job.flags(p).tolist() == [bool(e[p]) for e in expected], p


# --- email addresses

_LOCAL_CHARS = "aZ09._+-!#'`{|}~=?^/&%$*"
_ADDRESSES = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}",
              st.text(alphabet=_LOCAL_CHARS, min_size=1, max_size=12),
              st.sampled_from(["acme.de", "ACME.De", "gmail.com", "GMail.com", "eu.mailinator.com", "web.de",
                               "acme.co.uk", "a--b.com", "ab--c.com", "xn--bcher-kva.de", "localhost", "x.test",
                               "acme.local", "-acme.com", "acme-.com", "acme..com", "1.2.3.4", "acme.c0m", "b",
                               "acme.123", "x" * 64 + ".com", ("y" * 60 + ".") * 4 + "com", "acme.de.",
                               "xn--ls8h.la", "a.b.c.d.e.f.example.org"])),
    st.text(alphabet="aZ9.@+- \t:<>\"éİ\u212aß\x00\u00a0\u202e,;", max_size=14),
)
_HOSTILE_ADDRESSES = ["", " ", None, float("nan"), "n/a", "#N/A", "INFO@ACME.DE", "info2@acme.de",
                      "sales.emea@acme.de", "info-de@acme.de", "+info@acme.de", "info+x@acme.de", "12@acme.de",
                      "mailto:anna@acme.de", "MAILTO:anna@acme.de", " anna@acme.de", "anna@acme.de ",
                      "Anna Lee <anna@acme.de>", '"anna lee"@acme.de', "anna@@acme.de", "anna.@acme.de",
                      ".anna@acme.de", "an..na@acme.de", "anna@acme", "a" * 64 + "@acme.de", "a" * 65 + "@acme.de",
                      "b" * 60 + "@" + ("c" * 60 + ".") * 3 + "de", "jürgen@acme.de", "anna@bücher.de",
                      "anna@ACME.DE", "postmaster@x.test", "anna@x.invalid", "anna@\u212acme.de", "anna@acme.DE"]


@settings(max_examples=300, deadline=None)
@given(st.lists(_ADDRESSES, min_size=1, max_size=30))
@example(_HOSTILE_ADDRESSES)
def test_email_columns_are_the_per_value_normaliser(cells: list) -> None:
    series = pd.Series(cells, dtype=object)
    expected = [normalise._email_fields_and_domain(c) for c in cells]
    job = normalise._email_columns(normalise.SERIAL, series)
    _columns_equal(job, len(cells), [0, 1, 2, 6], [3, 4, 5], expected)


def test_plain_addresses_take_the_column_path() -> None:
    """Most cells of a lead file are plain addresses; they must not all fall to the per-value path."""
    import pyarrow as pa

    cells = ["anna.lee@acme.de", "INFO@ACME.DE", "x+y@gmail.com", "mailto:a@b.de", "Anna <a@b.de>", None]
    rows, local, domain = plain_emails(pa.array(cells, type=pa.large_string()))
    assert rows.tolist() == [0, 1, 2]
    assert local.to_pylist() == ["anna.lee", "INFO", "x+y"] and domain.to_pylist() == ["acme.de", "ACME.DE",
                                                                                        "gmail.com"]


def test_no_placeholder_looks_like_a_plain_address() -> None:
    """The email path does not ask whether a cell is a placeholder: none has the shape it takes."""
    import pyarrow as pa

    spellings = sorted(TEXT_PLACEHOLDERS | COMPANY_PLACEHOLDERS | NAME_PLACEHOLDERS)
    assert len(plain_emails(pa.array(spellings, type=pa.large_string()))[0]) == 0


# --- company domains from websites

_HOST_WORDS = st.sampled_from(["www", "acme", "ACME", "co", "uk", "de", "com", "github", "io", "gmail",
                               "mailinator", "linkedin", "xn--bcher-kva", "123", "a-b", "blogspot", "n", "a"])
_WEBSITES = st.one_of(
    st.builds(lambda scheme, labels, tail: scheme + ".".join(labels) + tail,
              st.sampled_from(["", "http://", "https://", "HTTPS://", "ftp://", "//"]),
              st.lists(_HOST_WORDS, min_size=1, max_size=4),
              st.sampled_from(["", "/", "/about", ":8080", ":8080/x?y=1#z", "/ x", "/é", ".", "?q", "#", "\t"])),
    st.text(alphabet="aZ9.:/-_ \té\u212a@", max_size=14),
)
_HOSTILE_WEBSITES = ["", " ", None, float("nan"), "n.a", "N.A", "n/a", "#N/A", "https://n.a", "acme.de",
                     " acme.de", "acme.de ", "https://www.acme.co.uk/about", "acme.github.io", "gmail.com",
                     "eu.mailinator.com", "linkedin.com/company/acme", "http://1.2.3.4", "xn--bcher-kva.de",
                     "bücher.de", "acme.\u212aom", "user@acme.de", "http://user:pw@acme.de", "acme.de/\x1b[31m",
                     "ACME.DE:443", "acme.de.", "localhost", "acme"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_WEBSITES, st.sampled_from(["", None, "acme.de", "n.a", " GMAIL.com"])),
                min_size=1, max_size=30))
@example([(w, d) for w in _HOSTILE_WEBSITES for d in ("", "acme.org")])
def test_site_domain_columns_are_the_per_value_normaliser(cells: list[tuple]) -> None:
    website = pd.Series([w for w, _ in cells], dtype=object)
    domain = pd.Series([d for _, d in cells], dtype=object)
    expected = [(normalise._site_domain_of(w, d),) for w, d in cells]
    job = normalise._site_domain_columns(normalise.SERIAL, website, domain)
    _columns_equal(job, len(cells), [None], [], expected)


def test_plain_web_addresses_take_the_column_path() -> None:
    import pyarrow as pa

    cells = ["https://www.acme.co.uk/about", "ACME.DE", "http://1.2.3.4", "xn--bcher-kva.de", " acme.de", None]
    rows, hosts = plain_hosts(pa.array(cells, type=pa.large_string()))
    assert rows.tolist() == [0, 1] and hosts.to_pylist() == ["www.acme.co.uk", "acme.de"]


# --- names

_NAME_WORDS = st.sampled_from(["anna", "ANNA", "Anna", "lee", "LEE", "mcdonald", "MACDONALD", "machado", "o'neil",
                               "ANNE-MARIE", "van", "der", "VAN", "de", "Dr.", "dr", "jr", "III", "iv", "José",
                               "JOSÉ", "ÅSA", "müller", "李", "Ⅻ", "d'", "al-", "Mc", "Sr.", "test", "n/a"])
_NAME_CELLS = st.one_of(
    st.just(""), st.none(),
    st.builds(" ".join, st.lists(_NAME_WORDS, min_size=1, max_size=3)),
    st.text(alphabet="aA é-'.,\t\u00a0\u2019ß", max_size=8),
)
_FULL_NAMES = st.one_of(
    _NAME_CELLS,
    st.builds(lambda a, b, sep: f"{a}{sep}{b}", _NAME_WORDS, _NAME_WORDS,
              st.sampled_from([" ", "  ", "\u00a0", "\t", ", ", " \u2009"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAME_CELLS, _NAME_CELLS, _FULL_NAMES), min_size=1, max_size=30))
@example([("", "", "anna lee"), (None, None, "ANNA LEE"), ("", "", "Dr. Lee"), ("", "", "Anna  Lee"),
          ("", "", " Anna Lee"), ("ANNA", "", "Anna Lee"), ("", "MCDONALD", "Anna Lee"), ("anna", "lee", ""),
          ("", "", ""), (None, None, None), ("", "", "van Damme"), ("", "", "Lee, Anna"), ("", "", "not given"),
          ("", "", "Jr Lee"), ("", "", "Anna\u00a0Lee"), ("  ", " ", "Anna Lee")])
def test_name_columns_are_the_per_value_normaliser(cells: list[tuple]) -> None:
    first, last, full = (pd.Series([c[i] for c in cells], dtype=object) for i in range(3))
    expected = [normalise.split_name(*c) for c in cells]
    job = normalise._name_columns(normalise.SERIAL, first, last, full)
    _columns_equal(job, len(cells), [0, 1], [], expected)


@pytest.mark.parametrize("column", [
    pd.Series([4930123456.0, "anna@acme.de", None], dtype=object),  # a spreadsheet's number: the per-value path
    pd.Series([math.nan, math.nan], dtype=object),
    pd.Series([], dtype="str"),
])
def test_columns_that_are_not_all_text_go_the_per_value_way(column: pd.Series) -> None:
    expected = [normalise._email_fields_and_domain(c) for c in column]
    job = normalise._email_columns(normalise.SERIAL, column)
    _columns_equal(job, len(column), [0, 1, 2, 6], [3, 4, 5], expected)


# --- phones written in international form, or read in the row's region

def _phones(column: pd.Series, country: str | list[str] = "") -> tuple[np.ndarray, np.ndarray]:
    regions = np.array(country if isinstance(country, list) else [country] * len(column), dtype=object)
    return normalise._column_phones(column, regions)


def _example_numbers() -> list[str]:
    """An example number of every type of every region and non-geographic calling code, in E.164."""
    import phonenumbers

    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    return sorted(set(found))


_EXAMPLES = _example_numbers()


@st.composite
def _international_cells(draw: st.DrawFn) -> str:
    """An example number, perhaps with a national prefix after its calling code, a digit more, fewer or changed,
    written with spaces, dots, hyphens or brackets."""
    digits = draw(st.sampled_from(_EXAMPLES))[1:]
    cut = draw(st.integers(1, 3))
    code, rest = digits[:cut], digits[cut:]
    edit = draw(st.sampled_from(["", "prefix0", "prefix1", "drop", "add", "change", "zeros"]))
    if edit == "prefix0":
        rest = "0" + rest
    elif edit == "prefix1":
        rest = "1" + rest
    elif edit == "drop" and rest:
        rest = rest[:-1]
    elif edit == "add":
        rest += draw(st.sampled_from("0123456789"))
    elif edit == "change" and rest:
        at = draw(st.integers(0, len(rest) - 1))
        rest = rest[:at] + draw(st.sampled_from("0123456789")) + rest[at + 1:]
    elif edit == "zeros":
        rest = "00" + rest
    text = "+" + code
    for digit in rest:
        text += draw(st.sampled_from(["", "", "", " ", "-", ".", "(", ")"])) + digit
    return text


_HOSTILE_PHONES = ["+", "+1", "+12", "+123", "+0 30 1234567", "+(49) 30 1234567", "+49 30 1234567 ", " +49 30 1234567",
                   "+49-30-1234567-", "+49 (0) 30 1234567", "+44 (0)20 7946 0958", "+1 212 555 0100", "+1 800 555 0100",
                   "+7 495 123 45 67", "+7 701 123 4567", "+599 9 123 4567", "+262 262 12 34 56", "+800 1234 5678",
                   "+39 06 1234 5678", "+39 3123456789", "+54 11 1234 5678", "+55 11 91234 5678",
                   "+81 3 1234 5678", "+999 123456", "+49 30 1234567 ext 12", "+４９ 30 1234567", "+49\u00a030 1234567",
                   "+49 30 123456789012345678", "", None, "n/a", "030 1234567", "0049 30 1234567"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(_international_cells(), st.sampled_from(_HOSTILE_PHONES)),
                          st.sampled_from(["DE", "US", "GB", "", "FR", "XX", "IT"])), min_size=1, max_size=40))
@example([(p, c) for p in _HOSTILE_PHONES for c in ("DE", "")])
def test_international_phones_are_the_per_value_normaliser(cells: list[tuple]) -> None:
    phones = pd.Series([p for p, _ in cells], dtype=object)
    rows, e164 = _phones(phones, [c for _, c in cells])
    decided = [cells[i] for i in range(len(cells)) if rows[i]]
    assert list(e164) == [normalise.normalise_phone(p, c) for p, c in decided]


def test_every_example_number_is_read_column_wise_as_the_library_reads_it() -> None:
    """Every calling code's example numbers (all regions, all types): the column path's answer is the per-value
    one wherever it answers, and it answers for most."""
    phones = pd.Series(_EXAMPLES + [n[:4] + " " + n[4:] for n in _EXAMPLES], dtype=object)
    rows, e164 = _phones(phones)
    decided = phones[rows].tolist()
    assert list(e164) == [normalise.normalise_phone(p, "") for p in decided]
    assert rows.mean() > 0.8


def test_numbers_without_a_plus_are_read_column_wise_only_in_a_row_with_a_country() -> None:
    phones = pd.Series(["030 1234567", "(212) 555-0100", "0049 30 1234567", "+49 30 1234567", "+54 11 1234 5678",
                        "011 54 11 1234 5678"])
    rows, e164 = _phones(phones)
    assert rows.tolist() == [False, False, False, True, False, False]  # no region; Argentina's prefix rewriting
    assert list(e164) == ["+49301234567"]
    rows, e164 = _phones(phones, ["DE", "US", "DE", "DE", "DE", "US"])
    assert rows.tolist() == [True, True, True, True, False, False]
    assert list(e164) == ["+49301234567", "+12125550100", "+49301234567", "+49301234567"]


_FRAME_ROWS = st.fixed_dictionaries({
    "first_name": _NAME_CELLS, "last_name": _NAME_CELLS, "full_name": _FULL_NAMES, "email": _ADDRESSES,
    "website": _WEBSITES, "domain": st.sampled_from(["", None, "acme.de", "n.a"]),
    "phone": st.one_of(_international_cells(), st.sampled_from(_HOSTILE_PHONES)),
    "country": st.sampled_from(["DE", "US", "", "United Kingdom", None, "XX"]),
    "company": st.sampled_from(["Acme GmbH", "", "#N/A"]),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(_FRAME_ROWS, min_size=1, max_size=30), st.booleans())
def test_normalise_frame_is_the_same_with_and_without_the_column_paths(rows: list[dict], shuffled: bool) -> None:
    """normalise_frame puts the paths' columns where the per-value ones were: the whole frame is the same, also
    for a batch whose index is not 0..n-1 (rows filtered or reordered before)."""
    frame = pd.DataFrame(rows)
    if shuffled:
        frame.index = pd.Index(np.random.default_rng(len(rows)).permutation(len(rows)) * 3 + 7)
    columnwise = normalise.normalise_frame(frame)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(normalise, "COLUMN_PATHS_FROM", 10**9)
        per_value = normalise.normalise_frame(frame)
    pd.testing.assert_frame_equal(columnwise, per_value)


def test_small_frames_take_the_per_value_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form post (one row) is not worth Arrow's set-up; from COLUMN_PATHS_FROM rows on it is."""
    monkeypatch.setattr(normalise, "COLUMN_PATHS_FROM", 3)
    two = pd.Series(["+49 30 1234567"] * 2, dtype=object)
    three = pd.Series(["+49 30 1234567"] * 3, dtype=object)
    assert not _phones(two)[0].any()
    assert _phones(three)[0].all()


def test_variants_of_every_example_number_are_read_as_the_library_reads_them() -> None:
    """Ten variants of each example number (last digits changed, a national prefix after the calling code, a digit
    more or fewer, separators): about half valid, half not; the column path's answer is the per-value one."""
    import random

    import phonenumbers

    rng = random.Random(7)
    cells = []
    for number in _EXAMPLES:
        parsed = phonenumbers.parse(number)
        code, nsn = str(parsed.country_code), phonenumbers.national_significant_number(parsed)
        for _ in range(10):
            changed = rng.randint(0, min(6, len(nsn)))
            body = nsn[:len(nsn) - changed] + "".join(rng.choice("0123456789") for _ in range(changed))
            body = rng.choice(["0" + body, body + rng.choice("0123456789"), body[:-1], body, body])
            cells.append(f"+{code}{rng.choice(['', ' ', '-', '.'])}{body}")
    phones = pd.Series(cells, dtype=object)
    rows, e164 = _phones(phones)
    assert list(e164) == [normalise.normalise_phone(p, "") for p in phones[rows]]
    assert rows.mean() > 0.9 and 0.3 < np.mean([bool(x) for x in e164]) < 0.7


def _national_variants(rng, number: str) -> list[tuple[str, str]]:
    """(cell, region) pairs for one example number: written nationally, after the region's international prefix,
    with the calling code first and no "+", each sometimes changed, read in its own region or another."""
    import phonenumbers

    parsed = phonenumbers.parse(number)
    region = phonenumbers.region_code_for_number(parsed) or "US"
    code, nsn = str(parsed.country_code), phonenumbers.national_significant_number(parsed)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    changed = rng.randint(0, min(4, len(nsn)))
    body = nsn[:len(nsn) - changed] + "".join(rng.choice("0123456789") for _ in range(changed))
    cells = [national, "0" + body, body, "00" + code + body, "011" + code + " " + body, code + " " + body,
             code + "0" + body, "(" + body[:3] + ") " + body[3:], body + rng.choice("0123456789"), body[:-1]]
    regions = [region, region, region, rng.choice(["DE", "US", "GB", "FR", "IT", "CA", "RU", "XX", "AR", region])]
    return [(c, rng.choice(regions)) for c in cells]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_EXAMPLES), st.randoms(use_true_random=False)), min_size=1, max_size=8))
def test_national_phones_are_the_per_value_normaliser(drawn: list) -> None:
    cells = [pair for number, rng in drawn for pair in _national_variants(rng, number)]
    phones = pd.Series([c for c, _ in cells], dtype=object)
    rows, e164 = _phones(phones, [r for _, r in cells])
    decided = [cells[i] for i in range(len(cells)) if rows[i]]
    assert list(e164) == [normalise.normalise_phone(c, r) for c, r in decided]


def test_variants_of_every_example_number_read_in_a_region_as_the_library_reads_them() -> None:
    """Every example number written nationally (and with the international prefix, with the calling code first,
    changed digits), read in its region or another: the column path's answer is the per-value one."""
    import random

    rng = random.Random(11)
    cells = [pair for number in _EXAMPLES for pair in _national_variants(rng, number)]
    phones = pd.Series([c for c, _ in cells], dtype=object)
    rows, e164 = _phones(phones, [r for _, r in cells])
    decided = [cells[i] for i in range(len(cells)) if rows[i]]
    assert list(e164) == [normalise.normalise_phone(c, r) for c, r in decided]
    assert rows.mean() > 0.8 and 0.2 < np.mean([bool(x) for x in e164]) < 0.8


def test_no_placeholder_looks_like_a_plain_number() -> None:
    """The phone paths do not ask whether a cell is a placeholder: none has the shape they take."""
    import pyarrow as pa

    from enrichment.phone_columns import international_phones, national_phones

    spellings = pa.array(sorted(TEXT_PLACEHOLDERS), type=pa.large_string())
    assert len(international_phones(spellings)[0]) == 0
    assert len(national_phones(spellings, pa.array(["DE"] * len(spellings), type=pa.large_string()))[0]) == 0


# --- registrable domains and mail lists of plain names

def _psl_names() -> list[str]:
    """Plain names made from every rule of the Public Suffix List as tldextract holds it (private rules included):
    the rule, one and two labels more; under a wildcard rule, a label for the "*" and one more; each exception."""
    import re

    sets = normalise._suffix_sets()
    names = set()
    for rule in sets.nodes.to_pylist():
        names |= {rule, f"acme.{rule}", f"www.acme.{rule}"}
    for rule in sets.wildcards.to_pylist():
        names |= {f"x1.{rule}", f"acme.x1.{rule}", f"www.acme.x1.{rule}"}
    for rule in sets.exceptions.to_pylist():
        names |= {rule, f"acme.{rule}"}
    plain = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")
    return sorted(n for n in names if plain.fullmatch(n) and "xn--" not in n)


_PSL_NAMES = _psl_names()


def test_registrable_domains_are_tldextracts_on_every_rule_of_the_list() -> None:
    import pyarrow as pa

    from enrichment.domain_columns import MAX_LABELS, registrable_domains

    names = [n for n in _PSL_NAMES if n.count(".") < MAX_LABELS]
    got = registrable_domains(pa.array(names, type=pa.large_string()), normalise._suffix_sets()).to_pylist()
    assert got == [normalise._plain_registrable(n.split(".")) for n in names]
    assert len(names) > 10_000 and sum(map(bool, got)) > len(names) / 2


_DOMAIN_NAMES = st.one_of(
    st.sampled_from(_PSL_NAMES),
    st.builds(".".join, st.lists(st.sampled_from(["acme", "ACME", "co", "uk", "com", "de", "gmail", "mailinator",
                                                  "eu", "github", "io", "blogspot", "ck", "www", "kawasaki", "jp",
                                                  "city", "a-b", "ab--c", "xn--p1ai", "test", "local", "9"]),
                                 min_size=1, max_size=9)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DOMAIN_NAMES, min_size=1, max_size=40, unique=True))
def test_address_domains_are_the_per_value_answers(domains: list[str]) -> None:
    import pyarrow as pa

    got = normalise._address_domains(pa.array(domains, type=pa.large_string()))
    expected = [normalise._plain_address_domain(d) for d in domains]
    for i, column in enumerate(got):
        assert column.to_pylist() == [e[i] for e in expected], i


@settings(max_examples=300, deadline=None)
@given(st.lists(_DOMAIN_NAMES.map(str.lower), min_size=1, max_size=40, unique=True))
def test_site_domains_are_the_per_value_answers(hosts: list[str]) -> None:
    import pyarrow as pa

    hosts = [h for h in hosts if "xn--" not in h]  # plain_hosts leaves Punycode to the library
    got = normalise._site_domains(pa.array(hosts, type=pa.large_string()))
    assert got[0].to_pylist() == [normalise._plain_site_domain(h)[0] for h in hosts]


def test_address_and_site_domains_of_the_whole_list() -> None:
    """Every name made from the list, as a mail domain (and in capitals) and as a website host."""
    import pyarrow as pa

    domains = _PSL_NAMES + [n.upper() for n in _PSL_NAMES[::7]]
    got = normalise._address_domains(pa.array(domains, type=pa.large_string()))
    expected = [normalise._plain_address_domain(d) for d in domains]
    for i, column in enumerate(got):
        assert column.to_pylist() == [e[i] for e in expected], i
    sites = normalise._site_domains(pa.array(_PSL_NAMES, type=pa.large_string()))
    assert sites[0].to_pylist() == [normalise._plain_site_domain(h)[0] for h in _PSL_NAMES]


def test_names_of_the_common_shapes_take_the_column_path() -> None:
    first = pd.Series(["anna", "", None, "", "ANNA"], dtype=object)
    last = pd.Series(["lee", "", None, "", ""], dtype=object)
    full = pd.Series(["", "Anna Lee", "", "Dr. Anna Lee", "Anna Lee"], dtype=object)
    job = normalise._name_columns(normalise.SERIAL, first, last, full)
    # both parts; two plain words; nothing at all. Not: a title in the full name, one part given
    assert sorted(job.fast_rows.tolist()) == [0, 1, 2] and job.slow_rows.tolist() == [3, 4]


def test_plain_mail_domains_are_answered_column_wise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only names on a mail or special-use list, or not plain, are answered one by one."""
    import pyarrow as pa

    asked: list[str] = []
    one_by_one = normalise._plain_address_domain
    monkeypatch.setattr(normalise, "_plain_address_domain", lambda d: asked.append(d) or one_by_one(d))
    got = normalise._address_domains(pa.array(["acme.de", "ACME.CO.UK", "gmail.com", "x.test", "a..b"],
                                              type=pa.large_string()))
    assert asked == ["gmail.com", "x.test", "a..b"]
    assert got[5].to_pylist() == ["acme.de", "acme.co.uk", "", "", ""]


def test_a_worker_empties_its_value_caches_but_keeps_its_tables() -> None:
    normalise.company_key("Acme GmbH")
    normalise.mail_provider_kind("acme.de")
    assert normalise.company_key_text.cache_info().currsize and normalise._free_domains.cache_info().currsize
    normalise.clear_value_caches()
    assert normalise.company_key_text.cache_info().currsize == 0
    assert normalise.mail_provider_kind.cache_info().currsize == 0
    assert normalise._free_domains.cache_info().currsize == 1  # a lookup table, built once
    assert normalise._inert_word.cache_info().currsize  # answers per word: every part meets the words again

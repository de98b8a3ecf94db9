"""Name, company and phone pools per country: the only place Faker and libphonenumber run.

They are slow per call, so each country's pool is built once per seed (and cached) and the generator samples
from it; a phone book hands out distinct valid numbers from a hundred templates per country.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from faker import Faker

from leadpipe.demo.reference import COUNTRIES, Country

# Legal forms Faker appends; stripped so each company gets one of its own country's forms instead.
_FAKER_LEGAL = re.compile(
    r"[\s,]+(?:GmbH & Co\. KGaA|GmbH & Co\. KG|GmbH & Co\. OHG|AG & Co\. KGaA|AG & Co\. KG|AG & Co\. OHG|"
    r"Stiftung & Co\. KGaA|Stiftung & Co\. KG|OHG mbH|GmbH|AG|KGaA|KG|OHG|OG|GbR|GesbR|e\.V\.|e\.G\.|"
    r"Inc|LLC|PLC|Ltd|SA|S\.A\.|SARL|S\.A\.R\.L\.|S\.A\.S\.|BV|NV|S\.A\.D|S\.A\.T\.|S\.A\.U|S\.C\.P|"
    r"S\.Com\.|S\.Coop\.|S\.L\.|S\.L\.L\.|S\.L\.N\.E|S\.L\.U\.)$"
)

_NAME_POOL = 1000
_COMPANY_POOL = 1500
_PHONE_TEMPLATES = 100
_PHONE_TAIL = 4  # digits replaced per number: 100 templates x 10,000 tails per country


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    intl: str
    national: str


@dataclass(frozen=True)
class Pool:
    country: Country
    male: tuple[str, ...]
    female: tuple[str, ...]
    last: tuple[str, ...]
    phones: tuple[Phone, ...]
    companies: tuple[str, ...]  # Faker company names with Faker's legal form stripped


def _clean_name(name: str) -> bool:
    """Faker has a few abbreviated or inverted entries ("Hans-J.", "Bourgondië, van") no form would hold."""
    return "." not in name and "," not in name


@cache
def build_pool(code: str, seed: int) -> Pool:
    """Cached per (country, seed): pools are immutable, and repeated runs (tests, CLI) skip Faker."""
    country = COUNTRIES[code]
    fake = Faker(country.locale)
    fake.seed_instance(seed)
    # Drawing with repetition keeps Faker's frequency weights (many Michaels, few Zenons).
    male = tuple(n for n in (fake.first_name_male() for _ in range(_NAME_POOL)) if _clean_name(n))
    female = tuple(n for n in (fake.first_name_female() for _ in range(_NAME_POOL)) if _clean_name(n))
    last = tuple(n for n in (fake.last_name() for _ in range(2 * _NAME_POOL)) if _clean_name(n))
    companies = tuple(_strip_faker_legal(fake.company()) for _ in range(_COMPANY_POOL))
    return Pool(country, male, female, last, _phone_templates(fake, code, seed), companies)


def _strip_faker_legal(name: str) -> str:
    while (stripped := _FAKER_LEGAL.sub("", name)) != name:
        name = stripped
    return name


def _phone_templates(fake: Faker, region: str, seed: int) -> tuple[Phone, ...]:
    """Valid numbers from Faker whose last digits can be replaced freely without losing validity."""
    rng = random.Random(f"{region}-{seed}")
    out: list[Phone] = []
    heads: set[int] = set()
    for _ in range(50 * _PHONE_TEMPLATES):
        if len(out) >= _PHONE_TEMPLATES:
            break
        try:
            num = phonenumbers.parse(fake.phone_number(), region)
        except phonenumbers.NumberParseException:
            continue
        head = num.national_number // 10**_PHONE_TAIL
        # Faker's locales emit the odd foreign number (+64 from nl_NL): keep only the country's own.
        if num.extension or head in heads or not phonenumbers.is_valid_number_for_region(num, region):
            continue
        tails = (0, 10**_PHONE_TAIL - 1, rng.randrange(10**_PHONE_TAIL))
        if all(_valid_with_tail(num, head, t, region) for t in tails):
            heads.add(head)
            out.append(_format(num))
    if not out:
        raise RuntimeError(f"no valid phone templates for {region}")
    return tuple(out)


def _valid_with_tail(num: phonenumbers.PhoneNumber, head: int, tail: int, region: str) -> bool:
    probe = phonenumbers.PhoneNumber(country_code=num.country_code, national_number=head * 10**_PHONE_TAIL + tail)
    return phonenumbers.is_valid_number_for_region(probe, region)


def _format(num: phonenumbers.PhoneNumber) -> Phone:
    fmt = phonenumbers.PhoneNumberFormat
    return Phone(
        phonenumbers.format_number(num, fmt.E164),
        phonenumbers.format_number(num, fmt.INTERNATIONAL),
        phonenumbers.format_number(num, fmt.NATIONAL),
    )


@dataclass(frozen=True, slots=True)
class _PhoneTemplate:
    """A valid number in three spellings, its last digits replaced by str.format slots."""

    e164: str
    intl: str
    national: str

    @classmethod
    def of(cls, phone: Phone) -> _PhoneTemplate:
        return cls(_tail_slots(phone.e164), _tail_slots(phone.intl), _tail_slots(phone.national))

    def fill(self, tail: str) -> Phone:
        return Phone(self.e164.format(*tail), self.intl.format(*tail), self.national.format(*tail))


def _tail_slots(text: str) -> str:
    """'+49 30 1234567' -> '+49 30 123{0}{1}{2}{3}': the last digits become slots, separators stay."""
    chars = list(text)
    slot = _PHONE_TAIL - 1
    for pos in range(len(chars) - 1, -1, -1):
        if slot < 0:
            break
        if chars[pos].isdigit():
            chars[pos] = f"{{{slot}}}"
            slot -= 1
    return "".join(chars)


class PhoneBook:
    """Hands out distinct valid numbers per country: a pool template plus a random tail."""

    def __init__(self, rng: random.Random, pools: dict[str, Pool]) -> None:
        self.rng = rng
        self.templates = {code: [_PhoneTemplate.of(p) for p in pool.phones] for code, pool in pools.items()}
        self.used: set[tuple[str, int, int]] = set()

    def new(self, country: str) -> Phone:
        templates = self.templates[country]
        key = (country, 0, 0)
        for _ in range(50):  # collisions are rare in a space of a million numbers per country
            key = (country, self.rng.randrange(len(templates)), self.rng.randrange(10**_PHONE_TAIL))
            if key not in self.used:
                break
        self.used.add(key)
        return templates[key[1]].fill(f"{key[2]:0{_PHONE_TAIL}d}")

"""Planned copies turned into CSV cells the way each source writes them: the Apollo and ZoomInfo vendor
exports and the web-form export (typed names, websites, consent, submission times).
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from leadpipe.demo.companies import Company, annual_revenue, revenue_range
from leadpipe.demo.plan import JUNK, Copy, default_phone_format
from leadpipe.demo.pools import Phone
from leadpipe.demo.reference import COUNTRIES, INDUSTRIES, NICKNAMES, US_STATE_CODES, Weighted

T = TypeVar("T")

# How the same legal form gets written elsewhere ("GmbH" vs "Gmbh"), for company-name variants.
_LEGAL_ALIASES: dict[str, tuple[str, ...]] = {
    "Inc.": ("Inc", "Incorporated"), "LLC": ("L.L.C.", "Llc"), "Corp.": ("Corporation", "Corp"),
    "Co.": ("Company",), "Ltd": ("Ltd.", "Limited", "LTD"), "Limited": ("Ltd",), "PLC": ("plc",),
    "LLP": ("L.L.P.",), "GmbH": ("Gmbh", "GMBH", "G.m.b.H."), "AG": ("A.G.",),
    "GmbH & Co. KG": ("GmbH & Co KG", "GmbH u. Co. KG"), "KG": ("K.G.",), "SE": ("S.E.",),
    "SAS": ("S.A.S.", "S.A.S"), "SARL": ("S.A.R.L.", "Sàrl"), "SA": ("S.A.",), "SASU": ("S.A.S.U.",),
    "B.V.": ("BV", "B.V"), "N.V.": ("NV",), "S.L.": ("SL", "S.L"), "S.A.": ("SA",), "OG": ("O.G.",),
}

# ZoomInfo spells out what Apollo abbreviates.
_ZOOMINFO_TITLES: dict[str, str] = {
    "VP of Sales": "Vice President, Sales", "VP of Marketing": "Vice President, Marketing",
    "VP Engineering": "Vice President of Engineering", "CEO": "Chief Executive Officer",
    "CFO": "Chief Financial Officer", "CTO": "Chief Technology Officer", "COO": "Chief Operating Officer",
    "CMO": "Chief Marketing Officer", "Head of IT": "Head of Information Technology",
    "Founder & CEO": "Founder and Chief Executive Officer", "HR Manager": "Human Resources Manager",
    "Sales Development Representative": "Sales Development Rep",
}

_FORMS = Weighted([
    ("contact-us", 25), ("demo-request", 25), ("whitepaper-lead-scoring", 20), ("webinar-2025-05", 15),
    ("newsletter-signup", 15),
])
_CONSENT_RATE = {"contact-us": 0.4, "demo-request": 0.5, "whitepaper-lead-scoring": 0.6, "webinar-2025-05": 0.55,
                 "newsletter-signup": 1.0}
_FORM_WINDOW_START = datetime(2025, 1, 6, tzinfo=UTC)
_FORM_WINDOW_DAYS = 176

_KEYBOARD_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad",
    "t": "rz", "u": "zi", "v": "cb", "w": "qe", "x": "yc", "y": "tu", "z": "tu",
}


def _cycle(options: Sequence[T], index: int) -> T:
    return options[index % len(options)]


def _typo(name: str, rng: random.Random) -> str:
    """One-character edit (substitute, delete or double a letter), never the first letter."""
    positions = [i for i, ch in enumerate(name) if i > 0 and ch.isalpha()]
    if len(name) < 4 or not positions:
        return name + name[-1]
    i = rng.choice(positions)
    ch = name[i]
    r = rng.random()
    if r < 0.4:
        repl = rng.choice(_KEYBOARD_NEIGHBOURS.get(ch.lower(), "aeiou".replace(ch.lower(), "")))
        return name[:i] + (repl.upper() if ch.isupper() else repl) + name[i + 1:]
    if r < 0.7:
        return name[:i] + name[i + 1:]
    return name[:i] + ch + name[i:]


def _names(copy: Copy, rng: random.Random) -> tuple[str, str]:
    p = copy.person
    if copy.bad == "empty_name":
        return "", ""
    if copy.bad == "placeholder":
        return _cycle((("Test", "Test"), ("asdf", "asdf"), ("Test", "Test"), ("Max", "Mustermann")), copy.bad_index)
    first, last = p.first, p.last
    if "nickname" in copy.variants and first in NICKNAMES:
        first = rng.choice(NICKNAMES[first])
    if "typo" in copy.variants:
        if len(last) >= 4 and (len(first) < 4 or rng.random() < 0.5):
            last = _typo(last, rng)
        else:
            first = _typo(first, rng)
    return first, last


def _full_name(copy: Copy, first: str, last: str, rng: random.Random) -> str:
    """How people type their name into a form: mostly 'First Last', sometimes not."""
    if not first and not last:
        return ""
    if "swapped" in copy.variants:
        if copy.person.company.country == "FR" and rng.random() < 0.5:
            return f"{last.upper()} {first}"  # French convention: NOM Prénom
        return f"{last}, {first}" if rng.random() < 0.3 else f"{last} {first}"
    full = f"{first} {last}"
    return full.lower() if rng.random() < 0.04 else full


def _email(copy: Copy, rng: random.Random) -> str:
    p = copy.person
    if copy.bad == "email_na":
        return _cycle(("n/a", "N/A", "-", "n/a", "none"), copy.bad_index)
    if copy.bad == "test_email":
        return _cycle(("test@test", "test@test.com", "asdf@asdf.de", "noemail@none"), copy.bad_index)
    if copy.bad == "placeholder":
        return _cycle(("test@test.com", "test@example.com", ""), copy.bad_index)
    if copy.email_kind == "none":
        return ""
    if copy.email_kind == "free":
        email = p.free_email
    elif copy.email_kind == "role":
        email = f"{rng.choice(COUNTRIES[p.company.country].role_locals)}@{p.company.domain}"
    else:
        email = p.work_email
    return _recase_email(email, rng) if "email_case" in copy.variants else email


def _recase_email(email: str, rng: random.Random) -> str:
    """john.smith@acme.com -> John.Smith@Acme.com (or all caps): same mailbox, different string."""
    if rng.random() < 0.25:
        return email.upper()
    local, domain = email.split("@", 1)
    local = re.sub(r"(^|[._-])([a-z])", lambda m: m.group(1) + m.group(2).upper(), local)
    return f"{local}@{domain[:1].upper()}{domain[1:]}"


def _company_variant(c: Company, rng: random.Random) -> str:
    """The same company written differently: 'Acme GmbH' -> 'ACME', 'Acme', 'acme gmbh', 'Acme Gmbh'."""
    options = [c.core, c.core.upper(), c.name.lower(), c.name.upper()]
    options += [f"{c.core} {alias}" for alias in _LEGAL_ALIASES.get(c.legal, ())]
    if " and " in c.core:
        options.append(f"{c.core.replace(' and ', ' & ')} {c.legal}")
    if "," in c.core:
        options.append(f"{c.core.replace(',', '')} {c.legal}")
    options = [o for o in options if o != c.name]
    return rng.choice(options)


def _company(copy: Copy, rng: random.Random) -> str:
    c = copy.person.company
    if copy.bad == "placeholder":
        return rng.choice(("Test", "test GmbH", "-", ""))
    if "company" in copy.variants:
        return _company_variant(c, rng)
    if copy.file == "apollo" and c.apollo_drops_legal:
        return c.core
    if copy.file == "web":  # typed by hand
        r = rng.random()
        return c.core if r < 0.2 else c.name.lower() if r < 0.25 else c.name
    return c.name


def _phone(copy: Copy, rng: random.Random, usual_rate: float) -> str:
    p = copy.person
    if copy.bad in JUNK or p.phone is None:
        return ""
    show = copy.show_phone if copy.show_phone is not None else rng.random() < usual_rate
    if not show:
        return ""
    fmt = copy.phone_format or default_phone_format(rng, copy.file, p.company.country)
    return _format_phone(p.phone, fmt)


def _format_phone(phone: Phone, fmt: str) -> str:
    if fmt == "intl":
        return phone.intl
    if fmt == "e164":
        return phone.e164
    if fmt == "digits":
        return re.sub(r"\D", "", phone.national)
    if fmt == "idd":
        return "00" + phone.intl[1:]
    return phone.national


def _apollo_row(copy: Copy, rng: random.Random) -> list[str]:
    p, c = copy.person, copy.person.company
    first, last = _names(copy, rng)
    if "swapped" in copy.variants:
        first, last = last, first
    phone = "" if copy.bad in JUNK or rng.random() < 0.15 else c.phone.intl  # company switchboard
    employees = "" if rng.random() < 0.05 else str(c.employees)
    row = [first, last, p.title, _company(copy, rng), _email(copy, rng), phone, f"http://www.{c.domain}",
           p.city.name, p.city.state, COUNTRIES[c.country].name, employees, INDUSTRIES[c.industry],
           str(annual_revenue(c)) if employees else ""]
    return _blank_placeholder(copy, row, keep=(0, 1, 3, 4, 9))


def _zoominfo_row(copy: Copy, rng: random.Random) -> list[str]:
    p, c = copy.person, copy.person.company
    first, last = _names(copy, rng)
    if "swapped" in copy.variants:
        first, last = last, first
    title = p.title
    if title in _ZOOMINFO_TITLES and rng.random() < 0.35:
        title = _ZOOMINFO_TITLES[title]
    state = US_STATE_CODES.get(p.city.state, p.city.state) if c.country == "US" else p.city.state
    employees = "" if rng.random() < 0.03 else str(c.employees_zoominfo)
    row = [first, last, title, _company(copy, rng), _email(copy, rng), _phone(copy, rng, 0.7),
           f"www.{c.domain}", p.city.english, state, COUNTRIES[c.country].name, employees, c.industry,
           revenue_range(annual_revenue(c)) if employees else "",
           "" if zlib.crc32(p.pid.encode()) % 10 == 0 else p.postcode]  # no rng draw: the stream stays
    return _blank_placeholder(copy, row, keep=(0, 1, 3, 4, 9))


def _blank_placeholder(copy: Copy, row: list[str], keep: tuple[int, ...]) -> list[str]:
    """A 'Test Test' row carries nothing but its junk name, email, company and country."""
    if copy.bad != "placeholder":
        return row
    return [cell if i in keep else "" for i, cell in enumerate(row)]


def _web_row(copy: Copy, rng: random.Random) -> list[str]:
    p, c = copy.person, copy.person.company
    form = _FORMS.pick(rng)
    if copy.showcase and form == "newsletter-signup":
        form = "contact-us"  # the newsletter form asks for an email only; showcases need the other fields
    first, last = _names(copy, rng)
    newsletter = form == "newsletter-signup"
    consent = "yes" if rng.random() < _CONSENT_RATE[form] else "no"
    title = "" if newsletter or rng.random() < 0.3 else p.title
    phone = "" if newsletter else _phone(copy, rng, 0.5)
    if copy.bad == "placeholder" and rng.random() < 0.5:
        phone = rng.choice(("123456789", "0000000", "0123456789"))
    return [_submitted_at(rng), _full_name(copy, first, last, rng), _email(copy, rng),
            "" if newsletter else _company(copy, rng), phone, title, c.country,
            "" if newsletter else _typed_website(c.domain, rng), consent, form]


def _submitted_at(rng: random.Random) -> str:
    """ISO 8601 UTC, mostly in European/US working hours."""
    day = _FORM_WINDOW_START + timedelta(days=rng.randrange(_FORM_WINDOW_DAYS))
    hour = rng.choice((7, 8, 9, 9, 10, 10, 11, 12, 13, 13, 14, 14, 15, 15, 16, 17, 18, 19, 20, 21, 22, 23))
    moment = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _typed_website(domain: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return ""
    return rng.choice((domain, f"www.{domain}", f"https://www.{domain}/", f"https://{domain}", f"http://{domain}"))


def render_rows(rng: random.Random, copies: list[Copy]) -> dict[str, list[tuple[str, list[str]]]]:
    """Rows per file as (person id, cells), in the order the files will hold them."""
    out: dict[str, list[tuple[str, list[str]]]] = {"apollo": [], "zoominfo": [], "web": []}
    render = {"apollo": _apollo_row, "zoominfo": _zoominfo_row, "web": _web_row}
    for copy in copies:
        out[copy.file].append((copy.person.pid, render[copy.file](copy, rng)))
    rng.shuffle(out["apollo"])  # so duplicates are not neighbours
    rng.shuffle(out["zoominfo"])
    out["web"].sort(key=lambda r: (r[1][0], r[0]))  # a form export is in submission order
    return out

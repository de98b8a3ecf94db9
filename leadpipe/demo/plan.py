"""Which person appears in which file, and with which deliberate differences (typos, nicknames, swapped
names, company spellings, phone formats, missing or private emails), plus the ~2% junk rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from leadpipe.demo.companies import Company
from leadpipe.demo.people import Person
from leadpipe.demo.pools import Pool
from leadpipe.demo.reference import COUNTRIES, NICKNAMES, NICKNAMES_BY_LANG, Weighted

DUPLICATE_SHARE = 0.30  # share of true people planted in more than one row
BAD_ROW_SHARE = 0.02  # junk / broken rows, as a share of all rows

# Variants a duplicate copy can carry, and the file pair used when a variant is showcased on purpose.
_SHOWCASE_FILES: dict[str, tuple[str, str]] = {
    "email_case": ("apollo", "zoominfo"),
    "nickname": ("apollo", "web"),
    "typo": ("zoominfo", "web"),
    "swapped": ("web", "zoominfo"),
    "company": ("zoominfo", "apollo"),
    "phone_format": ("zoominfo", "web"),
    "missing_email": ("web", "apollo"),
    "free_mail": ("apollo", "web"),
}
_RANDOM_VARIANTS = Weighted([
    ("typo", 18), ("nickname", 14), ("swapped", 6), ("company", 20), ("email_case", 12), ("missing_email", 10),
    ("free_mail", 8), ("phone_format", 12),
])
_SINGLE_FILE = Weighted([("apollo", 40), ("zoominfo", 35), ("web", 25)])
_PHONE_FORMATS_WEB = Weighted([("national", 40), ("intl", 30), ("e164", 10), ("digits", 12), ("idd", 8)])


@dataclass(slots=True)
class Copy:
    """One row to be written: a person as one file shows them."""

    person: Person
    file: str
    email_kind: str = "work"  # work | free | role | none
    variants: tuple[str, ...] = ()
    phone_format: str = ""  # "" = the file's usual format
    show_phone: bool | None = None  # None = the file's usual rate
    showcase: bool = False
    bad: str = ""  # email_na | empty_name on real rows; test_email | placeholder on junk rows of nobody real
    bad_index: int = 0  # nth bad row of its kind: cycles through the spellings, so small runs have each one


JUNK = ("test_email", "placeholder")


def _default_email_kind(rng: random.Random, file: str) -> str:
    r = rng.random()
    if r < 0.015:
        return "role"
    if file == "web":
        return "free" if r < 0.25 else "work"  # forms require an email; many people use a private one
    return "none" if r < 0.05 else "work"  # vendors leave unverified emails blank


def plan_copies(rng: random.Random, people: list[Person], pools: dict[str, Pool]) -> list[Copy]:
    n_multi = round(len(people) * DUPLICATE_SHARE)
    multi = rng.sample(range(len(people)), n_multi)
    in_multi = set(multi)
    copies = []
    for i, p in enumerate(people):
        if i not in in_multi:
            file = _SINGLE_FILE.pick(rng)
            if p.locked and file == "web":
                file = "zoominfo"  # lookalikes go where a matcher meets them with clean fields: a vendor list
            copies.append(Copy(p, file, _default_email_kind(rng, file)))
    # The first unlocked multi people showcase each variant twice, so small demos contain all of them.
    showcase = [k for k in _SHOWCASE_FILES for _ in range(2)]
    for i in multi:
        p = people[i]
        forced = showcase.pop(0) if showcase and not p.locked else None
        copies.extend(_multi_copies(rng, p, forced, pools))
    return copies


def _multi_copies(rng: random.Random, p: Person, forced: str | None, pools: dict[str, Pool]) -> list[Copy]:
    files = _SHOWCASE_FILES[forced] if forced else _duplicate_files(rng)
    if p.locked:
        files = _vendor_first(files)
    copies = [Copy(p, f, _default_email_kind(rng, f), showcase=forced is not None) for f in files]
    first = copies[0]
    for copy in copies[1:]:
        if forced:
            _apply_variant(rng, copy, first, forced, pools, force=True)
            continue
        r = rng.random()
        n_variants = 0 if r < 0.2 else 1 if r < 0.75 else 2
        for _ in range(n_variants):
            _apply_variant(rng, copy, first, _RANDOM_VARIANTS.pick(rng), pools, force=False)
    return copies


def _duplicate_files(rng: random.Random) -> tuple[str, ...]:
    files = ["apollo", "zoominfo", "web"]
    rng.shuffle(files)
    r = rng.random()
    if r < 0.25:
        return tuple(files)
    if r < 0.40:  # same list twice: a re-submitted form or a vendor's own duplicate
        return (files[0], files[0])
    return tuple(files[:2])


def _vendor_first(files: tuple[str, ...]) -> tuple[str, ...]:
    """Lookalikes keep one clean vendor row (the first copy never carries variants), so the trap is real."""
    ordered = tuple(sorted(files, key=lambda f: f == "web"))
    return ordered if ordered[0] != "web" else ("zoominfo", *ordered[1:])


def _apply_variant(rng: random.Random, copy: Copy, first: Copy, kind: str, pools: dict[str, Pool],
                   force: bool) -> None:
    """Give `copy` one deliberate difference from `first`, if it makes sense for these two rows."""
    if kind in copy.variants:
        return
    p = copy.person
    if kind == "nickname" and p.first not in NICKNAMES:
        if not force or p.locked:
            return
        _rename_to_formal(rng, p, pools)
    elif kind == "email_case":
        if copy.email_kind != "work" and not force:
            return
        copy.email_kind = first.email_kind = "work"
    elif kind == "missing_email":
        if copy.file == "web":  # the form requires an email
            return
        copy.email_kind = "none"
        if first.email_kind == "none":
            first.email_kind = "work"
    elif kind == "free_mail":
        copy.email_kind = "free"
        if first.email_kind != "work":
            first.email_kind = "work"
    elif kind == "phone_format":
        if {copy.file, first.file} - {"zoominfo", "web"}:
            return  # Apollo shows the switchboard, not the person's own number
        first.show_phone = copy.show_phone = True
        first.phone_format = first.phone_format or default_phone_format(rng, first.file, p.company.country)
        copy.phone_format = _other_phone_format(rng, first.phone_format, p.company.country)
    copy.variants += (kind,)


def _rename_to_formal(rng: random.Random, p: Person, pools: dict[str, Pool]) -> None:
    """Showcase only: give the person a first name that has a well-known nickname in their language."""
    table = NICKNAMES_BY_LANG[COUNTRIES[p.company.country].lang]
    names = [name for name, (gender, _) in table.items() if gender == p.gender] or list(table)
    p.first = rng.choice(names)
    p.gender = table[p.first][0]


def default_phone_format(rng: random.Random, file: str, country: str) -> str:
    if file == "apollo":
        return "intl"
    if file == "zoominfo":
        return "national" if country == "US" else "intl"
    fmt = _PHONE_FORMATS_WEB.pick(rng)
    return "intl" if fmt == "idd" and country == "US" else fmt  # 00-dialling is not a thing from the US


def _other_phone_format(rng: random.Random, current: str, country: str) -> str:
    options = [f for f in ("national", "intl", "e164", "digits", "idd")
               if f != current and not (f == "idd" and country == "US")]
    return rng.choice(options)


def plant_bad_rows(rng: random.Random, copies: list[Copy], pools: dict[str, Pool],
                    companies: list[Company]) -> list[Copy]:
    """About 2% junk: 'n/a' emails and empty names on real rows, plus test/placeholder rows of nobody real."""
    n_bad = max(4, round(len(copies) * BAD_ROW_SHARE))
    kinds = ["email_na", "test_email", "empty_name", "placeholder"]
    plain = [c for c in copies
             if not c.showcase and not c.variants and not c.person.locked and c.email_kind == "work"]
    targets = rng.sample(plain, min(len(plain), n_bad))
    junk: list[Copy] = []
    for i in range(n_bad):
        kind, index = kinds[i % len(kinds)], i // len(kinds)
        if kind in ("email_na", "empty_name"):
            if targets:
                target = targets.pop()
                target.bad, target.bad_index = kind, index
            continue
        company = rng.choice(companies)
        pool = pools[company.country]
        gender = rng.choice("mf")
        person = Person(f"X{len(junk) + 1:06d}", company, gender,
                         rng.choice(pool.male if gender == "m" else pool.female), rng.choice(pool.last),
                         company.city, title="")
        junk.append(Copy(person, rng.choice(("apollo", "zoominfo", "web", "web")), "none", bad=kind, bad_index=index))
    return copies + junk

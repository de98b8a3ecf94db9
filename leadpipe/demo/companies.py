"""The demo's companies: core names, legal forms, domains, head counts and revenue as the vendors report
them (and disagree about them).
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from leadpipe.demo.pools import Phone, PhoneBook, Pool
from leadpipe.demo.reference import COUNTRIES, City, Weighted

_INDUSTRY_WEIGHTS = Weighted([
    ("Software", 20), ("Financial Services", 10), ("Manufacturing", 15), ("Retail", 10), ("Healthcare", 10),
    ("Logistics", 8), ("Marketing & Advertising", 6), ("Consulting", 8), ("Telecommunications", 4),
    ("Construction", 6), ("Education", 3),
])

# Optional word after a company's core name ("Weber Logistik GmbH"), by industry and language.
_SECTOR_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "Software": {"en": ("Software", "Systems", "Technologies", "Labs", "Digital"),
                 "de": ("Software", "Systemhaus", "IT-Services"), "fr": ("Informatique", "Technologies"),
                 "es": ("Sistemas", "Tecnología"), "nl": ("Software", "ICT", "Digital")},
    "Financial Services": {"en": ("Capital", "Financial", "Partners"), "de": ("Finanz", "Capital"),
                           "fr": ("Finance", "Gestion"), "es": ("Finanzas", "Inversiones"),
                           "nl": ("Vermogensbeheer", "Capital")},
    "Manufacturing": {"en": ("Manufacturing", "Industries", "Engineering"),
                      "de": ("Maschinenbau", "Werke", "Metallbau", "Technik"), "fr": ("Industrie", "Mécanique"),
                      "es": ("Industrias", "Fabricación"), "nl": ("Machinebouw", "Industrie")},
    "Retail": {"en": ("Retail", "Stores", "Brands"), "de": ("Handel", "Handelsgesellschaft"),
               "fr": ("Distribution", "Commerce"), "es": ("Distribución", "Comercial"), "nl": ("Retail", "Handel")},
    "Healthcare": {"en": ("Health", "Medical", "Care"), "de": ("Medizintechnik", "Pflege"),
                   "fr": ("Santé", "Médical"), "es": ("Salud", "Médica"), "nl": ("Zorg", "Medisch")},
    "Logistics": {"en": ("Logistics", "Freight", "Transport"), "de": ("Logistik", "Spedition"),
                  "fr": ("Logistique", "Transports"), "es": ("Logística", "Transportes"),
                  "nl": ("Logistiek", "Transport")},
    "Marketing & Advertising": {"en": ("Media", "Creative"), "de": ("Werbeagentur", "Kommunikation"),
                                "fr": ("Communication", "Média"), "es": ("Comunicación", "Publicidad"),
                                "nl": ("Reclamebureau", "Media")},
    "Consulting": {"en": ("Consulting", "Advisory"), "de": ("Beratung", "Consulting"),
                   "fr": ("Conseil", "Consulting"), "es": ("Consultores", "Asesores"),
                   "nl": ("Advies", "Consultancy")},
    "Telecommunications": {"en": ("Telecom", "Networks"), "de": ("Telekom", "Netze"),
                           "fr": ("Télécom", "Réseaux"), "es": ("Telecomunicaciones", "Redes"),
                           "nl": ("Telecom", "Netwerken")},
    "Construction": {"en": ("Construction", "Builders"), "de": ("Bau", "Bauunternehmung"),
                     "fr": ("Construction", "Bâtiment"), "es": ("Construcciones", "Obras"),
                     "nl": ("Bouw", "Aannemers")},
    "Education": {"en": ("Learning", "Academy"), "de": ("Akademie", "Bildung"), "fr": ("Formation", "Académie"),
                  "es": ("Formación", "Academia"), "nl": ("Opleidingen", "Academie")},
}

# Invented brand names ("Novatek", "Bluecore") for the tech-style part of the company pool.
_BRAND_HEADS = ("Nova", "Blue", "Terra", "Vertex", "Helio", "Omni", "Quant", "Sky", "Alpen", "Nord", "Iber",
                "Lumen", "Astra", "Cobalt", "Pixel", "Delta", "Orbi", "Zeno", "Kappa", "Silver", "Green", "Apex",
                "Flux", "Prism", "Sol", "Aqua", "Hexa", "Neo", "Opti", "Vita")
_BRAND_TAILS = ("tek", "ware", "logic", "soft", "link", "data", "works", "flow", "scale", "core", "sys", "net",
                "gen", "bit", "matic", "lab", "wise", "tron", "point", "vista")

_EMPLOYEE_BANDS = Weighted([
    ((1, 10), 14), ((11, 50), 26), ((51, 200), 25), ((201, 500), 14), ((501, 1000), 8),
    ((1001, 5000), 8), ((5001, 10000), 3), ((10001, 100000), 2),
])

_EMAIL_PATTERNS = Weighted([
    ("first.last", 50), ("f.last", 15), ("flast", 10), ("first", 8), ("firstlast", 5), ("first_last", 4),
    ("first-last", 3), ("last.first", 5),
])


@dataclass(slots=True)
class Company:
    country: str
    core: str  # name without legal form: "Weber Logistik"
    legal: str  # "GmbH"
    domain: str
    industry: str
    employees: int
    employees_zoominfo: int  # vendors never agree on headcount
    city: City
    phone: Phone
    email_pattern: str
    apollo_drops_legal: bool  # Apollo's names come from social profiles, often without the legal form

    @property
    def name(self) -> str:
        return f"{self.core} {self.legal}"


@cache
def ascii_slug(text: str, german: bool) -> str:
    """Mailbox/domain-safe spelling: Müller -> mueller (German) / Núñez -> nunez; spaces and quotes dropped."""
    text = text.casefold()
    if german:
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", text)


_DOMAIN_STOPWORDS = {"and", "und", "et", "y", "en", "&", "the", "royal", "koninklijke", "grupo", "hermanos"}


def _domain_label(core: str, german: bool, rng: random.Random) -> str:
    words = [w for w in re.split(r"[\s,]+", core) if w.casefold() not in _DOMAIN_STOPWORDS]
    slugs = [s for s in (ascii_slug(w, german) for w in words) if s][:2] or ["company"]
    return "-".join(slugs) if len(slugs) > 1 and rng.random() < 0.5 else "".join(slugs)


_SURNAME_JOINS = {"en": ("-", " & ", " and "), "de": (" & ", " "), "fr": (" ", " et "), "es": (" y ",),
                  "nl": (" & ",)}


def _company_core(rng: random.Random, pool: Pool, industry: str, fresh: bool = False) -> str:
    """A core name: Faker's pool, an invented brand, or (when those collide) two partners' surnames."""
    r = rng.random()
    if fresh:
        lang = pool.country.lang
        core = f"{rng.choice(pool.last)}{rng.choice(_SURNAME_JOINS[lang])}{rng.choice(pool.last)}"
    elif r < 0.35:
        core = rng.choice(_BRAND_HEADS) + rng.choice(_BRAND_TAILS)
    else:
        core = rng.choice(pool.companies)
    if rng.random() < 0.4:
        words = _SECTOR_WORDS[industry]
        core = f"{core} {rng.choice(words.get(pool.country.lang, words['en']))}"
    return core


def _employees(rng: random.Random) -> int:
    lo, hi = _EMPLOYEE_BANDS.pick(rng)
    return max(lo, min(hi, round(math.exp(rng.uniform(math.log(lo), math.log(hi + 1))))))


def annual_revenue(c: Company) -> int:
    """Annual revenue in USD: head count times 60k-300k per employee, fixed per company.

    Drawn from the company's own seed (its domain), not from the generator's stream, so adding the revenue
    columns left every other value of the demo data as it was.
    """
    return int(round(c.employees * random.Random(f"revenue:{c.domain}").uniform(60_000, 300_000), -3))


# ZoomInfo's "Revenue Range (in USD)" bands
_REVENUE_RANGES = ((1e6, "$1 mil. - $5 mil."), (5e6, "$5 mil. - $10 mil."), (10e6, "$10 mil. - $25 mil."),
                   (25e6, "$25 mil. - $50 mil."), (50e6, "$50 mil. - $100 mil."), (100e6, "$100 mil. - $250 mil."),
                   (250e6, "$250 mil. - $500 mil."), (500e6, "$500 mil. - $1 bil."), (1e9, "$1 bil. - $5 bil."),
                   (5e9, "Over $5 bil."))


def revenue_range(revenue: int) -> str:
    label = "Under $1 mil."
    for floor, text in _REVENUE_RANGES:
        if revenue >= floor:
            label = text
    return label


def _vendor_estimate(n: int, rng: random.Random) -> int:
    """A second vendor's headcount: off by up to ~20% and rounded the way estimates are."""
    est = max(1, round(n * rng.uniform(0.8, 1.2)))
    if est >= 100:
        digits = len(str(est)) - 2
        est = round(est, -digits)
    return est


def make_companies(rng: random.Random, pools: dict[str, Pool], phones: PhoneBook, n: int) -> list[Company]:
    countries = Weighted([(code, c.weight) for code, c in COUNTRIES.items()])
    names: set[tuple[str, str]] = set()
    domains: set[str] = set()
    out = []
    for _ in range(n):
        code = countries.pick(rng)
        pool, country = pools[code], COUNTRIES[code]
        industry = _INDUSTRY_WEIGHTS.pick(rng)
        core = _company_core(rng, pool, industry)
        for attempt in range(12):  # distinct companies get distinct names, or ground truth gets ambiguous
            if (code, core.casefold()) not in names:
                break
            core = _company_core(rng, pool, industry, fresh=attempt >= 2)
            if attempt >= 10:
                core = f"{core} {rng.choice(country.cities).name}"
        names.add((code, core.casefold()))
        german = country.lang == "de"
        domain = _unique_domain(_domain_label(core, german, rng), country.tlds.pick(rng), domains, rng)
        employees = _employees(rng)
        out.append(Company(
            code, core, country.legal_forms.pick(rng), domain, industry, employees, _vendor_estimate(employees, rng),
            rng.choice(country.cities), phones.new(code), _EMAIL_PATTERNS.pick(rng), rng.random() < 0.4,
        ))
    return out


def _unique_domain(label: str, tld: str, taken: set[str], rng: random.Random) -> str:
    domain = label + tld
    tries = 0
    while domain in taken:  # the few suffixes run out for a common label in big runs: widen the number then
        tries += 1
        upper = 99 if tries < 20 else 10 ** 6
        domain = f"{label}{rng.choice(('-group', '-online', 'hq', '-' + str(rng.randrange(2, upper))))}{tld}"
    taken.add(domain)
    return domain

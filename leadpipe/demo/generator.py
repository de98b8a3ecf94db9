"""Synthetic demo leads: two purchased vendor lists, a web-form export, and the truth about who is who.

Why this exists: the interesting stages (mapping, validation, dedupe) only show their worth on data that is
messy the way real lead data is messy -- the same person bought twice under a nickname, one company written
three ways, phones in every format, the odd "Test Test" row. A seeded generator gives every developer and CI
run the same such data, and ``ground_truth.csv`` lets tests score dedupe quality.

Facts worth knowing when matching on this data (they mirror the real exports):

- Apollo's "Corporate Phone" is the company switchboard, so colleagues share it; a person's own number is
  ZoomInfo's "Direct Phone Number" or the phone typed into a web form. A phone alone is not an identity.
- Role addresses (info@, kontakt@) are shared by colleagues too.
- Colleagues with the same surname at one company, and namesakes ("John Smith") at different companies,
  are different people in the ground truth.
- Apollo drops the legal form for some companies and lower-cases industries; ZoomInfo writes English city
  names (Munich, Vienna) and US state codes, and its employee counts disagree slightly with Apollo's.

Big sizes are cheap: names, phones and companies come from pools built once (Faker and libphonenumber run
per pool entry, not per row) and are sampled with one ``random.Random(seed)``.

CLI (used by ``make run``): ``python -m leadpipe.demo.generator OUT_DIR [--people N] [--seed S] [--force]``.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gc
import itertools
import math
import os
import random
import re
import sys
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Generic, TypeVar

import phonenumbers
from faker import Faker

T = TypeVar("T")

APOLLO_FILE = "vendor_apollo.csv"
ZOOMINFO_FILE = "vendor_zoominfo.csv"
WEB_FORMS_FILE = "web_forms.csv"
GROUND_TRUTH_FILE = "ground_truth.csv"

APOLLO_HEADER: tuple[str, ...] = (
    "First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website",
    "City", "State", "Country", "# Employees", "Industry", "Annual Revenue",
)
ZOOMINFO_HEADER: tuple[str, ...] = (
    "First Name", "Last Name", "Job Title", "Company Name", "Email Address", "Direct Phone Number",
    "Website", "Person City", "Person State", "Country", "Employees", "Primary Industry", "Revenue Range (in USD)",
    "Zip Code",
)
WEB_FORMS_HEADER: tuple[str, ...] = (
    "submitted_at", "full_name", "email", "company", "phone", "job_title", "country", "website",
    "consent_email", "form_id",
)
GROUND_TRUTH_HEADER: tuple[str, ...] = ("file", "row", "person")

DUPLICATE_SHARE = 0.30  # share of true people planted in more than one row
BAD_ROW_SHARE = 0.02  # junk / broken rows, as a share of all rows

# Internal file keys -> file names.
_FILES = {"apollo": APOLLO_FILE, "zoominfo": ZOOMINFO_FILE, "web": WEB_FORMS_FILE}


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo inputs live; the pipeline's source config points at these names."""

    apollo: Path
    zoominfo: Path
    web_forms: Path
    ground_truth: Path

    @classmethod
    def in_dir(cls, out_dir: Path) -> DemoFiles:
        out_dir = Path(out_dir)
        return cls(
            out_dir / APOLLO_FILE, out_dir / ZOOMINFO_FILE, out_dir / WEB_FORMS_FILE, out_dir / GROUND_TRUTH_FILE
        )

    def all(self) -> tuple[Path, ...]:
        return (self.apollo, self.zoominfo, self.web_forms, self.ground_truth)

    def exist(self) -> bool:
        return all(p.is_file() for p in self.all())


# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------


class _Weighted(Generic[T]):
    """Weighted choice with precomputed cumulative weights (random.choices rebuilds them per call)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass(frozen=True)
class _City:
    name: str  # local spelling, as Apollo writes it
    state: str
    english: str  # ZoomInfo writes exonyms: München -> Munich


def _cities(*specs: str) -> tuple[_City, ...]:
    """'City|State' or 'City|State|English name'."""
    out = []
    for spec in specs:
        parts = spec.split("|")
        out.append(_City(parts[0], parts[1], parts[2] if len(parts) > 2 else parts[0]))
    return tuple(out)


@dataclass(frozen=True)
class _Country:
    code: str
    name: str  # English name, as both vendors export it
    locale: str  # Faker locale for names and phones
    lang: str  # title / nickname / company-word language
    weight: float
    cities: tuple[_City, ...]
    legal_forms: _Weighted[str]
    tlds: _Weighted[str]
    free_mail: _Weighted[str]
    role_locals: tuple[str, ...]


COUNTRIES: dict[str, _Country] = {
    c.code: c
    for c in (
        _Country(
            "US", "United States", "en_US", "en", 0.30,
            _cities(
                "New York|New York", "San Francisco|California", "Los Angeles|California", "Austin|Texas",
                "Dallas|Texas", "Chicago|Illinois", "Boston|Massachusetts", "Seattle|Washington",
                "Denver|Colorado", "Atlanta|Georgia", "Miami|Florida", "Raleigh|North Carolina",
                "Phoenix|Arizona", "Minneapolis|Minnesota", "Pittsburgh|Pennsylvania",
            ),
            _Weighted([("Inc.", 50), ("LLC", 35), ("Corp.", 10), ("Co.", 5)]),
            _Weighted([(".com", 90), (".io", 6), (".net", 4)]),
            _Weighted([("gmail.com", 50), ("yahoo.com", 20), ("outlook.com", 15), ("hotmail.com", 10),
                       ("icloud.com", 5)]),
            ("info", "sales", "hello", "contact"),
        ),
        _Country(
            "GB", "United Kingdom", "en_GB", "en", 0.15,
            _cities(
                "London|England", "Manchester|England", "Birmingham|England", "Leeds|England",
                "Bristol|England", "Cambridge|England", "Edinburgh|Scotland", "Glasgow|Scotland",
                "Cardiff|Wales", "Belfast|Northern Ireland",
            ),
            _Weighted([("Ltd", 70), ("Limited", 10), ("PLC", 8), ("LLP", 7)]),
            _Weighted([(".co.uk", 75), (".com", 25)]),
            _Weighted([("gmail.com", 45), ("hotmail.co.uk", 20), ("yahoo.co.uk", 15), ("outlook.com", 15),
                       ("btinternet.com", 5)]),
            ("info", "sales", "hello", "enquiries"),
        ),
        _Country(
            "DE", "Germany", "de_DE", "de", 0.20,
            _cities(
                "Berlin|Berlin", "München|Bayern|Munich", "Hamburg|Hamburg", "Frankfurt am Main|Hessen|Frankfurt",
                "Köln|Nordrhein-Westfalen|Cologne", "Düsseldorf|Nordrhein-Westfalen|Dusseldorf",
                "Stuttgart|Baden-Württemberg", "Leipzig|Sachsen", "Hannover|Niedersachsen|Hanover",
                "Nürnberg|Bayern|Nuremberg", "Dresden|Sachsen", "Karlsruhe|Baden-Württemberg",
            ),
            _Weighted([("GmbH", 70), ("AG", 12), ("GmbH & Co. KG", 12), ("KG", 4), ("SE", 2)]),
            _Weighted([(".de", 85), (".com", 15)]),
            _Weighted([("gmx.de", 30), ("web.de", 25), ("gmail.com", 30), ("t-online.de", 15)]),
            ("info", "kontakt", "vertrieb"),
        ),
        _Country(
            "FR", "France", "fr_FR", "fr", 0.10,
            _cities(
                "Paris|Île-de-France", "Lyon|Auvergne-Rhône-Alpes", "Marseille|Provence-Alpes-Côte d'Azur",
                "Toulouse|Occitanie", "Nantes|Pays de la Loire", "Bordeaux|Nouvelle-Aquitaine",
                "Lille|Hauts-de-France", "Strasbourg|Grand Est", "Nice|Provence-Alpes-Côte d'Azur",
            ),
            _Weighted([("SAS", 50), ("SARL", 25), ("SA", 20), ("SASU", 5)]),
            _Weighted([(".fr", 75), (".com", 25)]),
            _Weighted([("gmail.com", 45), ("orange.fr", 20), ("free.fr", 15), ("hotmail.fr", 10),
                       ("laposte.net", 10)]),
            ("contact", "info", "commercial"),
        ),
        _Country(
            "NL", "Netherlands", "nl_NL", "nl", 0.08,
            _cities(
                "Amsterdam|Noord-Holland", "Rotterdam|Zuid-Holland", "Den Haag|Zuid-Holland|The Hague",
                "Utrecht|Utrecht", "Eindhoven|Noord-Brabant", "Groningen|Groningen",
            ),
            _Weighted([("B.V.", 85), ("N.V.", 15)]),
            _Weighted([(".nl", 85), (".com", 15)]),
            _Weighted([("gmail.com", 50), ("hotmail.com", 20), ("outlook.com", 15), ("ziggo.nl", 10),
                       ("kpnmail.nl", 5)]),
            ("info", "verkoop", "contact"),
        ),
        _Country(
            "ES", "Spain", "es_ES", "es", 0.07,
            _cities(
                "Madrid|Comunidad de Madrid", "Barcelona|Cataluña", "Valencia|Comunidad Valenciana",
                "Sevilla|Andalucía|Seville", "Bilbao|País Vasco", "Málaga|Andalucía|Malaga", "Zaragoza|Aragón",
            ),
            _Weighted([("S.L.", 75), ("S.A.", 25)]),
            _Weighted([(".es", 80), (".com", 20)]),
            _Weighted([("gmail.com", 55), ("hotmail.com", 20), ("yahoo.es", 15), ("outlook.es", 10)]),
            ("info", "contacto", "ventas"),
        ),
        _Country(
            "AT", "Austria", "de_AT", "de", 0.05,
            _cities(
                "Wien|Wien|Vienna", "Graz|Steiermark", "Linz|Oberösterreich", "Salzburg|Salzburg",
                "Innsbruck|Tirol",
            ),
            _Weighted([("GmbH", 80), ("AG", 10), ("KG", 5), ("OG", 5)]),
            _Weighted([(".at", 85), (".com", 15)]),
            _Weighted([("gmx.at", 35), ("gmail.com", 40), ("aon.at", 10), ("chello.at", 15)]),
            ("office", "info", "kontakt"),
        ),
        _Country(
            "CH", "Switzerland", "de_CH", "de", 0.05,
            _cities(
                "Zürich|Zürich|Zurich", "Basel|Basel-Stadt", "Bern|Bern", "Genève|Genève|Geneva",
                "Lausanne|Vaud", "Zug|Zug", "Luzern|Luzern|Lucerne",
            ),
            _Weighted([("AG", 60), ("GmbH", 35), ("SA", 5)]),
            _Weighted([(".ch", 85), (".com", 15)]),
            _Weighted([("bluewin.ch", 35), ("gmail.com", 40), ("gmx.ch", 20), ("hispeed.ch", 5)]),
            ("info", "kontakt", "office"),
        ),
    )
}

US_STATE_CODES: dict[str, str] = {
    "New York": "NY", "California": "CA", "Texas": "TX", "Illinois": "IL", "Massachusetts": "MA",
    "Washington": "WA", "Colorado": "CO", "Georgia": "GA", "Florida": "FL", "North Carolina": "NC",
    "Arizona": "AZ", "Minnesota": "MN", "Pennsylvania": "PA",
}

# Canonical industry -> Apollo's lower-case label (ZoomInfo uses the canonical one).
INDUSTRIES: dict[str, str] = {
    "Software": "computer software",
    "Financial Services": "financial services",
    "Manufacturing": "machinery",
    "Retail": "retail",
    "Healthcare": "hospital & health care",
    "Logistics": "logistics & supply chain",
    "Marketing & Advertising": "marketing & advertising",
    "Consulting": "management consulting",
    "Telecommunications": "telecommunications",
    "Construction": "construction",
    "Education": "education management",
}
_INDUSTRY_WEIGHTS = _Weighted([
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

# Legal forms Faker appends; stripped so each company gets one of its own country's forms instead.
_FAKER_LEGAL = re.compile(
    r"[\s,]+(?:GmbH & Co\. KGaA|GmbH & Co\. KG|GmbH & Co\. OHG|AG & Co\. KGaA|AG & Co\. KG|AG & Co\. OHG|"
    r"Stiftung & Co\. KGaA|Stiftung & Co\. KG|OHG mbH|GmbH|AG|KGaA|KG|OHG|OG|GbR|GesbR|e\.V\.|e\.G\.|"
    r"Inc|LLC|PLC|Ltd|SA|S\.A\.|SARL|S\.A\.R\.L\.|S\.A\.S\.|BV|NV|S\.A\.D|S\.A\.T\.|S\.A\.U|S\.C\.P|"
    r"S\.Com\.|S\.Coop\.|S\.L\.|S\.L\.L\.|S\.L\.N\.E|S\.L\.U\.)$"
)

# How the same legal form gets written elsewhere ("GmbH" vs "Gmbh"), for company-name variants.
_LEGAL_ALIASES: dict[str, tuple[str, ...]] = {
    "Inc.": ("Inc", "Incorporated"), "LLC": ("L.L.C.", "Llc"), "Corp.": ("Corporation", "Corp"),
    "Co.": ("Company",), "Ltd": ("Ltd.", "Limited", "LTD"), "Limited": ("Ltd",), "PLC": ("plc",),
    "LLP": ("L.L.P.",), "GmbH": ("Gmbh", "GMBH", "G.m.b.H."), "AG": ("A.G.",),
    "GmbH & Co. KG": ("GmbH & Co KG", "GmbH u. Co. KG"), "KG": ("K.G.",), "SE": ("S.E.",),
    "SAS": ("S.A.S.", "S.A.S"), "SARL": ("S.A.R.L.", "Sàrl"), "SA": ("S.A.",), "SASU": ("S.A.S.U.",),
    "B.V.": ("BV", "B.V"), "N.V.": ("NV",), "S.L.": ("SL", "S.L"), "S.A.": ("SA",), "OG": ("O.G.",),
}

_EMPLOYEE_BANDS = _Weighted([
    ((1, 10), 14), ((11, 50), 26), ((51, 200), 25), ((201, 500), 14), ((501, 1000), 8),
    ((1001, 5000), 8), ((5001, 10000), 3), ((10001, 100000), 2),
])

_EMAIL_PATTERNS = _Weighted([
    ("first.last", 50), ("f.last", 15), ("flast", 10), ("first", 8), ("firstlast", 5), ("first_last", 4),
    ("first-last", 3), ("last.first", 5),
])

# Job titles by language; a pair is (masculine, feminine) for languages that inflect titles.
_Title = str | tuple[str, str]
_TITLES: dict[str, _Weighted[_Title]] = {
    "en": _Weighted([
        ("CEO", 2), ("Chief Executive Officer", 1), ("CFO", 1.5), ("CTO", 1.5), ("COO", 1), ("CMO", 1),
        ("Founder & CEO", 1), ("Co-Founder", 1), ("VP of Sales", 2), ("VP of Marketing", 2),
        ("VP Engineering", 1.5), ("Vice President, Operations", 1), ("Head of Marketing", 3),
        ("Head of Sales", 3), ("Head of Procurement", 1.5), ("Head of IT", 2), ("Head of People", 1.5),
        ("Director of Sales", 2), ("Marketing Director", 2), ("IT Director", 1.5), ("Finance Director", 1.5),
        ("Director of Operations", 1.5), ("Sales Manager", 4), ("Marketing Manager", 5), ("Product Manager", 4),
        ("Project Manager", 4), ("Office Manager", 2), ("Procurement Manager", 2), ("HR Manager", 2),
        ("IT Manager", 3), ("Operations Manager", 3), ("Account Manager", 4), ("Key Account Manager", 3),
        ("Customer Success Manager", 3), ("Account Executive", 5), ("Sales Development Representative", 3),
        ("Business Development Representative", 2), ("Software Engineer", 6), ("Senior Software Engineer", 4),
        ("Data Analyst", 3), ("Data Scientist", 2), ("DevOps Engineer", 2), ("Financial Analyst", 2),
        ("Accountant", 2), ("Marketing Specialist", 3), ("Content Marketing Specialist", 1.5), ("Recruiter", 1.5),
        ("Buyer", 1.5), ("Executive Assistant", 1.5), ("Marketing Intern", 1), ("Intern", 1),
    ]),
    "de": _Weighted([
        (("Geschäftsführer", "Geschäftsführerin"), 6), (("Vertriebsleiter", "Vertriebsleiterin"), 3),
        (("Leiter Marketing", "Leiterin Marketing"), 3), (("Leiter IT", "Leiterin IT"), 2),
        (("Einkaufsleiter", "Einkaufsleiterin"), 2), (("Prokurist", "Prokuristin"), 1),
        (("Vorstandsvorsitzender", "Vorstandsvorsitzende"), 0.5),
        (("Bereichsleiter Vertrieb", "Bereichsleiterin Vertrieb"), 1.5),
        (("Teamleiter Kundenservice", "Teamleiterin Kundenservice"), 2), ("Key Account Manager", 3),
        (("Vertriebsmitarbeiter", "Vertriebsmitarbeiterin"), 3), (("Softwareentwickler", "Softwareentwicklerin"), 4),
        (("Projektleiter", "Projektleiterin"), 3), (("Personalreferent", "Personalreferentin"), 2),
        (("Buchhalter", "Buchhalterin"), 2), ("Assistenz der Geschäftsführung", 1.5),
        (("Einkäufer", "Einkäuferin"), 1.5), (("Werkstudent", "Werkstudentin"), 1),
        (("Praktikant", "Praktikantin"), 1), ("Marketing Manager", 3), ("Head of Sales", 2), ("CFO", 1),
    ]),
    "fr": _Weighted([
        (("Directeur général", "Directrice générale"), 3), (("Directeur commercial", "Directrice commerciale"), 3),
        (("Directeur marketing", "Directrice marketing"), 2), ("Responsable marketing", 3),
        ("Responsable des achats", 2), (("Directeur financier", "Directrice financière"), 1.5), ("DSI", 1),
        (("Chef de projet", "Cheffe de projet"), 3), (("Ingénieur logiciel", "Ingénieure logicielle"), 4),
        (("Chargé d'affaires", "Chargée d'affaires"), 3), (("Commercial", "Commerciale"), 3),
        (("Assistant de direction", "Assistante de direction"), 1.5), ("Comptable", 2), ("Stagiaire", 1),
        (("Président", "Présidente"), 1.5), ("Responsable RH", 2), ("Business Developer", 2),
    ]),
    "es": _Weighted([
        (("Director general", "Directora general"), 3), (("Director comercial", "Directora comercial"), 3),
        (("Director de marketing", "Directora de marketing"), 2), ("Responsable de marketing", 3),
        (("Jefe de ventas", "Jefa de ventas"), 3), (("Director financiero", "Directora financiera"), 1.5),
        ("Responsable de compras", 2), (("Ingeniero de software", "Ingeniera de software"), 4),
        (("Jefe de proyecto", "Jefa de proyecto"), 3), ("Comercial", 3), ("Contable", 2),
        (("Becario", "Becaria"), 1), ("Gerente", 2), (("Consejero delegado", "Consejera delegada"), 1),
        ("Responsable de RRHH", 1.5),
    ]),
    "nl": _Weighted([
        ("Directeur", 3), ("Algemeen directeur", 2), ("Commercieel directeur", 2), ("Accountmanager", 4),
        ("Marketingmanager", 3), ("Salesmanager", 3), ("Inkoper", 2), ("Projectleider", 3),
        ("Software-ontwikkelaar", 4), ("Office manager", 2), ("HR-adviseur", 2), ("Stagiair", 1),
        ("Eigenaar", 2), ("Teamleider klantenservice", 2), ("Financieel controller", 1.5),
    ]),
}
_LOCAL_TITLE_SHARE = {"en": 1.0, "de": 0.65, "fr": 0.7, "es": 0.7, "nl": 0.55}

# ZoomInfo spells out what Apollo abbreviates.
_ZOOMINFO_TITLES: dict[str, str] = {
    "VP of Sales": "Vice President, Sales", "VP of Marketing": "Vice President, Marketing",
    "VP Engineering": "Vice President of Engineering", "CEO": "Chief Executive Officer",
    "CFO": "Chief Financial Officer", "CTO": "Chief Technology Officer", "COO": "Chief Operating Officer",
    "CMO": "Chief Marketing Officer", "Head of IT": "Head of Information Technology",
    "Founder & CEO": "Founder and Chief Executive Officer", "HR Manager": "Human Resources Manager",
    "Sales Development Representative": "Sales Development Rep",
}

# Formal first name -> (gender, nicknames), by language. Used to plant nickname duplicates.
_NICKNAMES_BY_LANG: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "en": {
        "Robert": ("m", ("Bob", "Rob", "Bobby")), "William": ("m", ("Bill", "Will")),
        "Elizabeth": ("f", ("Liz", "Beth", "Lizzie")), "Katherine": ("f", ("Kate", "Kathy", "Katie")),
        "Catherine": ("f", ("Cathy", "Kate")), "Michael": ("m", ("Mike",)), "Christopher": ("m", ("Chris",)),
        "Jennifer": ("f", ("Jen", "Jenny")), "Richard": ("m", ("Rick", "Dick")), "James": ("m", ("Jim", "Jimmy")),
        "Thomas": ("m", ("Tom",)), "Joseph": ("m", ("Joe",)), "Daniel": ("m", ("Dan", "Danny")),
        "Matthew": ("m", ("Matt",)), "Anthony": ("m", ("Tony",)), "Margaret": ("f", ("Maggie", "Peggy")),
        "Patricia": ("f", ("Pat", "Trish")), "Susan": ("f", ("Sue",)), "Jonathan": ("m", ("Jon",)),
        "Nicholas": ("m", ("Nick",)), "Benjamin": ("m", ("Ben",)), "Alexander": ("m", ("Alex",)),
        "Andrew": ("m", ("Andy", "Drew")), "Samuel": ("m", ("Sam",)), "Steven": ("m", ("Steve",)),
        "Stephen": ("m", ("Steve",)), "David": ("m", ("Dave",)), "Edward": ("m", ("Ed", "Ted")),
        "Charles": ("m", ("Charlie", "Chuck")), "Rebecca": ("f", ("Becky",)), "Victoria": ("f", ("Vicky",)),
        "Jessica": ("f", ("Jess",)), "Kimberly": ("f", ("Kim",)), "Deborah": ("f", ("Debbie",)),
        "Timothy": ("m", ("Tim",)), "Gregory": ("m", ("Greg",)), "Jeffrey": ("m", ("Jeff",)),
        "Kenneth": ("m", ("Ken",)), "Ronald": ("m", ("Ron",)), "Donald": ("m", ("Don",)),
        "Samantha": ("f", ("Sam",)), "Alexandra": ("f", ("Alex",)), "Joshua": ("m", ("Josh",)),
        "Abigail": ("f", ("Abby",)), "Zachary": ("m", ("Zach",)),
    },
    "de": {
        "Johannes": ("m", ("Hannes",)), "Alexander": ("m", ("Alex",)), "Michael": ("m", ("Micha",)),
        "Thomas": ("m", ("Tom",)), "Katharina": ("f", ("Kathi", "Katja")), "Stefanie": ("f", ("Steffi",)),
        "Susanne": ("f", ("Susi",)), "Elisabeth": ("f", ("Lisa", "Sissi")), "Andreas": ("m", ("Andi",)),
        "Maximilian": ("m", ("Max",)), "Benjamin": ("m", ("Ben",)), "Daniela": ("f", ("Dani",)),
        "Alexandra": ("f", ("Alex",)), "Florian": ("m", ("Flo",)), "Tobias": ("m", ("Tobi",)),
        "Sebastian": ("m", ("Basti",)), "Franziska": ("f", ("Franzi",)), "Wolfgang": ("m", ("Wolf",)),
    },
    "fr": {
        "Nicolas": ("m", ("Nico",)), "Alexandre": ("m", ("Alex",)), "Frédéric": ("m", ("Fred",)),
        "Christophe": ("m", ("Chris",)), "Catherine": ("f", ("Cathy",)), "Isabelle": ("f", ("Isa",)),
        "Stéphanie": ("f", ("Steph",)), "Philippe": ("m", ("Phil",)), "Maximilien": ("m", ("Max",)),
        "Jean-Baptiste": ("m", ("JB",)), "Dominique": ("f", ("Dom",)),
    },
    "es": {
        "Francisco": ("m", ("Paco", "Pancho")), "José": ("m", ("Pepe",)), "Manuel": ("m", ("Manolo",)),
        "Dolores": ("f", ("Lola",)), "Concepción": ("f", ("Concha",)), "Ignacio": ("m", ("Nacho",)),
        "Alejandro": ("m", ("Álex",)), "Rafael": ("m", ("Rafa",)), "Enrique": ("m", ("Quique",)),
        "Antonio": ("m", ("Toni", "Toño")), "Guillermo": ("m", ("Guille",)), "Josefa": ("f", ("Pepa",)),
    },
    "nl": {
        "Johannes": ("m", ("Jan", "Hans")), "Cornelis": ("m", ("Kees",)), "Wilhelmus": ("m", ("Wim",)),
        "Hendrik": ("m", ("Henk",)), "Jacobus": ("m", ("Koos", "Jaap")), "Petrus": ("m", ("Piet",)),
        "Elisabeth": ("f", ("Lies", "Els")), "Theodorus": ("m", ("Theo",)), "Adrianus": ("m", ("Adrie",)),
    },
}


def _merge_nicknames() -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for table in _NICKNAMES_BY_LANG.values():
        for formal, (_, nicks) in table.items():
            merged[formal] = tuple(dict.fromkeys(merged.get(formal, ()) + nicks))
    return merged


NICKNAMES: dict[str, tuple[str, ...]] = _merge_nicknames()


def nickname_equivalent(a: str, b: str) -> bool:
    """True when one name is a known nickname of the other (Robert/Bob), case-insensitively."""
    a, b = a.strip().casefold(), b.strip().casefold()
    for formal, nicks in NICKNAMES.items():
        group = {formal.casefold(), *(n.casefold() for n in nicks)}
        if a in group and b in group:
            return True
    return False


# Namesakes planted at different companies: the classic false-positive trap.
_COMMON_NAMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "US": (("John", "Smith", "m"), ("Michael", "Johnson", "m"), ("Jennifer", "Brown", "f")),
    "GB": (("David", "Jones", "m"), ("Sarah", "Taylor", "f")),
    "DE": (("Thomas", "Müller", "m"), ("Stefan", "Schmidt", "m"), ("Sabine", "Schneider", "f")),
    "FR": (("Marie", "Martin", "f"), ("Pierre", "Bernard", "m")),
    "NL": (("Jan", "de Jong", "m"), ("Sanne", "de Vries", "f")),
    "ES": (("María", "García", "f"), ("Antonio", "Fernández", "m")),
    "AT": (("Christian", "Gruber", "m"),),
    "CH": (("Daniel", "Meier", "m"),),
}

_FORMS = _Weighted([
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

# --------------------------------------------------------------------------------------------------
# Pools: everything expensive (Faker, libphonenumber) happens here, once per country.
# --------------------------------------------------------------------------------------------------

_NAME_POOL = 1000
_COMPANY_POOL = 1500
_PHONE_TEMPLATES = 100
_PHONE_TAIL = 4  # digits replaced per number: 100 templates x 10,000 tails per country


@dataclass(frozen=True, slots=True)
class _Phone:
    e164: str
    intl: str
    national: str


@dataclass(frozen=True)
class _Pool:
    country: _Country
    male: tuple[str, ...]
    female: tuple[str, ...]
    last: tuple[str, ...]
    phones: tuple[_Phone, ...]
    companies: tuple[str, ...]  # Faker company names with Faker's legal form stripped


def _clean_name(name: str) -> bool:
    """Faker has a few abbreviated or inverted entries ("Hans-J.", "Bourgondië, van") no form would hold."""
    return "." not in name and "," not in name


@cache
def _build_pool(code: str, seed: int) -> _Pool:
    """Cached per (country, seed): pools are immutable, and repeated runs (tests, CLI) skip Faker."""
    country = COUNTRIES[code]
    fake = Faker(country.locale)
    fake.seed_instance(seed)
    # Drawing with repetition keeps Faker's frequency weights (many Michaels, few Zenons).
    male = tuple(n for n in (fake.first_name_male() for _ in range(_NAME_POOL)) if _clean_name(n))
    female = tuple(n for n in (fake.first_name_female() for _ in range(_NAME_POOL)) if _clean_name(n))
    last = tuple(n for n in (fake.last_name() for _ in range(2 * _NAME_POOL)) if _clean_name(n))
    companies = tuple(_strip_faker_legal(fake.company()) for _ in range(_COMPANY_POOL))
    return _Pool(country, male, female, last, _phone_templates(fake, code, seed), companies)


def _strip_faker_legal(name: str) -> str:
    while (stripped := _FAKER_LEGAL.sub("", name)) != name:
        name = stripped
    return name


def _phone_templates(fake: Faker, region: str, seed: int) -> tuple[_Phone, ...]:
    """Valid numbers from Faker whose last digits can be replaced freely without losing validity."""
    rng = random.Random(f"{region}-{seed}")
    out: list[_Phone] = []
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


def _format(num: phonenumbers.PhoneNumber) -> _Phone:
    fmt = phonenumbers.PhoneNumberFormat
    return _Phone(
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
    def of(cls, phone: _Phone) -> _PhoneTemplate:
        return cls(_tail_slots(phone.e164), _tail_slots(phone.intl), _tail_slots(phone.national))

    def fill(self, tail: str) -> _Phone:
        return _Phone(self.e164.format(*tail), self.intl.format(*tail), self.national.format(*tail))


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


class _PhoneBook:
    """Hands out distinct valid numbers per country: a pool template plus a random tail."""

    def __init__(self, rng: random.Random, pools: dict[str, _Pool]) -> None:
        self.rng = rng
        self.templates = {code: [_PhoneTemplate.of(p) for p in pool.phones] for code, pool in pools.items()}
        self.used: set[tuple[str, int, int]] = set()

    def new(self, country: str) -> _Phone:
        templates = self.templates[country]
        key = (country, 0, 0)
        for _ in range(50):  # collisions are rare in a space of a million numbers per country
            key = (country, self.rng.randrange(len(templates)), self.rng.randrange(10**_PHONE_TAIL))
            if key not in self.used:
                break
        self.used.add(key)
        return templates[key[1]].fill(f"{key[2]:0{_PHONE_TAIL}d}")


# --------------------------------------------------------------------------------------------------
# Companies
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Company:
    country: str
    core: str  # name without legal form: "Weber Logistik"
    legal: str  # "GmbH"
    domain: str
    industry: str
    employees: int
    employees_zoominfo: int  # vendors never agree on headcount
    city: _City
    phone: _Phone
    email_pattern: str
    apollo_drops_legal: bool  # Apollo's names come from social profiles, often without the legal form

    @property
    def name(self) -> str:
        return f"{self.core} {self.legal}"


@cache
def _ascii_slug(text: str, german: bool) -> str:
    """Mailbox/domain-safe spelling: Müller -> mueller (German) / Núñez -> nunez; spaces and quotes dropped."""
    text = text.casefold()
    if german:
        text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", text)


_DOMAIN_STOPWORDS = {"and", "und", "et", "y", "en", "&", "the", "royal", "koninklijke", "grupo", "hermanos"}


def _domain_label(core: str, german: bool, rng: random.Random) -> str:
    words = [w for w in re.split(r"[\s,]+", core) if w.casefold() not in _DOMAIN_STOPWORDS]
    slugs = [s for s in (_ascii_slug(w, german) for w in words) if s][:2] or ["company"]
    return "-".join(slugs) if len(slugs) > 1 and rng.random() < 0.5 else "".join(slugs)


_SURNAME_JOINS = {"en": ("-", " & ", " and "), "de": (" & ", " "), "fr": (" ", " et "), "es": (" y ",),
                  "nl": (" & ",)}


def _company_core(rng: random.Random, pool: _Pool, industry: str, fresh: bool = False) -> str:
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


def _revenue(c: _Company) -> int:
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


def _revenue_range(revenue: int) -> str:
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


def _make_companies(rng: random.Random, pools: dict[str, _Pool], phones: _PhoneBook, n: int) -> list[_Company]:
    countries = _Weighted([(code, c.weight) for code, c in COUNTRIES.items()])
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
        out.append(_Company(
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


# --------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    pid: str
    company: _Company
    gender: str
    first: str
    last: str
    city: _City
    title: str = ""
    work_email: str = ""
    free_email: str = ""
    phone: _Phone | None = None
    locked: bool = False  # part of a planted namesake/colleague pair: its name must not be rewritten
    postcode: str = ""  # home/office postcode (ZoomInfo's "Zip Code"); households share one


def _pick_title(rng: random.Random, lang: str, gender: str) -> str:
    if rng.random() >= _LOCAL_TITLE_SHARE[lang]:
        lang = "en"
    title = _TITLES[lang].pick(rng)
    if isinstance(title, tuple):
        return title[0] if gender == "m" else title[1]
    return title


def _make_people(rng: random.Random, pools: dict[str, _Pool], companies: list[_Company], n: int) -> list[_Person]:
    # Bigger companies show up more often in purchased lists.
    by_size = _Weighted([(c, math.log(c.employees + 2)) for c in companies])
    people = []
    for i in range(n):
        company = by_size.pick(rng)
        pool = pools[company.country]
        gender = "m" if rng.random() < 0.5 else "f"
        first = rng.choice(pool.male if gender == "m" else pool.female)
        city = company.city if rng.random() < 0.85 else rng.choice(pool.country.cities)
        person = _Person(f"P{i + 1:06d}", company, gender, first, rng.choice(pool.last), city)
        person.title = _pick_title(rng, pool.country.lang, gender)
        people.append(person)
    return people


def _plant_lookalikes(rng: random.Random, people: list[_Person], pools: dict[str, _Pool],
                      companies: list[_Company]) -> None:
    """Distinct people that a careless dedupe merges: same-surname colleagues and namesakes elsewhere."""
    if len(people) < 4:
        return
    by_country: dict[str, list[_Company]] = {}
    for c in companies:
        by_country.setdefault(c.country, []).append(c)
    n_pairs = max(2, len(people) // 150)
    picks = rng.sample(range(len(people)), min(len(people) - len(people) % 2, 4 * n_pairs))
    pairs = list(zip(picks[0::2], picks[1::2]))
    half = len(pairs) // 2
    for a, b in pairs[:half]:
        _make_colleagues(rng, people[a], people[b], pools)
    for a, b in pairs[half:]:
        _make_namesakes(rng, people[a], people[b], pools, by_country)


def _make_colleagues(rng: random.Random, a: _Person, b: _Person, pools: dict[str, _Pool]) -> None:
    """Same company, same surname (spouses, siblings, coincidence), clearly different first names."""
    b.company, b.last, b.city = a.company, a.last, a.city
    pool = pools[a.company.country]
    for _ in range(100):
        b.gender = rng.choice("mf")
        b.first = rng.choice(pool.male if b.gender == "m" else pool.female)
        if b.first[0] != a.first[0] and not nickname_equivalent(a.first, b.first):
            break
    b.title = _pick_title(rng, pool.country.lang, b.gender)
    a.locked = b.locked = True


def _make_namesakes(rng: random.Random, a: _Person, b: _Person, pools: dict[str, _Pool],
                    by_country: dict[str, list[_Company]]) -> None:
    """Two "John Smith"s at different companies of the same country."""
    roomy = [code for code, cs in by_country.items() if len(cs) >= 2]
    if not roomy:
        return  # a single company per country: only at toy sizes
    if a.company.country not in roomy:  # small runs: move `a` where a second company exists
        a.company = rng.choice(by_country[rng.choice(roomy)])
        a.city = a.company.city
    same_country = by_country[a.company.country]
    other = a.company
    while other is a.company:
        other = rng.choice(same_country)
    b.company, b.city = other, other.city
    first, last, gender = rng.choice(_COMMON_NAMES[a.company.country])
    lang = pools[a.company.country].country.lang
    for p in (a, b):
        p.first, p.last, p.gender, p.locked = first, last, gender, True
        p.title = _pick_title(rng, lang, gender)


_POSTCODE_DIGITS = {"AT": 4, "CH": 4, "NL": 4}  # NL adds two letters; GB has its own shape below


def _assign_postcodes(seed: int, people: list[_Person]) -> None:
    """A postcode per person near their city's. Own random stream: the rest of the data stays as it was."""
    rng = random.Random(f"postcodes-{seed}")
    for p in people:
        country = p.company.country
        base = zlib.crc32(f"{country}|{p.city.name}".encode()) % 900 + 100  # the city's area
        if country == "GB":
            area = "".join(chr(65 + (base >> k) % 26) for k in (0, 5))
            p.postcode = f"{area}{base % 20 + 1} {rng.randrange(10)}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
            continue
        digits = _POSTCODE_DIGITS.get(country, 5)
        code = f"{base}{rng.randrange(10 ** (digits - 3)):0{digits - 3}d}"
        p.postcode = f"{code} {chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}" if country == "NL" else code


def _plant_households(seed: int, people: list[_Person], pools: dict[str, _Pool]) -> None:
    """Households: two people with one surname at one address (postcode, city), clearly different first names.

    They are two people in the ground truth (partners, siblings), though a last name + postcode block puts
    them side by side. Own random stream, so planting them changes nothing else in the data.
    """
    rng = random.Random(f"households-{seed}")
    free = [i for i, p in enumerate(people) if not p.locked]
    n_pairs = min(len(free) // 2, max(1, len(people) // 120))
    picks = rng.sample(free, 2 * n_pairs)
    for a, b in zip(picks[0::2], picks[1::2], strict=True):
        pa, pb = people[a], people[b]
        pool = pools[pa.company.country]
        for _ in range(100):
            gender = rng.choice("mf")
            first = rng.choice(pool.male if gender == "m" else pool.female)
            if first[0] != pa.first[0] and not nickname_equivalent(pa.first, first):
                pb.first, pb.gender = first, gender
                break
        pb.last, pb.city, pb.postcode = pa.last, pa.city, pa.postcode
        pa.locked = pb.locked = True


def _assign_contacts(rng: random.Random, people: list[_Person], phones: _PhoneBook) -> None:
    """Emails and direct numbers, once names are final (nickname showcases may rename people)."""
    work_taken: set[str] = set()
    free_taken: set[str] = set()
    for p in people:
        german = COUNTRIES[p.company.country].lang == "de"
        first, last = _ascii_slug(p.first, german) or "x", _ascii_slug(p.last, german) or "x"
        local = _unique_local(_email_local(p.company.email_pattern, first, last), p.company.domain, work_taken)
        p.work_email = f"{local}@{p.company.domain}"
        p.free_email = _free_email(rng, p, first, last, free_taken)
        p.phone = phones.new(p.company.country)


def _email_local(pattern: str, first: str, last: str) -> str:
    return {
        "first.last": f"{first}.{last}", "f.last": f"{first[0]}.{last}", "flast": f"{first[0]}{last}",
        "first": first, "firstlast": f"{first}{last}", "first_last": f"{first}_{last}",
        "first-last": f"{first}-{last}", "last.first": f"{last}.{first}",
    }[pattern]


def _unique_local(local: str, domain: str, taken: set[str]) -> str:
    candidate, n = local, 1
    while f"{candidate}@{domain}" in taken:
        n += 1
        candidate = f"{local}{n}"
    taken.add(f"{candidate}@{domain}")
    return candidate


def _free_email(rng: random.Random, p: _Person, first: str, last: str, taken: set[str]) -> str:
    domain = COUNTRIES[p.company.country].free_mail.pick(rng)
    local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}",
                        f"{first}.{last}{rng.randrange(60, 100)}", f"{last}.{first}"))
    while f"{local}@{domain}" in taken:  # free-mail namesakes are different people: never share an address
        local = f"{local}{rng.randrange(1, 10)}"
    taken.add(f"{local}@{domain}")
    return f"{local}@{domain}"


# --------------------------------------------------------------------------------------------------
# Planning rows: which person appears where, with which deliberate differences
# --------------------------------------------------------------------------------------------------

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
_RANDOM_VARIANTS = _Weighted([
    ("typo", 18), ("nickname", 14), ("swapped", 6), ("company", 20), ("email_case", 12), ("missing_email", 10),
    ("free_mail", 8), ("phone_format", 12),
])
_SINGLE_FILE = _Weighted([("apollo", 40), ("zoominfo", 35), ("web", 25)])
_PHONE_FORMATS_WEB = _Weighted([("national", 40), ("intl", 30), ("e164", 10), ("digits", 12), ("idd", 8)])


@dataclass(slots=True)
class _Copy:
    """One row to be written: a person as one file shows them."""

    person: _Person
    file: str
    email_kind: str = "work"  # work | free | role | none
    variants: tuple[str, ...] = ()
    phone_format: str = ""  # "" = the file's usual format
    show_phone: bool | None = None  # None = the file's usual rate
    showcase: bool = False
    bad: str = ""  # email_na | empty_name on real rows; test_email | placeholder on junk rows of nobody real
    bad_index: int = 0  # nth bad row of its kind: cycles through the spellings, so small runs have each one


_JUNK = ("test_email", "placeholder")


def _default_email_kind(rng: random.Random, file: str) -> str:
    r = rng.random()
    if r < 0.015:
        return "role"
    if file == "web":
        return "free" if r < 0.25 else "work"  # forms require an email; many people use a private one
    return "none" if r < 0.05 else "work"  # vendors leave unverified emails blank


def _plan(rng: random.Random, people: list[_Person], pools: dict[str, _Pool]) -> list[_Copy]:
    n_multi = round(len(people) * DUPLICATE_SHARE)
    multi = rng.sample(range(len(people)), n_multi)
    in_multi = set(multi)
    copies = []
    for i, p in enumerate(people):
        if i not in in_multi:
            file = _SINGLE_FILE.pick(rng)
            if p.locked and file == "web":
                file = "zoominfo"  # lookalikes go where a matcher meets them with clean fields: a vendor list
            copies.append(_Copy(p, file, _default_email_kind(rng, file)))
    # The first unlocked multi people showcase each variant twice, so small demos contain all of them.
    showcase = [k for k in _SHOWCASE_FILES for _ in range(2)]
    for i in multi:
        p = people[i]
        forced = showcase.pop(0) if showcase and not p.locked else None
        copies.extend(_multi_copies(rng, p, forced, pools))
    return copies


def _multi_copies(rng: random.Random, p: _Person, forced: str | None, pools: dict[str, _Pool]) -> list[_Copy]:
    files = _SHOWCASE_FILES[forced] if forced else _duplicate_files(rng)
    if p.locked:
        files = _vendor_first(files)
    copies = [_Copy(p, f, _default_email_kind(rng, f), showcase=forced is not None) for f in files]
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


def _apply_variant(rng: random.Random, copy: _Copy, first: _Copy, kind: str, pools: dict[str, _Pool],
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
        first.phone_format = first.phone_format or _default_phone_format(rng, first.file, p.company.country)
        copy.phone_format = _other_phone_format(rng, first.phone_format, p.company.country)
    copy.variants += (kind,)


def _rename_to_formal(rng: random.Random, p: _Person, pools: dict[str, _Pool]) -> None:
    """Showcase only: give the person a first name that has a well-known nickname in their language."""
    table = _NICKNAMES_BY_LANG[COUNTRIES[p.company.country].lang]
    names = [name for name, (gender, _) in table.items() if gender == p.gender] or list(table)
    p.first = rng.choice(names)
    p.gender = table[p.first][0]


def _default_phone_format(rng: random.Random, file: str, country: str) -> str:
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


def _plant_bad_rows(rng: random.Random, copies: list[_Copy], pools: dict[str, _Pool],
                    companies: list[_Company]) -> list[_Copy]:
    """About 2% junk: 'n/a' emails and empty names on real rows, plus test/placeholder rows of nobody real."""
    n_bad = max(4, round(len(copies) * BAD_ROW_SHARE))
    kinds = ["email_na", "test_email", "empty_name", "placeholder"]
    plain = [c for c in copies
             if not c.showcase and not c.variants and not c.person.locked and c.email_kind == "work"]
    targets = rng.sample(plain, min(len(plain), n_bad))
    junk: list[_Copy] = []
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
        person = _Person(f"X{len(junk) + 1:06d}", company, gender,
                         rng.choice(pool.male if gender == "m" else pool.female), rng.choice(pool.last),
                         company.city, title="")
        junk.append(_Copy(person, rng.choice(("apollo", "zoominfo", "web", "web")), "none", bad=kind, bad_index=index))
    return copies + junk


# --------------------------------------------------------------------------------------------------
# Rendering rows
# --------------------------------------------------------------------------------------------------


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


def _names(copy: _Copy, rng: random.Random) -> tuple[str, str]:
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


def _full_name(copy: _Copy, first: str, last: str, rng: random.Random) -> str:
    """How people type their name into a form: mostly 'First Last', sometimes not."""
    if not first and not last:
        return ""
    if "swapped" in copy.variants:
        if copy.person.company.country == "FR" and rng.random() < 0.5:
            return f"{last.upper()} {first}"  # French convention: NOM Prénom
        return f"{last}, {first}" if rng.random() < 0.3 else f"{last} {first}"
    full = f"{first} {last}"
    return full.lower() if rng.random() < 0.04 else full


def _email(copy: _Copy, rng: random.Random) -> str:
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


def _company_variant(c: _Company, rng: random.Random) -> str:
    """The same company written differently: 'Acme GmbH' -> 'ACME', 'Acme', 'acme gmbh', 'Acme Gmbh'."""
    options = [c.core, c.core.upper(), c.name.lower(), c.name.upper()]
    options += [f"{c.core} {alias}" for alias in _LEGAL_ALIASES.get(c.legal, ())]
    if " and " in c.core:
        options.append(f"{c.core.replace(' and ', ' & ')} {c.legal}")
    if "," in c.core:
        options.append(f"{c.core.replace(',', '')} {c.legal}")
    options = [o for o in options if o != c.name]
    return rng.choice(options)


def _company(copy: _Copy, rng: random.Random) -> str:
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


def _phone(copy: _Copy, rng: random.Random, usual_rate: float) -> str:
    p = copy.person
    if copy.bad in _JUNK or p.phone is None:
        return ""
    show = copy.show_phone if copy.show_phone is not None else rng.random() < usual_rate
    if not show:
        return ""
    fmt = copy.phone_format or _default_phone_format(rng, copy.file, p.company.country)
    return _format_phone(p.phone, fmt)


def _format_phone(phone: _Phone, fmt: str) -> str:
    if fmt == "intl":
        return phone.intl
    if fmt == "e164":
        return phone.e164
    if fmt == "digits":
        return re.sub(r"\D", "", phone.national)
    if fmt == "idd":
        return "00" + phone.intl[1:]
    return phone.national


def _apollo_row(copy: _Copy, rng: random.Random) -> list[str]:
    p, c = copy.person, copy.person.company
    first, last = _names(copy, rng)
    if "swapped" in copy.variants:
        first, last = last, first
    phone = "" if copy.bad in _JUNK or rng.random() < 0.15 else c.phone.intl  # company switchboard
    employees = "" if rng.random() < 0.05 else str(c.employees)
    row = [first, last, p.title, _company(copy, rng), _email(copy, rng), phone, f"http://www.{c.domain}",
           p.city.name, p.city.state, COUNTRIES[c.country].name, employees, INDUSTRIES[c.industry],
           str(_revenue(c)) if employees else ""]
    return _blank_placeholder(copy, row, keep=(0, 1, 3, 4, 9))


def _zoominfo_row(copy: _Copy, rng: random.Random) -> list[str]:
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
           _revenue_range(_revenue(c)) if employees else "",
           "" if zlib.crc32(p.pid.encode()) % 10 == 0 else p.postcode]  # no rng draw: the stream stays
    return _blank_placeholder(copy, row, keep=(0, 1, 3, 4, 9))


def _blank_placeholder(copy: _Copy, row: list[str], keep: tuple[int, ...]) -> list[str]:
    """A 'Test Test' row carries nothing but its junk name, email, company and country."""
    if copy.bad != "placeholder":
        return row
    return [cell if i in keep else "" for i, cell in enumerate(row)]


def _web_row(copy: _Copy, rng: random.Random) -> list[str]:
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


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _render(rng: random.Random, copies: list[_Copy]) -> dict[str, list[tuple[str, list[str]]]]:
    """Rows per file as (person id, cells), in the order the files will hold them."""
    out: dict[str, list[tuple[str, list[str]]]] = {"apollo": [], "zoominfo": [], "web": []}
    render = {"apollo": _apollo_row, "zoominfo": _zoominfo_row, "web": _web_row}
    for copy in copies:
        out[copy.file].append((copy.person.pid, render[copy.file](copy, rng)))
    rng.shuffle(out["apollo"])  # so duplicates are not neighbours
    rng.shuffle(out["zoominfo"])
    out["web"].sort(key=lambda r: (r[1][0], r[0]))  # a form export is in submission order
    return out


def _write_csv(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_all(files: DemoFiles, rendered: dict[str, list[tuple[str, list[str]]]]) -> None:
    """Write to temp names then rename, so a crash never leaves a half set that looks complete."""
    headers = {"apollo": APOLLO_HEADER, "zoominfo": ZOOMINFO_HEADER, "web": WEB_FORMS_HEADER}
    targets = {"apollo": files.apollo, "zoominfo": files.zoominfo, "web": files.web_forms}
    truth = [[_FILES[key], str(i), pid] for key in ("apollo", "zoominfo", "web")
             for i, (pid, _) in enumerate(rendered[key], start=1)]
    staged = []
    for key, path in targets.items():
        tmp = path.with_name(path.name + ".tmp")
        _write_csv(tmp, headers[key], [cells for _, cells in rendered[key]])
        staged.append((tmp, path))
    tmp = files.ground_truth.with_name(files.ground_truth.name + ".tmp")
    _write_csv(tmp, GROUND_TRUTH_HEADER, truth)
    staged.append((tmp, files.ground_truth))
    for tmp, path in staged:
        os.replace(tmp, path)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Big runs hold millions of small objects and create no cycles; the cyclic GC would rescan them over
    and over (about half the runtime at 300k people)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate(out_dir: Path, people: int = 400, seed: int = 7) -> DemoFiles:
    """Write the three demo inputs and ground_truth.csv into out_dir; same seed, same bytes."""
    if people < 1:
        raise ValueError("people must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles.in_dir(out_dir)
    with _gc_paused():
        rng = random.Random(seed)
        pools = {code: _build_pool(code, seed) for code in COUNTRIES}
        phones = _PhoneBook(rng, pools)
        companies = _make_companies(rng, pools, phones, max(3, round(people / 3.5)))
        persons = _make_people(rng, pools, companies, people)
        _plant_lookalikes(rng, persons, pools, companies)
        _assign_postcodes(seed, persons)
        _plant_households(seed, persons, pools)
        copies = _plan(rng, persons, pools)
        _assign_contacts(rng, persons, phones)  # after _plan: nickname showcases may rename people
        copies = _plant_bad_rows(rng, copies, pools, companies)
        _write_all(files, _render(rng, copies))
    return files


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _row_counts(files: DemoFiles) -> Counter[str]:
    with files.ground_truth.open(newline="", encoding="utf-8") as fh:
        return Counter(row["file"] for row in csv.DictReader(fh))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m leadpipe.demo.generator",
        description="Write synthetic demo leads (vendor lists, web forms, ground truth) unless already present.",
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--people", type=int, default=400, help="true people to generate (default 400)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--force", action="store_true", help="regenerate even if the files exist")
    args = parser.parse_args(argv)
    files = DemoFiles.in_dir(args.out_dir)
    if files.exist() and not args.force:
        print(f"demo data already present in {args.out_dir}, nothing written (use --force to regenerate)")
        return 0
    generate(args.out_dir, people=args.people, seed=args.seed)
    counts = _row_counts(files)
    for path in files.all()[:3]:
        print(f"wrote {path} ({counts[path.name]} rows)")
    print(f"wrote {files.ground_truth} ({sum(counts.values())} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Facts the demo draws from: countries (cities, legal forms, web and free-mail domains), industries,
nicknames, and the weighted choice every draw goes through.

Plain data and a few small helpers; no randomness of its own and no Faker.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Weighted choice with precomputed cumulative weights (random.choices rebuilds them per call)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass(frozen=True)
class City:
    name: str  # local spelling, as Apollo writes it
    state: str
    english: str  # ZoomInfo writes exonyms: München -> Munich


def _cities(*specs: str) -> tuple[City, ...]:
    """'City|State' or 'City|State|English name'."""
    out = []
    for spec in specs:
        parts = spec.split("|")
        out.append(City(parts[0], parts[1], parts[2] if len(parts) > 2 else parts[0]))
    return tuple(out)


@dataclass(frozen=True)
class Country:
    code: str
    name: str  # English name, as both vendors export it
    locale: str  # Faker locale for names and phones
    lang: str  # title / nickname / company-word language
    weight: float
    cities: tuple[City, ...]
    legal_forms: Weighted[str]
    tlds: Weighted[str]
    free_mail: Weighted[str]
    role_locals: tuple[str, ...]


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "US", "United States", "en_US", "en", 0.30,
            _cities(
                "New York|New York", "San Francisco|California", "Los Angeles|California", "Austin|Texas",
                "Dallas|Texas", "Chicago|Illinois", "Boston|Massachusetts", "Seattle|Washington",
                "Denver|Colorado", "Atlanta|Georgia", "Miami|Florida", "Raleigh|North Carolina",
                "Phoenix|Arizona", "Minneapolis|Minnesota", "Pittsburgh|Pennsylvania",
            ),
            Weighted([("Inc.", 50), ("LLC", 35), ("Corp.", 10), ("Co.", 5)]),
            Weighted([(".com", 90), (".io", 6), (".net", 4)]),
            Weighted([("gmail.com", 50), ("yahoo.com", 20), ("outlook.com", 15), ("hotmail.com", 10),
                       ("icloud.com", 5)]),
            ("info", "sales", "hello", "contact"),
        ),
        Country(
            "GB", "United Kingdom", "en_GB", "en", 0.15,
            _cities(
                "London|England", "Manchester|England", "Birmingham|England", "Leeds|England",
                "Bristol|England", "Cambridge|England", "Edinburgh|Scotland", "Glasgow|Scotland",
                "Cardiff|Wales", "Belfast|Northern Ireland",
            ),
            Weighted([("Ltd", 70), ("Limited", 10), ("PLC", 8), ("LLP", 7)]),
            Weighted([(".co.uk", 75), (".com", 25)]),
            Weighted([("gmail.com", 45), ("hotmail.co.uk", 20), ("yahoo.co.uk", 15), ("outlook.com", 15),
                       ("btinternet.com", 5)]),
            ("info", "sales", "hello", "enquiries"),
        ),
        Country(
            "DE", "Germany", "de_DE", "de", 0.20,
            _cities(
                "Berlin|Berlin", "München|Bayern|Munich", "Hamburg|Hamburg", "Frankfurt am Main|Hessen|Frankfurt",
                "Köln|Nordrhein-Westfalen|Cologne", "Düsseldorf|Nordrhein-Westfalen|Dusseldorf",
                "Stuttgart|Baden-Württemberg", "Leipzig|Sachsen", "Hannover|Niedersachsen|Hanover",
                "Nürnberg|Bayern|Nuremberg", "Dresden|Sachsen", "Karlsruhe|Baden-Württemberg",
            ),
            Weighted([("GmbH", 70), ("AG", 12), ("GmbH & Co. KG", 12), ("KG", 4), ("SE", 2)]),
            Weighted([(".de", 85), (".com", 15)]),
            Weighted([("gmx.de", 30), ("web.de", 25), ("gmail.com", 30), ("t-online.de", 15)]),
            ("info", "kontakt", "vertrieb"),
        ),
        Country(
            "FR", "France", "fr_FR", "fr", 0.10,
            _cities(
                "Paris|Île-de-France", "Lyon|Auvergne-Rhône-Alpes", "Marseille|Provence-Alpes-Côte d'Azur",
                "Toulouse|Occitanie", "Nantes|Pays de la Loire", "Bordeaux|Nouvelle-Aquitaine",
                "Lille|Hauts-de-France", "Strasbourg|Grand Est", "Nice|Provence-Alpes-Côte d'Azur",
            ),
            Weighted([("SAS", 50), ("SARL", 25), ("SA", 20), ("SASU", 5)]),
            Weighted([(".fr", 75), (".com", 25)]),
            Weighted([("gmail.com", 45), ("orange.fr", 20), ("free.fr", 15), ("hotmail.fr", 10),
                       ("laposte.net", 10)]),
            ("contact", "info", "commercial"),
        ),
        Country(
            "NL", "Netherlands", "nl_NL", "nl", 0.08,
            _cities(
                "Amsterdam|Noord-Holland", "Rotterdam|Zuid-Holland", "Den Haag|Zuid-Holland|The Hague",
                "Utrecht|Utrecht", "Eindhoven|Noord-Brabant", "Groningen|Groningen",
            ),
            Weighted([("B.V.", 85), ("N.V.", 15)]),
            Weighted([(".nl", 85), (".com", 15)]),
            Weighted([("gmail.com", 50), ("hotmail.com", 20), ("outlook.com", 15), ("ziggo.nl", 10),
                       ("kpnmail.nl", 5)]),
            ("info", "verkoop", "contact"),
        ),
        Country(
            "ES", "Spain", "es_ES", "es", 0.07,
            _cities(
                "Madrid|Comunidad de Madrid", "Barcelona|Cataluña", "Valencia|Comunidad Valenciana",
                "Sevilla|Andalucía|Seville", "Bilbao|País Vasco", "Málaga|Andalucía|Malaga", "Zaragoza|Aragón",
            ),
            Weighted([("S.L.", 75), ("S.A.", 25)]),
            Weighted([(".es", 80), (".com", 20)]),
            Weighted([("gmail.com", 55), ("hotmail.com", 20), ("yahoo.es", 15), ("outlook.es", 10)]),
            ("info", "contacto", "ventas"),
        ),
        Country(
            "AT", "Austria", "de_AT", "de", 0.05,
            _cities(
                "Wien|Wien|Vienna", "Graz|Steiermark", "Linz|Oberösterreich", "Salzburg|Salzburg",
                "Innsbruck|Tirol",
            ),
            Weighted([("GmbH", 80), ("AG", 10), ("KG", 5), ("OG", 5)]),
            Weighted([(".at", 85), (".com", 15)]),
            Weighted([("gmx.at", 35), ("gmail.com", 40), ("aon.at", 10), ("chello.at", 15)]),
            ("office", "info", "kontakt"),
        ),
        Country(
            "CH", "Switzerland", "de_CH", "de", 0.05,
            _cities(
                "Zürich|Zürich|Zurich", "Basel|Basel-Stadt", "Bern|Bern", "Genève|Genève|Geneva",
                "Lausanne|Vaud", "Zug|Zug", "Luzern|Luzern|Lucerne",
            ),
            Weighted([("AG", 60), ("GmbH", 35), ("SA", 5)]),
            Weighted([(".ch", 85), (".com", 15)]),
            Weighted([("bluewin.ch", 35), ("gmail.com", 40), ("gmx.ch", 20), ("hispeed.ch", 5)]),
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

# Formal first name -> (gender, nicknames), by language. Used to plant nickname duplicates.
NICKNAMES_BY_LANG: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
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
    for table in NICKNAMES_BY_LANG.values():
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

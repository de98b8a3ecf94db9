"""The true people behind the rows: names, titles, postcodes, emails and direct numbers, plus the planted
lookalikes (same-surname colleagues, namesakes, households) that a careless dedupe would merge.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass

from leadpipe.demo.companies import Company, ascii_slug
from leadpipe.demo.pools import Phone, PhoneBook, Pool
from leadpipe.demo.reference import COUNTRIES, City, Weighted, nickname_equivalent

# Job titles by language; a pair is (masculine, feminine) for languages that inflect titles.
_Title = str | tuple[str, str]
_TITLES: dict[str, Weighted[_Title]] = {
    "en": Weighted([
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
    "de": Weighted([
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
    "fr": Weighted([
        (("Directeur général", "Directrice générale"), 3), (("Directeur commercial", "Directrice commerciale"), 3),
        (("Directeur marketing", "Directrice marketing"), 2), ("Responsable marketing", 3),
        ("Responsable des achats", 2), (("Directeur financier", "Directrice financière"), 1.5), ("DSI", 1),
        (("Chef de projet", "Cheffe de projet"), 3), (("Ingénieur logiciel", "Ingénieure logicielle"), 4),
        (("Chargé d'affaires", "Chargée d'affaires"), 3), (("Commercial", "Commerciale"), 3),
        (("Assistant de direction", "Assistante de direction"), 1.5), ("Comptable", 2), ("Stagiaire", 1),
        (("Président", "Présidente"), 1.5), ("Responsable RH", 2), ("Business Developer", 2),
    ]),
    "es": Weighted([
        (("Director general", "Directora general"), 3), (("Director comercial", "Directora comercial"), 3),
        (("Director de marketing", "Directora de marketing"), 2), ("Responsable de marketing", 3),
        (("Jefe de ventas", "Jefa de ventas"), 3), (("Director financiero", "Directora financiera"), 1.5),
        ("Responsable de compras", 2), (("Ingeniero de software", "Ingeniera de software"), 4),
        (("Jefe de proyecto", "Jefa de proyecto"), 3), ("Comercial", 3), ("Contable", 2),
        (("Becario", "Becaria"), 1), ("Gerente", 2), (("Consejero delegado", "Consejera delegada"), 1),
        ("Responsable de RRHH", 1.5),
    ]),
    "nl": Weighted([
        ("Directeur", 3), ("Algemeen directeur", 2), ("Commercieel directeur", 2), ("Accountmanager", 4),
        ("Marketingmanager", 3), ("Salesmanager", 3), ("Inkoper", 2), ("Projectleider", 3),
        ("Software-ontwikkelaar", 4), ("Office manager", 2), ("HR-adviseur", 2), ("Stagiair", 1),
        ("Eigenaar", 2), ("Teamleider klantenservice", 2), ("Financieel controller", 1.5),
    ]),
}
_LOCAL_TITLE_SHARE = {"en": 1.0, "de": 0.65, "fr": 0.7, "es": 0.7, "nl": 0.55}

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


@dataclass(slots=True)
class Person:
    pid: str
    company: Company
    gender: str
    first: str
    last: str
    city: City
    title: str = ""
    work_email: str = ""
    free_email: str = ""
    phone: Phone | None = None
    locked: bool = False  # part of a planted namesake/colleague pair: its name must not be rewritten
    postcode: str = ""  # home/office postcode (ZoomInfo's "Zip Code"); households share one


def _pick_title(rng: random.Random, lang: str, gender: str) -> str:
    if rng.random() >= _LOCAL_TITLE_SHARE[lang]:
        lang = "en"
    title = _TITLES[lang].pick(rng)
    if isinstance(title, tuple):
        return title[0] if gender == "m" else title[1]
    return title


def make_people(rng: random.Random, pools: dict[str, Pool], companies: list[Company], n: int) -> list[Person]:
    # Bigger companies show up more often in purchased lists.
    by_size = Weighted([(c, math.log(c.employees + 2)) for c in companies])
    people = []
    for i in range(n):
        company = by_size.pick(rng)
        pool = pools[company.country]
        gender = "m" if rng.random() < 0.5 else "f"
        first = rng.choice(pool.male if gender == "m" else pool.female)
        city = company.city if rng.random() < 0.85 else rng.choice(pool.country.cities)
        person = Person(f"P{i + 1:06d}", company, gender, first, rng.choice(pool.last), city)
        person.title = _pick_title(rng, pool.country.lang, gender)
        people.append(person)
    return people


def plant_lookalikes(rng: random.Random, people: list[Person], pools: dict[str, Pool],
                      companies: list[Company]) -> None:
    """Distinct people that a careless dedupe merges: same-surname colleagues and namesakes elsewhere."""
    if len(people) < 4:
        return
    by_country: dict[str, list[Company]] = {}
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


def _make_colleagues(rng: random.Random, a: Person, b: Person, pools: dict[str, Pool]) -> None:
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


def _make_namesakes(rng: random.Random, a: Person, b: Person, pools: dict[str, Pool],
                    by_country: dict[str, list[Company]]) -> None:
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


def assign_postcodes(seed: int, people: list[Person]) -> None:
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


def plant_households(seed: int, people: list[Person], pools: dict[str, Pool]) -> None:
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


def assign_contacts(rng: random.Random, people: list[Person], phones: PhoneBook) -> None:
    """Emails and direct numbers, once names are final (nickname showcases may rename people)."""
    work_taken: set[str] = set()
    free_taken: set[str] = set()
    for p in people:
        german = COUNTRIES[p.company.country].lang == "de"
        first, last = ascii_slug(p.first, german) or "x", ascii_slug(p.last, german) or "x"
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


def _free_email(rng: random.Random, p: Person, first: str, last: str, taken: set[str]) -> str:
    domain = COUNTRIES[p.company.country].free_mail.pick(rng)
    local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}",
                        f"{first}.{last}{rng.randrange(60, 100)}", f"{last}.{first}"))
    while f"{local}@{domain}" in taken:  # free-mail namesakes are different people: never share an address
        local = f"{local}{rng.randrange(1, 10)}"
    taken.add(f"{local}@{domain}")
    return f"{local}@{domain}"

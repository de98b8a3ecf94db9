"""Tests for the synthetic demo leads.

The dedupe and validation stages are judged against this data, so these tests pin down what the data
promises: exact vendor headers, a complete ground truth, the planted duplicate variants, lookalikes that
must stay apart, valid phones, and determinism. The checks read the written CSVs, not generator internals.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

import phonenumbers
import pytest

from leadpipe.demo import generator as dd
from leadpipe.demo.reference import COUNTRIES, nickname_equivalent

COUNTRY_CODES = {c.name: c.code for c in COUNTRIES.values()}
FREE_MAIL = {d for c in COUNTRIES.values() for d in c.free_mail.items}
JUNK_EMAILS = {"n/a", "test@test", "test@test.com", "test@example.com", "asdf@asdf.de", "noemail@none", "-", "none"}
# Legal-form tokens (after punctuation is dropped) that do not change which company is meant.
LEGAL_TOKENS = {
    "gmbh", "ag", "kg", "se", "co", "u", "inc", "incorporated", "llc", "corp", "corporation", "company", "ltd",
    "limited", "plc", "llp", "sas", "sarl", "sàrl", "sasu", "sa", "bv", "nv", "sl", "og",
}


@dataclass(frozen=True)
class Row:
    file: str
    row: int
    person: str
    first: str
    last: str
    company: str
    email: str
    phone: str
    country: str  # ISO alpha-2
    website: str


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def _split_full_name(full: str) -> tuple[str, str]:
    """Naive split, good enough to compare planted variants: first token vs the rest."""
    tokens = full.replace(",", " ").split()
    return (tokens[0], " ".join(tokens[1:])) if tokens else ("", "")


def load_rows(files: dd.DemoFiles) -> list[Row]:
    truth = {(r["file"], int(r["row"])): r["person"] for r in _read(files.ground_truth)}
    rows: list[Row] = []
    for i, r in enumerate(_read(files.apollo), start=1):
        rows.append(Row(files.apollo.name, i, truth[(files.apollo.name, i)], r["First Name"], r["Last Name"],
                        r["Company"], r["Email"], r["Corporate Phone"], COUNTRY_CODES[r["Country"]], r["Website"]))
    for i, r in enumerate(_read(files.zoominfo), start=1):
        rows.append(Row(files.zoominfo.name, i, truth[(files.zoominfo.name, i)], r["First Name"], r["Last Name"],
                        r["Company Name"], r["Email Address"], r["Direct Phone Number"], COUNTRY_CODES[r["Country"]],
                        r["Website"]))
    for i, r in enumerate(_read(files.web_forms), start=1):
        first, last = _split_full_name(r["full_name"])
        rows.append(Row(files.web_forms.name, i, truth[(files.web_forms.name, i)], first, last, r["company"],
                        r["email"], r["phone"], r["country"], r["website"]))
    return rows


def company_key(name: str) -> str:
    tokens = re.sub(r"[,&\-]", " ", name.casefold().replace(".", "")).split()
    tokens = [t for t in tokens if t != "and"]
    while tokens and tokens[-1] in LEGAL_TOKENS:
        tokens.pop()
    return " ".join(tokens)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def e164(phone: str, country: str) -> str | None:
    """E.164 when the phone is a valid number of that country (a Dutch lead with a +64 number is not)."""
    try:
        num = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(num, country):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


@dataclass
class Demo:
    files: dd.DemoFiles
    rows: list[Row]

    def by_person(self) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = defaultdict(list)
        for r in self.rows:
            out[r.person].append(r)
        return out

    def same_person_pairs(self) -> Iterator[tuple[Row, Row]]:
        for rows in self.by_person().values():
            yield from combinations(rows, 2)


@pytest.fixture(scope="module", params=[7, 2024], ids=["seed7", "seed2024"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    files = dd.generate(tmp_path_factory.mktemp(f"demo{request.param}"), seed=request.param)
    return Demo(files, load_rows(files))


# ---------------------------------------------------------------------------------------------- format


def test_revenue_columns_read_as_numbers_consistent_with_the_head_count(demo: Demo) -> None:
    from enrichment.revenue import parse_revenue

    for path, column in ((demo.files.apollo, "Annual Revenue"), (demo.files.zoominfo, "Revenue Range (in USD)")):
        with open(path, encoding="utf-8") as fh:
            values = [r[column] for r in csv.DictReader(fh)]
        read = [parse_revenue(v) for v in values if v]
        assert read and all(r is not None and r >= 0 for r in read), column  # "Under $1 mil." reads as 0
        assert sum(r >= 1e6 for r in read) > len(read) / 2, column  # companies of 5+ people make millions


def test_headers_are_exactly_the_vendor_exports(demo: Demo) -> None:
    assert _header(demo.files.apollo) == [
        "First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
        "Country", "# Employees", "Industry", "Annual Revenue",
    ]
    assert _header(demo.files.zoominfo) == [
        "First Name", "Last Name", "Job Title", "Company Name", "Email Address", "Direct Phone Number", "Website",
        "Person City", "Person State", "Country", "Employees", "Primary Industry", "Revenue Range (in USD)",
        "Zip Code",
    ]
    assert _header(demo.files.web_forms) == [
        "submitted_at", "full_name", "email", "company", "phone", "job_title", "country", "website",
        "consent_email", "form_id",
    ]
    assert _header(demo.files.ground_truth) == ["file", "row", "person"]


def test_file_names_and_default_size(demo: Demo) -> None:
    assert [p.name for p in demo.files.all()] == [
        "vendor_apollo.csv", "vendor_zoominfo.csv", "web_forms.csv", "ground_truth.csv",
    ]
    assert 480 <= len(demo.rows) <= 640  # 400 people, ~30% of them more than once, ~2% junk
    for path in demo.files.all()[:3]:
        assert len(_read(path)) > 100


def test_web_forms_have_iso_timestamps_in_order_and_yes_no_consent(demo: Demo) -> None:
    forms = _read(demo.files.web_forms)
    times = [datetime.fromisoformat(r["submitted_at"]) for r in forms]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)
    assert {r["consent_email"] for r in forms} == {"yes", "no"}
    assert all(r["country"] in COUNTRY_CODES.values() for r in forms)


def test_mix_of_countries_legal_forms_industries_and_titles(demo: Demo) -> None:
    vendor = _read(demo.files.apollo) + _read(demo.files.zoominfo)
    assert {COUNTRY_CODES[r["Country"]] for r in vendor} == {"US", "GB", "DE", "FR", "NL", "ES", "AT", "CH"}
    names = [r["Company"] for r in _read(demo.files.apollo)] + [r["Company Name"] for r in _read(demo.files.zoominfo)]
    legal_forms = {name.rsplit(" ", 1)[-1] for name in names}
    assert {"GmbH", "Inc.", "Ltd", "B.V."} <= legal_forms
    assert legal_forms & {"SAS", "SARL", "SA"}
    assert len({r["Primary Industry"] for r in _read(demo.files.zoominfo)}) >= 6
    titles = {r["Title"] for r in _read(demo.files.apollo)} | {r["Job Title"] for r in _read(demo.files.zoominfo)}
    titles.discard("")
    assert len(titles) >= 40
    assert any(t.startswith(("Geschäftsführer", "Vertriebsleiter", "Leiter", "Projektleiter", "Softwareentwickler"))
               for t in titles)
    assert any(t.startswith(("Directeur", "Directrice", "Responsable", "Chef", "Ingénieur", "Chargé")) for t in titles)
    assert titles & {"VP of Sales", "Head of Marketing", "Software Engineer", "Marketing Manager", "CFO"}


# ------------------------------------------------------------------------------------------ ground truth


def test_ground_truth_covers_every_data_row_exactly_once(demo: Demo) -> None:
    truth = _read(demo.files.ground_truth)
    keys = [(r["file"], int(r["row"])) for r in truth]
    assert len(keys) == len(set(keys))
    expected = {(p.name, i) for p in demo.files.all()[:3] for i in range(1, len(_read(p)) + 1)}
    assert set(keys) == expected
    assert all(r["person"] for r in truth)


def test_every_generated_person_appears(demo: Demo) -> None:
    real = {r.person for r in demo.rows if r.person.startswith("P")}
    assert len(real) == 400


def test_duplicate_share_is_25_to_35_percent(demo: Demo) -> None:
    counts = {p: len(rows) for p, rows in demo.by_person().items()}
    share = sum(1 for n in counts.values() if n > 1) / len(counts)
    assert 0.25 <= share <= 0.35, share
    assert max(counts.values()) <= 3


# ------------------------------------------------------------------------------------- planted variants


def test_nickname_variant(demo: Demo) -> None:
    assert nickname_equivalent("Robert", "Bob") and nickname_equivalent("liz", "Elizabeth")
    assert not nickname_equivalent("Robert", "Roberta")
    assert any(
        a.first.casefold() != b.first.casefold() and nickname_equivalent(a.first, b.first)
        for a, b in demo.same_person_pairs()
    )


def test_email_case_variant(demo: Demo) -> None:
    assert any(
        a.email and a.email != b.email and a.email.lower() == b.email.lower() for a, b in demo.same_person_pairs()
    )


def test_one_character_name_typo(demo: Demo) -> None:
    def typo(a: Row, b: Row) -> bool:
        firsts, lasts = (a.first.casefold(), b.first.casefold()), (a.last.casefold(), b.last.casefold())
        return (firsts[0] == firsts[1] and levenshtein(*lasts) == 1) or (
            lasts[0] == lasts[1] and levenshtein(*firsts) == 1
        )

    assert any(typo(a, b) for a, b in demo.same_person_pairs())


def test_swapped_first_and_last_name(demo: Demo) -> None:
    assert any(
        a.first and a.first.casefold() == b.last.casefold() and a.last.casefold() == b.first.casefold()
        and a.first.casefold() != a.last.casefold()
        for a, b in demo.same_person_pairs()
    )


def test_company_written_differently(demo: Demo) -> None:
    pairs = [(a, b) for a, b in demo.same_person_pairs() if a.company and b.company and a.company != b.company]
    assert pairs
    assert all(company_key(a.company) == company_key(b.company) for a, b in pairs)
    assert any(a.company.isupper() or b.company.isupper() for a, b in pairs)  # "ACME" vs "Acme GmbH"


def test_missing_email_on_one_copy_keeps_name_and_company(demo: Demo) -> None:
    assert any(
        not a.email and b.email and a.first and a.last and a.company for x, y in demo.same_person_pairs()
        for a, b in ((x, y), (y, x))
    )


def test_same_phone_formatted_differently(demo: Demo) -> None:
    assert any(
        a.phone and b.phone and a.phone != b.phone and e164(a.phone, a.country) == e164(b.phone, b.country)
        for a, b in demo.same_person_pairs()
    )


def test_free_mail_and_role_addresses_exist(demo: Demo) -> None:
    domains = [r.email.rsplit("@", 1)[-1].lower() for r in demo.rows if "@" in r.email]
    assert sum(d in FREE_MAIL for d in domains) >= 10
    assert any(r.email.lower().startswith(("info@", "kontakt@", "contact@", "office@")) for r in demo.rows)


def test_work_emails_are_at_the_company_domain(demo: Demo) -> None:
    checked = 0
    for r in demo.rows:
        if r.person.startswith("X") or r.file == "web_forms.csv" or "@" not in r.email:
            continue
        domain = r.email.rsplit("@", 1)[1].lower()
        if domain in FREE_MAIL:
            continue
        assert r.website.lower().endswith("www." + domain), (r.email, r.website)
        checked += 1
    assert checked > 250


# ------------------------------------------------------------------------------------ must NOT be merged


def has_same_surname_colleagues(rows: list[Row]) -> bool:
    """Two different people, same surname, same company (vendor rows), different first names."""
    groups: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for r in rows:
        if r.file != "web_forms.csv" and r.last and r.company:
            groups[(company_key(r.company), r.last.casefold())].add((r.person, r.first.casefold()))
    return any(len({p for p, _ in m}) >= 2 and len({f for _, f in m}) >= 2 for m in groups.values())


def has_namesakes_at_different_companies(rows: list[Row]) -> bool:
    groups: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for r in rows:
        if r.first and r.last and r.company and r.person.startswith("P"):
            groups[(r.first.casefold(), r.last.casefold())].add((r.person, company_key(r.company)))
    return any(len({p for p, _ in m}) >= 2 and len({c for _, c in m}) >= 2 for m in groups.values())


def test_same_surname_colleagues_are_different_people(demo: Demo) -> None:
    assert has_same_surname_colleagues(demo.rows)


def test_namesakes_at_different_companies_are_different_people(demo: Demo) -> None:
    assert has_namesakes_at_different_companies(demo.rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lookalikes_are_planted_even_in_small_runs(tmp_path: Path, seed: int) -> None:
    """At 40 people chance collisions are rare, so this sees the planted pairs, not luck."""
    rows = load_rows(dd.generate(tmp_path, people=40, seed=seed))
    assert has_same_surname_colleagues(rows)
    assert has_namesakes_at_different_companies(rows)


# ---------------------------------------------------------------------------------------------- quality


def test_vendor_phones_are_valid_for_their_country(demo: Demo) -> None:
    phones = [r for r in demo.rows if r.file != "web_forms.csv" and r.phone]
    assert len(phones) > 150
    invalid = [(r.phone, r.country) for r in phones if e164(r.phone, r.country) is None]
    assert invalid == []


def test_web_form_phones_of_real_people_parse(demo: Demo) -> None:
    phones = [r for r in demo.rows if r.file == "web_forms.csv" and r.phone and r.person.startswith("P")]
    assert phones
    assert [r.phone for r in phones if e164(r.phone, r.country) is None] == []


def test_about_two_percent_bad_rows(demo: Demo) -> None:
    emails = {r.email for r in demo.rows}
    assert "n/a" in {e.lower() for e in emails}
    assert emails & {"test@test", "test@test.com"}
    assert any(not r.first and not r.last for r in demo.rows)
    assert any(r.first == "Test" and r.last == "Test" for r in demo.rows)
    bad = [
        r for r in demo.rows
        if r.email.lower() in JUNK_EMAILS or not (r.first or r.last) or (r.first, r.last) == ("Test", "Test")
        or (r.first, r.last) in {("asdf", "asdf"), ("Max", "Mustermann")}
    ]
    assert 0.01 <= len(bad) / len(demo.rows) <= 0.04


# ---------------------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes_other_seed_differs(tmp_path: Path) -> None:
    a = dd.generate(tmp_path / "a", people=150, seed=3)
    b = dd.generate(tmp_path / "b", people=150, seed=3)
    c = dd.generate(tmp_path / "c", people=150, seed=4)
    for pa, pb, pc in zip(a.all(), b.all(), c.all(), strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
        assert pa.read_bytes() != pc.read_bytes(), pa.name


def test_same_seed_is_identical_across_processes(tmp_path: Path) -> None:
    """A fresh interpreter with another hash seed (set order!) and no cached pools must agree byte for byte."""
    here = dd.generate(tmp_path / "here", people=150, seed=3)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    cmd = [sys.executable, "-m", "leadpipe.demo.generator", str(tmp_path / "there"), "--people", "150", "--seed", "3"]
    subprocess.run(cmd, check=True, env=env, capture_output=True, cwd=Path(dd.__file__).parents[2])
    there = dd.DemoFiles.in_dir(tmp_path / "there")
    for pa, pb in zip(here.all(), there.all(), strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


@pytest.mark.parametrize("people", [1, 2, 3, 5, 12])
def test_tiny_sizes_still_produce_consistent_files(tmp_path: Path, people: int) -> None:
    files = dd.generate(tmp_path, people=people, seed=1)
    truth = _read(files.ground_truth)
    assert len(truth) == sum(len(_read(p)) for p in files.all()[:3])
    assert len({r["person"] for r in truth if r["person"].startswith("P")}) == people


def test_rejects_non_positive_people(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        dd.generate(tmp_path, people=0)


def test_benchmark_sizes_are_fast(tmp_path: Path) -> None:
    """Guards against per-row Faker/libphonenumber calls or quadratic steps creeping back in."""
    start = time.perf_counter()
    files = dd.generate(tmp_path, people=30_000, seed=5)
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed  # ~2 s on a laptop; generous for loaded CI machines
    truth = _read(files.ground_truth)
    counts: dict[str, int] = defaultdict(int)
    for r in truth:
        counts[r["person"]] += 1
    assert 0.25 <= sum(1 for n in counts.values() if n > 1) / len(counts) <= 0.35


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_writes_once_then_leaves_files_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert dd.main([str(out), "--people", "60", "--seed", "9"]) == 0
    printed = capsys.readouterr().out
    files = dd.DemoFiles.in_dir(out)
    assert files.exist()
    assert printed.count("wrote ") == 4 and "web_forms.csv" in printed
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files.all()}

    assert dd.main([str(out), "--people", "60", "--seed", "9"]) == 0
    assert "already present" in capsys.readouterr().out
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files.all()} == stamps

    files.web_forms.unlink()  # a partial set is regenerated as a whole, identically
    assert dd.main([str(out), "--people", "60", "--seed", "9"]) == 0
    assert "wrote " in capsys.readouterr().out
    assert {p: p.read_bytes() for p in files.all()} == {p: data for p, (_, data) in stamps.items()}
    assert not list(out.glob("*.tmp"))


def test_households_share_surname_and_postcode_but_are_different_people(tmp_path: Path) -> None:
    """Issue #4: households (one surname, one postcode, different first names) are in the data as two people."""
    files = dd.generate(tmp_path, people=1500, seed=2)
    truth = {int(r["row"]): r["person"] for r in _read(files.ground_truth) if r["file"] == files.zoominfo.name}
    groups: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    with_postcode = 0
    for i, r in enumerate(_read(files.zoominfo), start=1):
        if r["Zip Code"]:
            with_postcode += 1
            if r["Last Name"] and r["First Name"]:
                groups[(r["Last Name"].casefold(), r["Zip Code"])].add((truth[i], r["First Name"][0].casefold()))
    assert with_postcode > 0.8 * len(truth)
    households = [m for m in groups.values() if len({p for p, _ in m}) >= 2 and len({f for _, f in m}) >= 2]
    assert len(households) >= 3

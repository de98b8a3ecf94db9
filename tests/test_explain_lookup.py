"""`leadpipe explain` finds one person by exact identity: normalised email, international phone or person id.

Never by substring: `%`, `_` and parts of an address find no one, and empty input is refused before the
warehouse is touched. The people are written straight into a real warehouse (SQLite and PostgreSQL) so each
test shows which of several similar people the lookup picks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from leadpipe.cli import main
from leadpipe.pipeline.explain import parse_query
from leadpipe.store.warehouse import engine_for, membership, migrate, people, raw_rows

NOW = datetime(2026, 1, 1, tzinfo=UTC)
# (person id, email, phone, first, last, company); Jan and Ann share a company switchboard.
PEOPLE = [
    ("p-jan", "jan.ott@acme.de", "+4930901820", "Jan", "Ott", "Acme GmbH"),
    ("p-an", "an.ott@acme.de", "+4930901820", "An", "Ott", "Acme GmbH"),
    ("p-test", "test@test.de", "+4989123456", "Tess", "Tester", "Test AG"),
    ("p-test2", "test@test.com", "", "Theo", "Tester", "Other AG"),
    ("p-under", "a_b@x.de", "+4940123456", "Ab", "Under", "X AG"),
]
QUARANTINED = "broken@@address"


@pytest.fixture
def cfg_home(home: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return _seeded(home, warehouse_url, monkeypatch)


@pytest.fixture
def sqlite_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The same people in SQLite only: for the property test, which runs the CLI a hundred times."""
    return _seeded(home, f"sqlite:///{home / 'warehouse.db'}", monkeypatch)


def _seeded(home: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    migrate(warehouse_url)
    with engine_for(warehouse_url).begin() as conn:
        for i, (pid, email, phone, first, last, company) in enumerate(PEOPLE, start=1):
            record = {"email": email, "phone": phone, "first_name": first, "last_name": last, "company": company}
            conn.execute(insert(people).values(person_id=pid, email=email, first_name=first, last_name=last,
                                               company=company, record=record, provenance={"email": i},
                                               created_run_id="r1", updated_run_id="r1"))
            conn.execute(insert(raw_rows).values(id=i, run_id="r1", source="vendor_apollo", source_file="a.csv",
                                                 source_row=i, ingested_at=NOW,
                                                 payload={"Email": email.upper(), "First Name": first}))
            conn.execute(insert(membership).values(raw_row_id=i, person_id=pid, run_id="r1", rule="new"))
        # a row that never became a person (quarantined for its address), and a second email of Jan's
        conn.execute(insert(raw_rows).values(id=50, run_id="r1", source="vendor_apollo", source_file="a.csv",
                                             source_row=50, ingested_at=NOW, payload={"Email": QUARANTINED}))
        conn.execute(insert(raw_rows).values(id=51, run_id="r1", source="web_forms", source_file="f.json",
                                             source_row=1, ingested_at=NOW,
                                             payload={"E_Mail": "Jan Ott <JAN@OTT-PRIVAT.DE>"}))
        conn.execute(insert(membership).values(raw_row_id=51, person_id="p-jan", run_id="r1", rule="email"))
    return home


def _explain(*args: str):
    return CliRunner().invoke(main, ["explain", *args])


def _named(output: str) -> set[str]:
    return {pid for pid, *_ in PEOPLE if pid in output} | {
        email for _, email, *_ in PEOPLE if email in output}


@pytest.mark.parametrize("arg", ["", "   ", "\t"])
def test_empty_input_is_refused_with_exit_2_and_no_one_shown(cfg_home: Path, arg: str) -> None:
    result = _explain(arg)
    assert result.exit_code == 2
    assert _named(result.output) == set()
    assert "email" in result.output  # says what to give instead


@pytest.mark.parametrize("arg", ["%", "%@%", "_", "%ott%", "ott@acme.de", "acme.de", "@", "test@test", "a%b@x.de",
                                 "a__b@x.de", "p-", "p-%", "P-JAN"])
def test_wildcards_and_parts_of_identifiers_find_no_one(cfg_home: Path, arg: str) -> None:
    result = _explain(arg)
    assert result.exit_code == 1, result.output
    assert _named(result.output) == set()
    assert "no one found" in result.output and "person id" in result.output


@pytest.mark.parametrize("arg", ["jan.ott@acme.de", "  JAN.OTT@ACME.DE ", "Jan Ott <jan.ott@acme.de>",
                                 "mailto:Jan.Ott@Acme.de", "p-jan", "jan@ott-privat.de"])
def test_exact_email_in_any_spelling_or_person_id_finds_exactly_that_person(cfg_home: Path, arg: str) -> None:
    result = _explain(arg)
    assert result.exit_code == 0, result.output
    assert "person p-jan: Jan Ott" in result.output
    assert "p-an" not in result.output and "an.ott@" not in result.output.replace("jan.ott@", "")


def test_a_literal_underscore_matches_only_itself(cfg_home: Path) -> None:
    result = _explain("A_B@x.de")
    assert result.exit_code == 0, result.output
    assert "person p-under" in result.output


def test_a_phone_in_another_format_finds_its_one_owner(cfg_home: Path) -> None:
    for spelling in ("+49 89 123456", "0049 (89) 123-456", "+49-89-123456"):
        result = _explain(spelling)
        assert result.exit_code == 0, (spelling, result.output)
        assert "person p-test: Tess Tester" in result.output
        assert "p-test2" not in result.output


def test_a_shared_phone_lists_its_people_and_asks_for_a_person_id(cfg_home: Path) -> None:
    result = _explain("+49 30 901820")
    assert result.exit_code == 1
    assert "p-jan" in result.output and "p-an" in result.output and "Acme GmbH" in result.output
    assert "person id" in result.output
    assert "score" not in result.output  # nobody's details are shown
    as_json = json.loads(_explain("+49 30 901820", "--json").output)
    assert {c["person_id"] for c in as_json["candidates"]} == {"p-jan", "p-an"}


def test_a_national_phone_number_is_refused_as_unusable(cfg_home: Path) -> None:
    result = _explain("030 901820")
    assert result.exit_code == 2
    assert "international" in result.output


def test_a_row_that_never_became_a_person_is_explained_by_its_exact_address(cfg_home: Path) -> None:
    result = _explain(QUARANTINED.upper())
    assert result.exit_code == 0, result.output
    assert "vendor_apollo: row 51 of a.csv" in result.output  # data row 50 under the header row
    assert _named(result.output) == set()
    assert _explain("broken@").exit_code == 1


IDENTIFIERS = {pid: {pid, email, *([phone] if phone else [])} for pid, email, phone, *_ in PEOPLE}
IDENTIFIERS["p-jan"].add("jan@ott-privat.de")
PIECES = sorted({x for ids in IDENTIFIERS.values() for x in ids} | {"%", "_", "@", " ", "*", "."})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=3),
       cut=st.tuples(st.integers(0, 6), st.integers(0, 6)))
def test_any_text_explains_at_most_the_one_person_it_exactly_names(sqlite_home: Path, parts: list[str],
                                                                     cut: tuple[int, int]) -> None:
    text = "".join(parts)
    text = text[cut[0]: len(text) - cut[1]] if len(text) > sum(cut) else text
    result = _explain(text)
    shown = {pid for pid in IDENTIFIERS if f"person {pid}:" in result.output}
    if result.exit_code != 0:
        assert shown == set()
        return
    assert len(shown) == 1
    (pid,) = shown
    query = parse_query(text)
    assert query.value in IDENTIFIERS[pid] or query.value == pid

"""The matcher on files without email, phone or company: postal addresses, graded comparators, blocking that
survives a typo in any one field, missing fields that weigh nothing (issue #21)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.dedupe import DedupeConfig, features, match
from enrichment.dedupe.blocking import candidate_pairs
from enrichment.dedupe.comparators import COMPARATORS, POSTCODE, STREET, compare
from enrichment.dedupe.fellegi_sunter import Model

PERSON = {"first_name": "Katharina", "last_name": "Oyelaran", "street": "17 Tullaroop Street",
          "house_number": "17", "address_line2": "Willaroo Farm", "city": "Bittern", "postcode": "3918",
          "state": "VIC"}
OTHER = {"first_name": "Lachlan", "last_name": "Berry", "street": "69 Giblin Street", "house_number": "69",
         "address_line2": "Killarney", "city": "Canterbury", "postcode": "2776", "state": "NSW"}
TYPED_FIELDS = ("first_name", "last_name", "street", "house_number", "address_line2", "city", "postcode")


def _typo(value: str, at: int, char: str) -> str:
    """One character of `value` replaced (a letter or digit typed wrong)."""
    at = at % len(value)
    return value[:at] + char + value[at + 1:]


def _level(cmp, k: int) -> str:
    return ("missing", *COMPARATORS[k].levels)[int(cmp.gamma[0, k])]


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(TYPED_FIELDS), at=st.integers(0, 30), char=st.sampled_from("xq7"))
def test_a_typo_in_any_one_field_still_makes_the_pair_a_candidate(field: str, at: int, char: str) -> None:
    typed = dict(PERSON)
    typed[field] = _typo(typed[field], at, char)
    if field == "house_number":  # the number is in line 1 too, as a file with both columns has it
        typed["street"] = typed["street"].replace(PERSON["house_number"], typed["house_number"], 1)
    f = features.build(pd.DataFrame([PERSON, OTHER, typed]))
    left, right, _ = candidate_pairs(f, DedupeConfig().max_block_size)
    assert (0, 2) in set(zip(left.tolist(), right.tolist(), strict=True))


def test_a_duplicate_on_a_list_without_email_merges_on_name_and_address_despite_typos() -> None:
    dup = {**PERSON, "last_name": "Oyelarn", "postcode": "3981", "city": "Bitern"}
    result = match(features.build(pd.DataFrame([PERSON, OTHER, dup])), DedupeConfig())
    assert result.labels[0] == result.labels[2] != result.labels[1]


def test_missing_fields_are_neutral_not_different() -> None:
    """No email, phone or company in the file: those comparators are 'missing' and add no weight."""
    dup = {**PERSON, "postcode": "3981"}
    result = match(features.build(pd.DataFrame([PERSON, dup])), DedupeConfig())
    evidence = result.evidence[1]["comparators"]
    for name in ("email", "phone", "company", "domain", "job_title"):
        assert evidence[name]["level"] == "missing" and evidence[name]["bits"] == 0.0
    assert evidence["postcode"]["level"] == "one edit" and evidence["postcode"]["bits"] > 0
    assert evidence["street"]["level"] == "exact" and evidence["house_number"]["level"] == "exact"


def test_postcode_levels_by_edit_distance_and_street_by_similarity() -> None:
    rows = pd.DataFrame([PERSON, {**PERSON, "postcode": "3981"}, {**PERSON, "postcode": "3000"},
                         {**PERSON, "street": "17 Tullaroop Stret"}, {**PERSON, "street": "17 Giblin Street"}])
    f = features.build(rows)

    def levels(j: int) -> tuple[str, str]:
        c = compare(f, np.array([0]), np.array([j]))
        return _level(c, POSTCODE), _level(c, STREET)

    assert levels(1) == ("one edit", "exact")  # two digits swapped: one Damerau-Levenshtein edit
    assert levels(2) == ("different", "exact")
    assert levels(3) == ("exact", "jaro_winkler>=0.90")  # the house number is compared on its own
    assert levels(4) == ("exact", "different")


def test_colleagues_at_one_company_address_with_different_first_names_stay_apart() -> None:
    """At a company (B2B rows) a clearly different first name is two people, even at one street address."""
    office = {"street": "Hauptstraße 5", "house_number": "5", "city": "Berlin", "postcode": "10115",
              "company": "Acme GmbH", "country": "DE"}
    rows = pd.DataFrame([{**office, "first_name": "Anna", "last_name": "Meyer"},
                         {**office, "first_name": "Peter", "last_name": "Meyer"}])
    result = match(features.build(rows), DedupeConfig())
    assert result.labels[0] != result.labels[1]


def test_a_household_at_one_postcode_without_street_lines_stays_two_people() -> None:
    """No street lines (a B2B export with a postcode): same surname and postcode, other first name: two people."""
    rows = pd.DataFrame([{"first_name": "Anna", "last_name": "Oyelaran", "city": "Bittern", "postcode": "3918"},
                         {"first_name": "Peter", "last_name": "Oyelaran", "city": "Bittern", "postcode": "3918"}])
    result = match(features.build(rows), DedupeConfig())
    assert result.labels[0] != result.labels[1]


def test_a_model_saved_before_the_address_fields_still_loads() -> None:
    old = Model.default().to_json()
    legacy = {"m": [m[:3] if k in (7, 8) else m for k, m in enumerate(old["m"][:9])],
              "u": [u[:3] if k in (7, 8) else u for k, u in enumerate(old["u"][:9])],
              "prior": 1e-5, "tf": {"first_name": {"anna": 0.01}}, "trained": True}
    legacy["m"][0] = [1.0, 0.9, 0.05, 0.03, 0.01, 0.01]
    model = Model.from_json(legacy)
    assert len(model.m) == len(COMPARATORS) and model.prior == 1e-5
    assert model.m[0].tolist() == [1.0, 0.9, 0.05, 0.03, 0.01, 0.01]  # kept where the levels are unchanged
    assert model.m[POSTCODE].tolist() == Model.default().m[POSTCODE].tolist()  # levels changed: default


# A household on a consumer mailing list (US-style, no company, no email): husband, wife and adult son at one
# house, the way such lists carry them (one row per person, the address repeated exactly).
HOUSE = {"street": "1423 Maple Avenue", "house_number": "1423", "city": "Springfield", "postcode": "62704",
         "state": "IL"}


def test_spouses_and_relatives_at_one_address_without_email_or_phone_stay_apart() -> None:
    """Same surname, same street, house number and postcode, different first names (not nicknames, not typos
    of each other): three people, whatever weight the address carries."""
    rows = pd.DataFrame([{**HOUSE, "first_name": "Robert", "last_name": "Johnson"},
                         {**HOUSE, "first_name": "Linda", "last_name": "Johnson"},
                         {**HOUSE, "first_name": "Michael", "last_name": "Johnson"},
                         {**HOUSE, "first_name": "Linda", "last_name": "Johnson", "address_line2": "Apt 1"}])
    result = match(features.build(rows), DedupeConfig())
    labels = result.labels.tolist()
    assert len({labels[0], labels[1], labels[2]}) == 3
    assert labels[3] == labels[1]  # Linda's second row is still Linda


def test_at_one_address_a_nickname_or_a_typo_of_the_first_name_still_merges() -> None:
    rows = pd.DataFrame([{**HOUSE, "first_name": "Robert", "last_name": "Johnson"},
                         {**HOUSE, "first_name": "Bob", "last_name": "Johnson"},
                         {**HOUSE, "first_name": "Linda", "last_name": "Johnson"},
                         {**HOUSE, "first_name": "Lnida", "last_name": "Johnson"}])
    labels = match(features.build(rows), DedupeConfig()).labels.tolist()
    assert labels[0] == labels[1] != labels[2] == labels[3]


def test_relatives_at_one_address_sharing_a_personal_email_are_one_person() -> None:
    """An email ties two rows whatever first name a vendor typed: the veto is for rows nothing personal ties."""
    rows = pd.DataFrame([{**HOUSE, "first_name": "Robert", "last_name": "Johnson", "email": "rjohnson62@gmail.com"},
                         {**HOUSE, "first_name": "Linda", "last_name": "Johnson", "email": "rjohnson62@gmail.com"}])
    labels = match(features.build(rows), DedupeConfig()).labels.tolist()
    assert labels[0] == labels[1]


def test_a_file_whose_duplicates_rewrite_first_names_learns_not_to_assume_households() -> None:
    """The household rule is learned per file: a model saved before it assumes households, and a file where a
    different first name under one surname at one street address is the exception (about 1 pair in 10, as in
    FEBRL) does not veto such pairs, while a list of households does."""
    from enrichment.dedupe.comparators import FIRST, HOUSE, LAST
    from enrichment.dedupe.fellegi_sunter import first_name_change

    legacy = Model.default().to_json()
    del legacy["first_name_change"]
    assert Model.from_json(legacy).households
    same_home = np.zeros((100, len(COMPARATORS)), np.int8)
    same_home[:, [LAST, STREET, HOUSE]] = 1
    same_home[:, FIRST] = 1
    same_home[:10, FIRST] = 5  # a corrupted copy: one in ten rewrites the first name
    base = Model.default()
    assert not Model(base.m, base.u, 1e-4, first_name_change=first_name_change(same_home)).households
    same_home[:60, FIRST] = 5  # a household list: most pairs at one address are two people
    assert Model(base.m, base.u, 1e-4, first_name_change=first_name_change(same_home)).households

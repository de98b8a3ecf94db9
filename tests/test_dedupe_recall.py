"""Generator error analysis (issue #21): typos, swapped names and name-made email addresses, each case added to
a generated file big enough for the model to learn its m/u from, matched as the pipeline matches them."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.sources.mapping import map_headers
from enrichment.dedupe import DedupeConfig, features, match
from enrichment.normalise import normalise_frame
from leadpipe.demo.generator import generate


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The demo generator's three lists (vendor exports and web forms, about 2,800 rows), mapped and normalised
    as the pipeline reads them: duplicates with typos, nicknames and private addresses for EM to learn from."""
    files = generate(tmp_path_factory.mktemp("leads"), people=2000, seed=5)
    frames = []
    for path, preset in ((files.apollo, "apollo"), (files.zoominfo, "zoominfo"), (files.web_forms, "web_form")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        fields = map_headers(list(raw.columns), preset).fields
        frames.append(pd.DataFrame({f: raw[h] for f, h in fields.items()}))
    return normalise_frame(pd.concat(frames, ignore_index=True))


def _labels(leads: pd.DataFrame, extra: list[dict]) -> list[int]:
    """Cluster labels of the `extra` rows, matched together with the generated leads."""
    base = {"email": "", "first_name": "", "last_name": "", "company": "", "job_title": "", "phone": "",
            "city": "", "country": "DE"}
    rows = normalise_frame(pd.DataFrame([{**base, **r} for r in extra]))
    frame = pd.concat([leads, rows], ignore_index=True)
    result = match(features.build(frame), DedupeConfig())
    assert result.model.trained
    return result.labels[-len(extra):].tolist()


SILVERGEN = {"company": "Silvergen GmbH", "job_title": "Head of IT", "city": "Cologne"}


def test_a_first_name_typed_once_is_a_typo_even_when_the_emails_differ(leads: pd.DataFrame) -> None:
    """'Gufula' occurs once in the file and is one letter from 'Gudula': her work record and a vendor row with
    her private address and the typo are one person (the rule 'two emails need agreeing names' counted the
    typo as another name)."""
    labels = _labels(leads, [
        {**SILVERGEN, "first_name": "Gudula", "last_name": "Trupp", "email": "gtrupp@silvergen.de",
         "phone": "+49864663226"},
        {**SILVERGEN, "first_name": "Gufula", "last_name": "Trupp", "email": "gudula.trupp71@gmx.de"},
    ])
    assert labels[0] == labels[1]


def test_two_colleagues_whose_first_names_both_recur_stay_apart(leads: pd.DataFrame) -> None:
    """Anna and Anne (both common in the file) Meyer at one company with their own addresses: two people."""
    acme = {"company": "Acme GmbH", "city": "Berlin", "job_title": "Buyer"}
    labels = _labels(leads, [{**acme, "first_name": "Anna", "last_name": "Meyer", "email": "anna.meyer@acme.de"},
                      {**acme, "first_name": "Anne", "last_name": "Meyer", "email": "anne.meyer@acme.de"}])
    assert labels[0] != labels[1]


def test_swapped_names_with_a_typo_in_one_are_still_one_person(leads: pd.DataFrame) -> None:
    """'Benson Bobby' (names in the wrong columns) and 'Bibby Benson' (a typo) at one company, same title."""
    coleman = {"company": "Coleman Group Builders LLC", "city": "Austin", "job_title": "Key Account Manager",
               "country": "US"}
    labels = _labels(leads, [
        {**coleman, "first_name": "Bibby", "last_name": "Benson", "email": "bobby-benson@coleman-group.com",
         "phone": "+16899320267"},
        {**coleman, "first_name": "Benson", "last_name": "Bobby", "phone": "+12036103275"},
    ])
    assert labels[0] == labels[1]


def test_a_private_address_made_of_a_common_name_does_not_pick_one_of_its_namesakes(leads: pd.DataFrame) -> None:
    """Three Emily Millers at three employers, each firstname.lastname@; a web form with emily.miller@outlook.com
    and nothing else. The private address is made of the name, so it says no more than the name: which Emily
    Miller filled in the form is unknown, and she joins none of them."""
    millers = [{"first_name": "Emily", "last_name": "Miller", "email": f"emily.miller@{d}", "company": c,
                "job_title": t, "city": "Seattle", "country": "US"}
               for c, d, t in (("Gross-Kirk Corp.", "gross-kirk.com", "Account Executive"),
                               ("Harbor Labs Inc.", "harborlabs.io", "Engineer"),
                               ("Pine Logistics LLC", "pinelogistics.com", "Buyer"))]
    labels = _labels(leads, [*millers, {"first_name": "Emily", "last_name": "Miller",
                                        "email": "emily.miller@outlook.com", "country": "US"}])
    assert len(set(labels[:3])) == 3
    assert labels[3] not in labels[:3]


def test_a_link_that_is_only_unproven_does_not_split_a_person(leads: pd.DataFrame) -> None:
    """A work record, the same person from a second vendor with his private address, and a web form with only
    that private address: the work record and the form share just the name, which proves nothing either way;
    the chaining guard splits at clear conflicts, not there."""
    alpenbit = {"first_name": "Antonio", "last_name": "Fernández", "company": "Alpenbit Fabricación S.L.",
                "job_title": "Ingeniero de software", "city": "Sevilla", "country": "ES"}
    labels = _labels(leads, [{**alpenbit, "email": "a.fernandez@alpenbitfabricacion.com"},
                             {**alpenbit, "email": "antonio.fernandez89@gmail.com"},
                             {"first_name": "Antonio", "last_name": "Fernández", "country": "ES",
                              "email": "antonio.fernandez89@gmail.com"}])
    assert labels[0] == labels[1] == labels[2]


def test_rows_without_a_name_sharing_one_number_are_not_one_person(leads: pd.DataFrame) -> None:
    """Five rows with no name, the same company and the same number (a reception desk's, or form test entries):
    a number that many rows carry with nobody's name on them is not a person's own line."""
    labels = _labels(leads, [{"company": "Poirier Conseil SARL", "phone": "+33 1 23 45 67 89", "country": "FR",
                              "job_title": title}
                             for title in ("Comptable", "Acheteur", "Directeur commercial", "Assistante", "")])
    assert len(set(labels)) == 5

"""The postal address as lead fields: normalisation rules, header mapping, survivorship as one unit."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sources.mapping import map_headers
from enrichment.address import house_number, normalise_postcode, normalise_street, street_with_number
from enrichment.dedupe import DedupeConfig, resolve
from enrichment.dedupe.settings import SurvivorshipConfig
from enrichment.normalise import normalise_frame


@pytest.mark.parametrize(("raw", "country", "expected"), [
    ("123 main st.", "US", "123 Main Street"),
    ("123 MAIN ST", "US", "123 Main Street"),
    ("42 baker rd", "GB", "42 Baker Road"),
    ("5th ave", "US", "5th Avenue"),
    ("St. James Rd", "GB", "St. James Road"),  # a first "St." is Saint
    ("apt 4", "US", "Apartment 4"),
    ("HAUPTSTR. 5", "DE", "Hauptstraße 5"),
    ("Hauptstrasse 5", "DE", "Hauptstraße 5"),
    ("Bahnhof Str. 3", "DE", "Bahnhof Straße 3"),
    ("Bahnhofstr. 1", "CH", "Bahnhofstrasse 1"),  # Swiss spelling has no ß
    ("Max-Joseph-Pl. 2", "DE", "Max-Joseph-Pl. 2"),  # only a separate "Pl." is written out
    ("Am Pl. 2", "DE", "Am Platz 2"),
    ("av. de la Paix 3", "FR", "Avenue de la Paix 3"),
    ("Av. Paulista 1000", "BR", "Avenida Paulista 1000"),
    ("  Some   Mixed Case St.,  ", "US", "Some Mixed Case Street"),
    ("", "US", ""),
])
def test_street_rules(raw: str, country: str, expected: str) -> None:
    assert normalise_street(raw, country) == expected


def test_house_number_and_postcode() -> None:
    assert house_number("123 Main Street") == "123"
    assert house_number("Keizersgracht 123-125") == "123-125"
    assert house_number("Marienplatz 8a") == "8A"
    assert house_number("Main Street") == ""
    assert street_with_number("Hauptstraße", "5", "DE") == "Hauptstraße 5"
    assert street_with_number("Main Street", "12", "US") == "12 Main Street"
    assert street_with_number("Hauptstraße 5", "5", "DE") == "Hauptstraße 5"
    assert normalise_postcode(" sw1a   1aa ") == "SW1A 1AA"


def test_normalise_frame_fills_the_address_fields() -> None:
    out = normalise_frame(pd.DataFrame({
        "street": ["123 main st.", "HAUPTSTR.", "#N/A"], "house_number": ["", "5", ""],
        "address_line2": ["ste 200", None, "n/a"], "postcode": ["ec1a 1bb", "10115", ""],
        "country": ["United States", "Germany", "GB"],
    }))
    assert out["street"].tolist() == ["123 Main Street", "Hauptstraße 5", ""]
    assert out["house_number"].tolist() == ["123", "5", ""]
    assert out["address_line2"].tolist() == ["Suite 200", "", ""]
    assert out["postcode"].tolist() == ["EC1A 1BB", "10115", ""]


ZOOMINFO = ["First Name", "Last Name", "Job Title", "Company Name", "Email Address", "Direct Phone Number",
            "Website", "Person City", "Person State", "Country", "Employees", "Primary Industry",
            "Revenue Range (in USD)", "Person Street", "Person Zip Code", "Company Street Address",
            "Company City", "Company State", "Company Zip Code", "Company Country"]


def test_vendor_preset_takes_the_person_address_not_the_company_address() -> None:
    m = map_headers(ZOOMINFO)
    assert m.preset == "zoominfo"
    assert (m.fields["street"], m.fields["postcode"], m.fields["city"]) == \
        ("Person Street", "Person Zip Code", "Person City")
    assert {"Company Street Address", "Company City", "Company Zip Code"} <= set(m.unmapped)


def test_auto_mapping_keeps_company_address_columns_apart() -> None:
    m = map_headers(["Name", "Email", "Company Address", "Company Street", "Company Postal Code", "Street",
                     "Address Line 2", "Zip", "City", "Hausnummer"])
    assert m.fields["street"] == "Street" and m.fields["address_line2"] == "Address Line 2"
    assert m.fields["postcode"] == "Zip" and m.fields["house_number"] == "Hausnummer"
    assert {"Company Address", "Company Street", "Company Postal Code"} <= set(m.unmapped)
    # with only the company's address in the file, the person gets none
    m = map_headers(["Email", "Company Address", "Company Address 2", "Company Zip", "Company City"])
    assert not {"street", "address_line2", "postcode", "city"} & set(m.fields)


EMPTY = pd.DataFrame(columns=["person_id", "email", "first_name", "last_name", "company_key", "record",
                              "provenance"])


def _batch(rows: list[dict]) -> pd.DataFrame:
    base = {"email": "", "first_name": "", "last_name": "", "company": "", "company_key": "", "job_title": "",
            "street": "", "address_line2": "", "house_number": "", "city": "", "state": "", "postcode": "",
            "source": "v", "source_file": "f.csv", "source_kind": "purchased"}
    return pd.DataFrame([{**base, **r, "raw_row_id": i + 1, "source_row": i + 1} for i, r in enumerate(rows)])


def test_survivorship_keeps_one_rows_address_whole() -> None:
    jane = {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme"}
    batch = _batch([
        # the more complete row overall, but its address has no postcode
        {**jane, "company": "Acme", "job_title": "CTO", "street": "1 Old Road", "city": "Leeds",
         "source": "apollo"},
        {**jane, "street": "22 New Street", "address_line2": "Flat 3", "postcode": "M1 1AA", "city": "Manchester",
         "source": "zoominfo"},
    ])
    for cfg in (DedupeConfig(), DedupeConfig(survivorship=SurvivorshipConfig(
            fields={"address": "source_priority"}, source_priority=["apollo", "zoominfo"]))):
        res = resolve(batch, EMPTY, cfg)
        [pid] = res.golden
        g, p = res.golden[pid], res.provenance[pid]
        # one row's address, never "1 Old Road" with "M1 1AA"
        assert (g["street"], g["city"]) in {("1 Old Road", "Leeds"), ("22 New Street", "Manchester")}
        if g["street"] == "1 Old Road":
            assert not g.get("postcode") and not g.get("address_line2")
            assert p["street"] == p["city"] == 1
        else:
            assert (g["postcode"], g["address_line2"]) == ("M1 1AA", "Flat 3")
            assert p["street"] == p["postcode"] == p["city"] == 2
    # source_priority names the trusted source: its address wins whole, postcode left blank
    assert g["street"] == "1 Old Road"


def test_a_row_with_a_street_beats_one_with_only_a_city() -> None:
    jane = {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme"}
    batch = _batch([
        {**jane, "company": "Acme", "job_title": "CTO", "city": "Berlin", "state": "DE-BE"},
        {**jane, "street": "Hauptstraße 5", "postcode": "10115", "city": "Berlin"},
    ])
    res = resolve(batch, EMPTY)
    [pid] = res.golden
    g = res.golden[pid]
    assert (g["street"], g["postcode"], g["city"]) == ("Hauptstraße 5", "10115", "Berlin")
    assert not g.get("state")  # row 1's state does not join row 2's address


APOLLO = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
          "Country", "# Employees", "Industry", "Annual Revenue", "Company Address", "Company City",
          "Company State", "Company Country", "Company Postal Code", "Company Phone"]


def test_apollo_export_person_city_kept_company_address_unused() -> None:
    m = map_headers(APOLLO)
    assert m.preset == "apollo" and m.fields["city"] == "City"
    assert not {"street", "address_line2", "postcode", "house_number"} & set(m.fields)
    assert {"Company Address", "Company City", "Company Postal Code"} <= set(m.unmapped)



@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdeStrR.ñß- 0123456789,AVEPlav/", max_size=30),
       st.sampled_from(["US", "GB", "DE", "CH", "FR", "ES", "BR", "NL", ""]))
def test_normalising_twice_changes_nothing(raw: str, country: str) -> None:
    once = normalise_street(raw, country)
    assert normalise_street(once, country) == once

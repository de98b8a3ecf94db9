"""Namesakes and shared lines (issue #21): a name alone at no company, or a switchboard, is not one person.

Through the dedupe stage's functions on normalised rows (normalise_frame, then resolve), as the pipeline runs them.
"""

from __future__ import annotations

import pandas as pd

from enrichment.dedupe import resolve
from enrichment.normalise import normalise_frame

EMPTY = pd.DataFrame(columns=["person_id", "email", "first_name", "last_name", "company_key", "record",
                              "provenance"])
SWITCHBOARD = "+49 30 1234567"
# Five colleagues at one company whose names are alike (Meyer, Maier, Mayer... are different families).
COLLEAGUES = (("Anna", "Meyer"), ("Anne", "Maier"), ("Hanna", "Mayer"), ("Jan", "Meier"), ("Jana", "Mayr"))


def _batch(rows: list[dict], file: str = "f.csv", first_id: int = 1) -> pd.DataFrame:
    base = {"email": "", "first_name": "", "last_name": "", "company": "", "job_title": "", "phone": "",
            "country": "DE", "source": "v", "source_file": file, "source_kind": "purchased"}
    out = normalise_frame(pd.DataFrame([{**base, **r, "source_row": i + 1} for i, r in enumerate(rows)]))
    out["raw_row_id"] = range(first_id, first_id + len(out))
    return out


def _groups(res) -> list[set[int]]:
    return sorted((set(g) for g in res.membership.groupby("person_id")["raw_row_id"].apply(list)), key=min)


def test_a_switchboard_shared_by_five_people_does_not_merge_them_but_a_shared_mobile_does() -> None:
    rows = [{"first_name": f, "last_name": ln, "company": "Acme GmbH", "phone": SWITCHBOARD} for f, ln in COLLEAGUES]
    rows += [  # one person, two rows: a nickname and a typo, their own mobile in both
        {"first_name": "Katharina", "last_name": "Schneider", "company": "Acme GmbH", "phone": "+49 171 2345678"},
        {"first_name": "Kathi", "last_name": "Schnieder", "company": "Acme", "phone": "0171 2345678"},
    ]
    assert _groups(resolve(_batch(rows), EMPTY)) == [{1}, {2}, {3}, {4}, {5}, {6, 7}]


def test_without_the_shared_mobile_the_two_rows_stay_apart() -> None:
    # the mobile, not the names, is what links them: without it the link is too weak
    rows = [{"first_name": "Katharina", "last_name": "Schneider", "company": "Acme GmbH"},
            {"first_name": "Kathi", "last_name": "Schnieder", "company": "Acme"}]
    assert _groups(resolve(_batch(rows), EMPTY)) == [{1}, {2}]


def test_namesakes_with_no_company_merge_only_on_something_personal() -> None:
    rows = [
        {"first_name": "John", "last_name": "Smith", "company": "#N/A", "job_title": "Sales Manager"},
        {"first_name": "John", "last_name": "Smith", "company": "Self-employed", "job_title": "Sales Manager"},
        {"first_name": "John", "last_name": "Smith", "company": "unknown", "phone": "+49 172 7654321"},
        {"first_name": "John", "last_name": "Smith", "company": "N/A", "phone": "0172 7654321"},
        {"first_name": "John", "last_name": "Smith", "email": "john.smith@gmail.com"},
        {"first_name": "John", "last_name": "Smith", "company": "-", "email": "john.smith@gmail.com"},
    ]
    assert _groups(resolve(_batch(rows), EMPTY)) == [{1}, {2}, {3, 4}, {5, 6}]


def test_a_stored_person_at_a_placeholder_company_does_not_absorb_a_namesake() -> None:
    """Golden records saved before placeholders were blanked still carry company '#N/A' (key 'n a')."""
    record = {"first_name": "John", "last_name": "Smith", "company": "#N/A", "company_key": "n a",
              "job_title": "#N/A"}
    existing = pd.DataFrame([{"person_id": "p-old", "email": None, "first_name": "John", "last_name": "Smith",
                              "company_key": "n a", "record": record, "provenance": {}}])
    later = _batch([{"first_name": "John", "last_name": "Smith", "company": "#N/A", "job_title": "#N/A"}],
                   file="g.csv", first_id=10)
    res = resolve(later, existing)
    assert res.new_people and "p-old" not in set(res.membership["person_id"])
    # the same person, identified by their email, still joins their stored record
    existing.loc[0, "email"] = "john.smith@gmail.com"
    existing.at[0, "record"] = {**record, "email": "john.smith@gmail.com"}
    again = _batch([{"first_name": "John", "last_name": "Smith", "company": "#N/A",
                     "email": "John.Smith@gmail.com"}], file="h.csv", first_id=20)
    assert set(resolve(again, existing).membership["person_id"]) == {"p-old"}

"""Dedupe v1: exact email, fuzzy name within a company, stable ids across runs."""

from __future__ import annotations

import pandas as pd

from enrichment.dedupe import resolve

EMPTY = pd.DataFrame(columns=["person_id", "email", "first_name", "last_name", "company_key", "record",
                              "provenance"])


def _batch(rows: list[dict]) -> pd.DataFrame:
    base = {"email": "", "first_name": "", "last_name": "", "company": "", "company_key": "", "job_title": "",
            "source": "v", "source_file": "f.csv", "source_kind": "purchased"}
    return pd.DataFrame([{**base, **r, "raw_row_id": i + 1, "source_row": i + 1} for i, r in enumerate(rows)])


def _groups(res) -> list[set[int]]:
    return sorted((set(g) for g in res.membership.groupby("person_id")["raw_row_id"].apply(list)), key=min)


def test_same_email_is_one_person_and_different_people_stay_apart() -> None:
    batch = _batch([
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme"},
        {"email": "jane.doe@acme.com", "first_name": "J.", "last_name": "Doe", "company_key": "acme"},
        {"email": "john.roe@other.com", "first_name": "John", "last_name": "Roe", "company_key": "other"},
    ])
    res = resolve(batch, EMPTY, 88)
    assert _groups(res) == [{1, 2}, {3}]


def test_swapped_names_and_typos_at_one_company_merge_colleagues_do_not() -> None:
    batch = _batch([
        {"first_name": "Katharina", "last_name": "Schneider", "company_key": "muller logistik", "email": ""},
        {"first_name": "Schneider", "last_name": "Katharina", "company_key": "muller logistik", "email": ""},
        {"first_name": "Katharina", "last_name": "Schnieder", "company_key": "muller logistik", "email": ""},
        {"first_name": "Thomas", "last_name": "Schneider", "company_key": "muller logistik", "email": ""},
        {"first_name": "Katharina", "last_name": "Schneider", "company_key": "another gmbh", "email": ""},
    ])
    res = resolve(batch, EMPTY, 88)
    assert _groups(res) == [{1, 2, 3}, {4}, {5}]


def test_two_different_emails_need_the_exact_same_name() -> None:
    batch = _batch([
        {"email": "anna.meyer@acme.com", "first_name": "Anna", "last_name": "Meyer", "company_key": "acme"},
        {"email": "anne.meyer@acme.com", "first_name": "Anne", "last_name": "Meyer", "company_key": "acme"},
    ])
    assert _groups(resolve(batch, EMPTY, 88)) == [{1}, {2}]


def test_golden_record_fills_blanks_and_records_provenance() -> None:
    batch = _batch([
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme"},
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme",
         "company": "Acme GmbH", "job_title": "CTO"},
    ])
    res = resolve(batch, EMPTY, 88)
    [pid] = res.golden
    assert res.primary[pid] == 2  # the more complete row carries the person's outcome
    assert res.golden[pid]["job_title"] == "CTO" and res.golden[pid]["company"] == "Acme GmbH"
    assert res.provenance[pid]["job_title"] == 2


def test_ids_are_stable_and_new_rows_join_existing_people() -> None:
    first = resolve(_batch([{"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe",
                             "company_key": "acme"}]), EMPTY, 88)
    again = resolve(_batch([{"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe",
                             "company_key": "acme"}]), EMPTY, 88)
    assert list(first.golden) == list(again.golden)  # same input, same id
    [pid] = first.golden
    existing = pd.DataFrame([{"person_id": pid, "email": "jane.doe@acme.com", "first_name": "Jane",
                              "last_name": "Doe", "company_key": "acme", "record": first.golden[pid],
                              "provenance": first.provenance[pid]}])
    later = _batch([{"email": "JANE.DOE@acme.com", "first_name": "Jane", "last_name": "Doe", "company_key": "acme",
                     "phone": "+4930123456"}])
    later["source_file"] = "g.csv"
    res = resolve(later, existing, 88)
    assert list(res.golden) == [pid] and res.new_people == set()
    assert res.golden[pid]["phone"] == "+4930123456"


# --- dedupe v2: Fellegi-Sunter matcher, guard, review band, survivorship, incremental loading, CLI ---

def test_nicknames_merge_at_one_company_but_not_across_companies() -> None:
    batch = _batch([
        {"first_name": "Robert", "last_name": "Kowalski", "company_key": "acme", "email": "rk@acme.com"},
        {"first_name": "Bob", "last_name": "Kowalski", "company_key": "acme", "email": ""},
        {"first_name": "Liz", "last_name": "Warren", "company_key": "acme", "email": ""},
        {"first_name": "Elizabeth", "last_name": "Warren", "company_key": "acme", "email": ""},
        {"first_name": "Robert", "last_name": "Kowalski", "company_key": "globex", "email": ""},
    ])
    assert _groups(resolve(batch, EMPTY)) == [{1, 2}, {3, 4}, {5}]


def test_one_weak_link_does_not_chain_two_people_together() -> None:
    # "J. Doe" (no email) is close to both, but Jane and John have different emails and first names
    batch = _batch([
        {"first_name": "Jane", "last_name": "Doe", "company_key": "acme", "email": "jane.doe@acme.com"},
        {"first_name": "J", "last_name": "Doe", "company_key": "acme", "email": ""},
        {"first_name": "John", "last_name": "Doe", "company_key": "acme", "email": "john.doe@acme.com"},
    ])
    groups = _groups(resolve(batch, EMPTY))
    assert not any({1, 3} <= g for g in groups), groups


def test_same_personal_email_is_one_person_but_a_shared_role_address_is_not() -> None:
    batch = _batch([
        {"first_name": "Re", "last_name": "Bought", "email": "kim.lee@acme.com", "company_key": "x"},
        {"first_name": "Kim", "last_name": "Lee", "email": "kim.lee@acme.com", "company_key": "acme"},
        {"first_name": "Tom", "last_name": "Berg", "email": "info@acme.com", "company_key": "acme"},
        {"first_name": "Ute", "last_name": "Sand", "email": "info@acme.com", "company_key": "acme"},
    ])
    assert _groups(resolve(batch, EMPTY)) == [{1, 2}, {3}, {4}]


def test_possible_matches_are_kept_apart_and_listed_for_review() -> None:
    from enrichment.dedupe import DedupeConfig

    batch = _batch([
        {"first_name": "Katharina", "last_name": "Schneider", "company_key": "muller logistik"},
        {"first_name": "Katharina", "last_name": "Schneider", "company_key": "another gmbh"},
    ])
    strict = resolve(batch, EMPTY, DedupeConfig(match_probability=0.999, review_probability=0.01))
    assert _groups(strict) == [{1}, {2}]
    assert len(strict.review) == 1 and set(strict.review.iloc[0][["left", "right"]]) == {"row 1", "row 2"}
    loose = resolve(batch, EMPTY, DedupeConfig(match_probability=0.02, review_probability=0.01))
    assert _groups(loose) == [{1, 2}] and loose.review.empty


def test_survivorship_strategies_per_field() -> None:
    from enrichment.dedupe import DedupeConfig
    from enrichment.dedupe.settings import SurvivorshipConfig

    batch = _batch([
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "job_title": "Engineer",
         "company": "Acme", "submitted_at": "2025-03-01", "source": "apollo"},
        {"email": "jane.doe@acme.com", "first_name": "Jane", "last_name": "Doe", "job_title": "CTO",
         "company": "ACME Corporation GmbH", "submitted_at": "2024-01-01", "source": "zoominfo"},
    ])
    cfg = DedupeConfig(survivorship=SurvivorshipConfig(
        fields={"job_title": "most_recent", "company": "source_priority"}, source_priority=["zoominfo", "apollo"]))
    res = resolve(batch, EMPTY, cfg)
    [pid] = res.golden
    assert res.golden[pid]["job_title"] == "Engineer" and res.provenance[pid]["job_title"] == 1
    assert res.golden[pid]["company"] == "ACME Corporation GmbH" and res.provenance[pid]["company"] == 2


def test_merge_evidence_names_the_comparators_and_weight() -> None:
    batch = _batch([
        {"email": "", "first_name": "Katharina", "last_name": "Schneider", "company_key": "muller logistik"},
        {"email": "", "first_name": "Schneider", "last_name": "Katharina", "company_key": "muller logistik"},
    ])
    res = resolve(batch, EMPTY)
    ev = res.evidence[2]
    assert ev["matched_with"] == {"raw_row_id": 1}
    assert ev["comparators"]["first_name"]["level"] == "exact"
    assert ev["comparators"]["first_name"]["note"] == "first and last name swapped"
    assert ev["comparators"]["company"]["bits"] > 0 and ev["comparators"]["email"]["level"] == "missing"
    assert abs(ev["weight"] - float(res.membership.set_index("raw_row_id").at[2, "match_score"])) < 0.01


def test_incremental_run_loads_only_people_sharing_a_key(tmp_path) -> None:
    from sqlalchemy import insert

    from leadpipe.pipeline.dedupe_candidates import candidate_people
    from leadpipe.store.warehouse import engine_for, migrate, people

    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    rows = [("p1", "jane.doe@acme.com", "Jane", "Doe", "acme.com"), ("p2", None, "Otto", "Brand", "x.de"),
            ("p3", None, "Schmidt", "Anna", "y.de"), ("p4", None, "Eva", "Lang", "zeta.de"),
            ("p5", None, "Eva", "Lang", "other.de"), ("p6", "info@zeta.de", None, None, "zeta.de")]
    with engine_for(url).begin() as conn:
        conn.execute(insert(people), [
            {"person_id": p, "email": e, "first_name": f, "last_name": ln, "domain": d, "record": {},
             "provenance": {}, "created_run_id": "r", "updated_run_id": "r"} for p, e, f, ln, d in rows])
    batch = pd.DataFrame([{"email": "jane.doe@acme.com", "first_name": "", "last_name": "", "domain": ""},
                          {"email": "", "first_name": "Anna", "last_name": "Schmidt", "domain": "q.de"},
                          {"email": "", "first_name": "Eve", "last_name": "Lang", "domain": "zeta.de"}])
    found = candidate_people(engine_for(url), batch)
    # email, swapped full name, domain + last name; Otto Brand, the other Eva Lang and info@ share no key
    assert sorted(found["person_id"]) == ["p1", "p3", "p4"]


def test_dedupe_command_maps_headers_and_keeps_every_column(tmp_path) -> None:
    from click.testing import CliRunner

    from leadpipe.cli import main

    src = tmp_path / "in.csv"
    src.write_text(
        "Vorname,Nachname,E-Mail,Firma,Notiz\n"
        "Robert,Kowalski,robert.kowalski@acme.de,Acme GmbH,a\n"
        "Bob,Kowalski,,ACME,b\n"
        "Anna,Meyer,anna.meyer@acme.de,Acme GmbH,c\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["dedupe", str(src), str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(got.columns) == ["Vorname", "Nachname", "E-Mail", "Firma", "Notiz", "cluster_id", "match_weight"]
    assert got["Notiz"].tolist() == ["a", "b", "c"]
    assert got["cluster_id"].tolist() == ["1", "1", "3"]
    assert got.at[0, "match_weight"] != "" and got.at[2, "match_weight"] == ""


def test_features_split_emails_at_the_last_at_sign_and_read_any_column_type() -> None:
    """Local part and domain as str.rpartition('@') gives them; numbers and blanks in a text column work."""
    from enrichment.dedupe import features

    emails = ["Jane.Doe@Acme-Tools.COM", "odd@name@acme.de", "no-at-sign.acme.de", "  ", None, "a@"]
    frame = pd.DataFrame({"email": emails, "postcode": [10115, 10115, None, 80331, 80331, 0],
                          "first_name": ["Jane", "jane", "Bob", "Bob", None, "Ann"]})
    f = features.build(frame)
    for i, e in enumerate(emails):
        folded = (e or "").strip().lower()
        local, _, domain = folded.rpartition("@")
        assert f.values("email")[i] == folded
        assert f.values("email_local")[i] == local
        assert f.values("email_domain")[i] == domain
    post = f.codes("postcode")
    assert post[0] == post[1] and post[3] == post[4] and post[0] != post[3] and post[2] == -1
    assert f.values("postcode").tolist() == ["10115", "10115", "", "80331", "80331", "0"]
    fn = f.codes("fn")
    assert fn[0] == fn[1] and fn[4] == -1

"""People stored under an older company-key rule get the current key once, before candidates are loaded.

On SQLite and PostgreSQL: the re-key writes company_key only, and only where it differs (property-tested); it is
recorded and not done twice; and an increment finds, and merges into, people stored under the old key.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from enrichment.normalise import COMPANY_KEY_VERSION, company_key
from leadpipe.pipeline import stages
from leadpipe.pipeline.rekey import COMPANY_KEY, rekey_company_keys, stored_version
from leadpipe.pipeline.settings import load_config
from leadpipe.store.run_files import write_frame
from leadpipe.store.warehouse import engine_for, key_versions, membership, migrate, people, raw_rows

# Names whose key version 2 changed, and names it did not; the keys the rule before it gave them (by hand).
OLD_KEYS = {
    "Smith and Sons Ltd": "smith and sons",
    "Müller u. Söhne GmbH": "müller u söhne",
    "Acme GmbH und Co. KG": "acme gmbh und",
    "Dupont et Fils": "dupont et fils",
    "Smith & Sons Ltd": "smith sons",
    "Acme GmbH & Co. KG": "acme",
    "Y Combinator": "y combinator",
}


def _person(pid: str, company: str | None, key: str | None) -> dict:
    return {"person_id": pid, "email": f"{pid}@example.com", "first_name": "Ann", "last_name": pid.upper(),
            "company": company, "company_key": key, "domain": "example.com", "record": {"company": company},
            "provenance": {"company": 1}, "created_run_id": "r0", "updated_run_id": "r0", "score": 7}


def _rows(url: str) -> dict[str, dict]:
    with engine_for(url).connect() as conn:
        return {r["person_id"]: dict(r) for r in conn.execute(select(people)).mappings()}


def _reset(url: str, persons: list[dict]) -> None:
    with engine_for(url).begin() as conn:
        conn.execute(delete(people))
        conn.execute(delete(key_versions))
        if persons:
            conn.execute(insert(people), persons)


def test_people_under_the_old_key_get_the_new_one_and_the_rest_stay(warehouse_url: str, caplog) -> None:
    migrate(warehouse_url)
    _reset(warehouse_url, [_person(f"p{i}", name, key) for i, (name, key) in enumerate(OLD_KEYS.items())]
           + [_person("blank", None, None)])
    with caplog.at_level(logging.INFO, logger="leadpipe"):
        assert rekey_company_keys(engine_for(warehouse_url), "run-2", chunk=3) == 4
    keys = {r["company"]: r["company_key"] for r in _rows(warehouse_url).values()}
    assert keys == {"Smith and Sons Ltd": "smith sons", "Müller u. Söhne GmbH": "müller söhne",
                    "Acme GmbH und Co. KG": "acme", "Dupont et Fils": "dupont fils", "Smith & Sons Ltd": "smith sons",
                    "Acme GmbH & Co. KG": "acme", "Y Combinator": "y combinator", None: None}
    assert "4 of 8 people re-keyed" in caplog.text and "Smith" not in caplog.text  # counts, no names
    with engine_for(warehouse_url).connect() as conn:
        assert stored_version(conn, COMPANY_KEY) == COMPANY_KEY_VERSION == 2
        assert conn.execute(select(key_versions.c.run_id)).scalar() == "run-2"


def test_the_re_key_is_done_once(warehouse_url: str, caplog) -> None:
    migrate(warehouse_url)
    _reset(warehouse_url, [_person("p1", "Smith and Sons Ltd", "smith and sons")])
    engine = engine_for(warehouse_url)
    assert rekey_company_keys(engine) == 1
    with engine.begin() as conn:  # a key the rule would change, stored after the version was recorded
        conn.execute(people.update().values(company_key="smith and sons"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="leadpipe"):
        assert rekey_company_keys(engine) == 0  # the recorded version is current: nothing read, nothing logged
    assert _rows(warehouse_url)["p1"]["company_key"] == "smith and sons" and "re-keyed" not in caplog.text


def test_an_empty_warehouse_records_the_version(warehouse_url: str) -> None:
    migrate(warehouse_url)
    assert rekey_company_keys(engine_for(warehouse_url)) == 0
    with engine_for(warehouse_url).connect() as conn:
        assert stored_version(conn, COMPANY_KEY) == 2


_NAMES = st.sampled_from([*OLD_KEYS, "The Y Company", "And Co", "Ltd", "", "-", "García y Hermanos S.L.", "Éléphant et Cie"])
_STORED = st.one_of(st.none(), st.just(""), st.sampled_from([*OLD_KEYS.values(), "acme", "and", "y"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.none(), _NAMES), _STORED, st.booleans()), max_size=12),
       st.integers(1, 5))
def test_the_re_key_changes_only_company_keys_that_differ(warehouse_url: str, stored: list, chunk: int) -> None:
    """Whatever keys the people carry (the old rule's, the new one's, blank, NULL, another name's): after the
    re-key every key is the one the rule gives the company (NULL for none), rows whose key was already that are
    untouched, and no other column of any row changes; the count is the rows changed; a second pass changes
    nothing."""
    migrate(warehouse_url)
    # a third of the people already carry the current key: the rule's own
    persons = [_person(f"p{i:02}", company, company_key(company) or None if current else key)
               for i, (company, key, current) in enumerate(stored)]
    _reset(warehouse_url, persons)
    before = _rows(warehouse_url)
    changed = rekey_company_keys(engine_for(warehouse_url), chunk=chunk)
    after = _rows(warehouse_url)
    assert after.keys() == before.keys()
    differ = {pid for pid, row in before.items() if (row["company_key"] or "") != company_key(row["company"])}
    assert changed == len(differ)
    for pid, row in after.items():
        expected = {**before[pid], "company_key": company_key(row["company"]) or None} if pid in differ \
            else before[pid]
        assert row == expected, pid
    with engine_for(warehouse_url).begin() as conn:
        conn.execute(delete(key_versions))  # as if the version had not been recorded: the pass finds nothing
    assert rekey_company_keys(engine_for(warehouse_url), chunk=chunk) == 0
    assert _rows(warehouse_url) == after


# ---------------------------------------------------------------- an increment, through the dedupe stage


def _validated(rows: list[dict], first_id: int) -> pd.DataFrame:
    """Validated rows as normalise leaves them: name and company only (no email, phone or domain to match on)."""
    return pd.DataFrame([{"raw_row_id": first_id + i, "source": "v", "source_file": "f.csv", "source_row": first_id + i,
                          "source_kind": "purchased", "email": "", "first_name": r["first_name"],
                          "last_name": r["last_name"], "company": r["company"],
                          "company_key": r.get("company_key", company_key(r["company"])), "job_title": "CTO"}
                         for i, r in enumerate(rows)])


def _dedupe_run(run_id: str, batch: pd.DataFrame) -> dict[int, str]:
    """The dedupe stage as the DAG maps it, on the validated batch; raw row id -> person id."""
    ctx = stages.RunContext(load_config(), run_id)
    migrate(ctx.cfg.warehouse_url)
    with ctx.engine.begin() as conn:  # membership and outcomes point at raw rows (foreign keys on PostgreSQL)
        conn.execute(insert(raw_rows), [{"id": int(r), "run_id": run_id, "source": "v", "source_file": "f.csv",
                                         "source_row": int(r), "payload": {}, "ingested_at": datetime.now(UTC)}
                                        for r in batch["raw_row_id"]])
    write_frame(batch, ctx.folder / "validated" / "v.parquet")
    stages.dedupe_merge(ctx, [stages.dedupe_score(ctx, p) for p in stages.dedupe_plan(ctx)])
    with ctx.engine.connect() as conn:
        return dict(conn.execute(select(membership.c.raw_row_id, membership.c.person_id)).all())


FIRST_RUN = [{"first_name": "Katharina", "last_name": "Schneider"}, {"first_name": "Thomas", "last_name": "Berg"},
             {"first_name": "Eva", "last_name": "Lang"}]


@pytest.fixture
def stage_home(home: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    return home


@pytest.mark.parametrize(("stored_as", "old_key", "later_as"), [
    ("Smith & Sons Ltd", "smith sons", "Smith and Sons Ltd"),  # the new rule gives the later row the old key
    ("Smith and Sons Ltd", "smith and sons", "Smith & Sons"),  # found only once the stored key is re-keyed
    ("Müller u. Söhne GmbH", "müller u söhne", "Müller & Söhne GmbH"),
    ("Acme GmbH und Co. KG", "acme gmbh und", "ACME GmbH & Co. KG"),
])
def test_an_increment_merges_into_a_person_stored_under_the_old_key(stage_home: Path, stored_as: str, old_key: str,
                                                                    later_as: str) -> None:
    """A warehouse of the old rule (its keys written by hand as that rule gave them, no key version recorded):
    the same person, her last name mistyped and the company spelt the other way, joins the stored person. Only
    the company key finds her (company + first name): the full name, email and domain do not."""
    first = _dedupe_run("run-1", _validated([{**r, "company": stored_as, "company_key": old_key}
                                             for r in FIRST_RUN], 1))
    url = load_config().warehouse_url
    with engine_for(url).begin() as conn:
        conn.execute(delete(key_versions))  # what a warehouse stored before versions existed carries
    assert {r["company_key"] for r in _rows(url).values()} == {old_key}
    later = _dedupe_run("run-2", _validated([{"first_name": "Katharina", "last_name": "Schnieder",
                                              "company": later_as}], 10))
    assert later[10] == first[1]  # Katharina Schneider: the person stored in run 1
    assert len(_rows(url)) == 3

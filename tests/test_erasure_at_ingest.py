"""An erased person is blocked at ingest: a re-bought list or a web form never puts their data back.

`forget` leaves only hashed tombstones. These tests re-sell the erased person (email in another case and with
spaces, or only their phone in national format) and then grep every warehouse table and every run file for
the email, names and phone right after the ingest stage, not only at the end of the run: before the guard
the raw rows held them until `qualify` erased them again.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from connectors.sources.forms.inbox import FormInboxSource
from leadpipe.airflow_app.forms_webhook import store_unless_erased
from leadpipe.pipeline import stages
from leadpipe.pipeline.erasure_guard import REASON, ErasureGuard
from leadpipe.pipeline.forget import forget
from leadpipe.pipeline.ingest import load_state, store_unit
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import Config, SourceConfig, load_config
from leadpipe.store.form_inbox import FormInbox
from leadpipe.store.warehouse import engine_for, form_inbox, migrate, outcomes
from tests.pipeline_checks import assert_ledger_adds_up
from tests.test_compliance_pipeline import CONTROL, FORGET_ME, HEADER, _all_text, _sink_emails, setup  # noqa: F401

EMAIL, FIRST, LAST = FORGET_ME[4], FORGET_ME[0], FORGET_ME[1]
KEY = b"a-test-tombstone-key-of-some-length"
NEEDLES = (EMAIL, FIRST.lower(), LAST.lower(), "415 555 0190", "4155550190", "555-0190")


def _write(path: Path, rows: list[tuple]) -> None:
    """A vendor list as written by another vendor: (first, last, email, phone) over the CONTROL template."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for first, last, email, phone in rows:
            _, _, title, company, _, _, site, state, country, emp = CONTROL if first == CONTROL[0] else FORGET_ME
            w.writerow([first, last, title, company, email, phone, site, "", state, country, emp, "Software"])


def _run_files_text(run_dir: Path) -> str:
    chunks = []
    for path in sorted(p for p in run_dir.glob("**/*") if p.is_file()):
        if path.suffix == ".parquet":
            chunks.append(pd.read_parquet(path).astype(str).to_csv(index=False))
        else:
            chunks.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(chunks).lower()


def _forget_after_first_run(cfg: Config) -> None:
    _write(cfg.home / "inputs" / "i7" / "list_1.csv",
           [CONTROL[:2] + (CONTROL[4], CONTROL[5]), (FIRST, LAST, EMAIL, FORGET_ME[5])])
    run_pipeline(cfg, "run-1")
    assert EMAIL in _sink_emails(cfg, "run-1")  # the person did get through before the erasure
    forget(engine_for(cfg.warehouse_url), EMAIL, runs_dir=cfg.runs_dir)
    assert not any(n in _all_text(cfg.warehouse_url) for n in NEEDLES)


@pytest.fixture
def cfg(setup: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:  # noqa: F811
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    return load_config(setup)


def test_a_rebought_erased_person_is_stored_without_personal_data_at_ingest(cfg: Config) -> None:
    _forget_after_first_run(cfg)
    # Re-sold twice: email shouted and padded; and under a private address with only the phone to know them by.
    _write(cfg.home / "inputs" / "i7" / "list_2.csv", [
        (CONTROL[0], CONTROL[1], CONTROL[4], CONTROL[5]),
        (FIRST, LAST, f"  {EMAIL.upper()} ", ""),
        (FIRST.upper(), LAST.upper(), "zq1987@gmail.com", "(415) 555-0190"),
    ])
    stages.start(stages.RunContext(cfg, "run-2"))
    out = stages.ingest_source(stages.RunContext(cfg, "run-2"), "vendor_apollo")

    # Right after ingest, before any later stage could clean up: nothing of the person anywhere.
    stored = _all_text(cfg.warehouse_url)
    for needle in NEEDLES:
        assert needle not in stored, needle
    assert CONTROL[4] in stored  # the scan does see what was ingested
    files = _run_files_text(cfg.runs_dir / "run-2")
    for needle in NEEDLES:
        assert needle not in files, needle
    assert len(pd.read_parquet(out)) == 1  # only the control person goes on
    with engine_for(cfg.warehouse_url).connect() as conn:
        settled = conn.execute(select(outcomes.c.outcome, outcomes.c.reason)
                               .where(outcomes.c.run_id == "run-2")).all()
    assert sorted(settled) == [("suppressed", REASON)] * 2


def test_the_rest_of_the_run_adds_up_and_the_person_never_reaches_the_sink(cfg: Config) -> None:
    _forget_after_first_run(cfg)
    # A new control person in the same list proves the list itself gets through to the CRM.
    _write(cfg.home / "inputs" / "i7" / "list_2.csv", [
        (CONTROL[0], "Oakhurst", "harriet.oakhurst@lakeshore-analytics.com", "+1 312 555 0148"),
        (FIRST, LAST, f" {EMAIL.title()}", FORGET_ME[5]),
    ])
    summary = run_pipeline(cfg, "run-2")
    assert_ledger_adds_up(summary)
    assert {k: n for k, n in summary["outcomes"].items() if n} == {"pushed": 1, "suppressed": 1}
    in_crm = _sink_emails(cfg, "run-2")
    assert EMAIL not in in_crm and "harriet.oakhurst@lakeshore-analytics.com" in in_crm
    for needle in NEEDLES:
        assert needle not in _all_text(cfg.warehouse_url), needle
        assert needle not in _run_files_text(cfg.runs_dir / "run-2"), needle


def test_a_web_form_from_an_erased_person_is_stored_blank_and_suppressed_at_ingest(cfg: Config) -> None:
    _forget_after_first_run(cfg)
    engine = engine_for(cfg.warehouse_url)
    migrate(cfg.warehouse_url)
    form = {"email": f"{EMAIL.upper()} ", "first_name": FIRST, "last_name": LAST, "message": "call me"}
    blocked = store_unless_erased(engine, "contact", "k-1", json.dumps(form).encode(), form, {"too_fast": False})
    other = {"email": "new.person@harbour-labs.com", "first_name": "Ottilie", "last_name": "Brightwater"}
    store_unless_erased(engine, "contact", "k-2", json.dumps(other).encode(), other, {"too_fast": False})
    with engine.connect() as conn:
        stored = conn.execute(select(form_inbox.c.payload).where(form_inbox.c.id == blocked.inbox_id)).scalar()
    assert stored["email"] == "" and stored["last_name"] == "" and "erased" in stored
    for needle in NEEDLES:
        assert needle not in _all_text(cfg.warehouse_url), needle

    src = SourceConfig(name="web_inbox", type="forms", kind="form", preset="web_form")
    source = FormInboxSource("web_inbox", FormInbox(cfg.warehouse_url))
    stages.start(stages.RunContext(cfg, "run-2"))
    (unit,) = source.discover(load_state(engine, "web_inbox"))
    assert store_unit(engine, "run-2", src, source, unit).rows == 2
    with engine.connect() as conn:
        settled = conn.execute(select(outcomes.c.outcome).where(outcomes.c.run_id == "run-2")).scalars().all()
    assert settled == ["suppressed"]  # the blank one; the other person goes on to the later stages


def test_without_tombstones_the_guard_changes_nothing() -> None:
    from connectors.sources.base import RawRecord

    batch = [RawRecord(1, {"Email": "a@b.com", "Phone": "+1 415 555 0190"})]
    assert ErasureGuard().scrub(batch, {"email": "Email"}) == (batch, [False])


@pytest.mark.parametrize(("phone", "country", "erased"), [
    ("+1 415 555 0190", "", True),  # as stored
    ("(415) 555-0190", "United States", True),  # national format, country from the row
    ("415.555.0190", "US", True),
    ("(415) 555-0190", "", False),  # no country: a national number cannot be read
    ("+1 415 555 0191", "US", False),  # someone else
    ("030 1234567", "Deutschland", False),  # another country's number
])
def test_phone_tombstones_match_the_number_however_it_is_written(phone: str, country: str, erased: bool) -> None:
    from connectors.sources.base import RawRecord
    from enrichment.suppress import tombstone_hash

    guard = ErasureGuard(phones=frozenset({tombstone_hash("phone", "+14155550190", KEY),
                                           tombstone_hash("phone", "+49301234568", KEY)}), key=KEY)
    batch = [RawRecord(1, {"Mobile Phone": phone, "Land": country, "Name": "Z. Q."})]
    stored, flags = guard.scrub(batch, {"country": "Land"})  # "Mobile Phone" is found by its header alone
    assert flags == [erased]
    assert (stored[0].payload.get("Mobile Phone") is None) is erased


def test_german_trunk_zero_after_the_country_code_is_dropped() -> None:
    from connectors.sources.base import RawRecord
    from enrichment.suppress import tombstone_hash

    guard = ErasureGuard(phones=frozenset({tombstone_hash("phone", "+49301234567", KEY)}), key=KEY)
    batch = [RawRecord(1, {"Telefon": "+49 (0)30 1234567", "Country": "DE"}),
             RawRecord(2, {"Telefon": "030 1234567", "Country": "Germany"})]
    assert guard.scrub(batch, {"country": "Country", "phone": "Telefon"})[1] == [True, True]

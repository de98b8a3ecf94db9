"""Salesforce push against the local HTTPS Salesforce emulator, driven through simple-salesforce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, insert, select

from connectors.sinks.base import SinkAuthError
from connectors.sinks.salesforce.sink import duplicate_reason
from connectors.sinks.settings import SinkSettings
from leadpipe.pipeline.push import make_sink, run_push
from leadpipe.store import ledger
from leadpipe.store.warehouse import engine_for, migrate, outcomes, push_ledger, raw_rows
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.tls import make_test_ca


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_test_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def emu(certs, monkeypatch: pytest.MonkeyPatch):
    e = SalesforceEmulator(str(certs[1]), str(certs[2])).start()
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "conn_type": "salesforce", "host": e.url, "login": "ck-test", "password": "cs-test",
        "extra": {"ca_bundle": str(certs[0])}}))
    yield e
    e.stop()


@pytest.fixture
def engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    return engine_for(url)


def settings(**sf: object) -> SinkSettings:
    return SinkSettings.model_validate({"type": "salesforce", "salesforce": sf})


def prospects(engine, n: int) -> tuple[list[dict], dict[str, int]]:
    records = [{"person_id": f"p{i:05d}", "email": f"person{i}@co{i % 9}.example", "first_name": "Ann",
                "last_name": f"Last{i}", "company": f"Co {i % 9}", "domain": f"co{i % 9}.example", "score": 50,
                "tier": "B", "market": "dach", "seniority": "vp", "lead_source": "Purchased List"} for i in range(n)]
    primary = {}
    with engine.begin() as conn:
        for r in records:
            primary[r["person_id"]] = conn.execute(insert(raw_rows).values(
                run_id="r1", source="vendor", source_file="v.csv", source_row=int(r["person_id"][1:]) + 2,
                payload={}, ingested_at=ledger.now())).inserted_primary_key[0]
    return records, primary


def outcome_of(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(raw_rows.c.source_row, outcomes.c.outcome, outcomes.c.reason)
                            .join(outcomes, outcomes.c.raw_row_id == raw_rows.c.id)).all()
    return {f"p{r.source_row - 2:05d}": (r.outcome, r.reason) for r in rows}


def test_collections_upsert_is_idempotent_and_reports_duplicates(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 450)
    emu.contacts[records[10]["email"]] = "0034M00001uw7M4QAI"  # an existing Contact: the Lead rule blocks it
    records[20] = {**records[20], "last_name": None}  # Lead needs LastName
    counts = run_push(engine, "r1", make_sink(settings(), engine, Path(".")), records, primary)
    assert (counts["confirmed"], counts["failed"]) == (448, 2)
    assert len(emu.calls(r"composite/sobjects/Lead/Prospect_Ext_Id__c")) == 3  # 200 + 200 + 50
    got = outcome_of(engine)
    dup = got[records[10]["person_id"]]
    assert dup[0] == "quarantined" and "DUPLICATES_DETECTED" in dup[1] and "0034M00001uw7M4QAI" in dup[1]
    assert "Standard_Rule_for_Leads_with_Duplicate_Contacts" in dup[1]
    assert "REQUIRED_FIELD_MISSING" in got[records[20]["person_id"]][1]
    ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))

    again = run_push(engine, "r1", make_sink(settings(), engine, Path(".")), records, primary)
    assert again["skip"] == 448 and again["confirmed"] == 0 and again["failed"] == 2  # the two are retried
    assert len(emu.leads) == 448 and emu.created_flags.count(True) == 448


def test_duplicate_reason_reads_both_spellings() -> None:
    for key in ("duplicateResut", "duplicateResult"):
        err = {"statusCode": "DUPLICATES_DETECTED", "message": "Use one of these records?",
               key: {"duplicateRule": "R1", "matchResults": [{"entityType": "Contact",
                                                              "matchRecords": [{"record": {"Id": "003X"}}]}]}}
        assert duplicate_reason(err) == "DUPLICATES_DETECTED: Use one of these records? (rule R1 matched Contact 003X)"


def test_allow_save_header_lets_an_alert_rule_through(certs, engine, monkeypatch) -> None:
    emu = SalesforceEmulator(str(certs[1]), str(certs[2]), rule_allows_save=True, misspelt_key=False).start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "host": emu.url, "login": "ck-test", "password": "cs-test", "extra": {"ca_bundle": str(certs[0])}}))
        records, primary = prospects(engine, 5)
        emu.contacts[records[0]["email"]] = "003A"
        blocked = run_push(engine, "r1", make_sink(settings(), engine, Path(".")), records, primary)
        assert blocked["failed"] == 1
        allowed = run_push(engine, "r1", make_sink(settings(allow_duplicate_save=True), engine, Path(".")),
                           records, primary)
        assert allowed["confirmed"] == 1 and len(emu.leads) == 5
    finally:
        emu.stop()


def test_bulk_api_reads_back_failed_and_unprocessed_records(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 60)
    records[5] = {**records[5], "company": None}
    emu.unprocessed_after = 50
    counts = run_push(engine, "r1", make_sink(settings(bulk_threshold=10, bulk_poll_seconds=0.05), engine, Path(".")),
                      records, primary)
    assert emu.calls(r"/jobs/ingest/\w+/batches", 201) and emu.calls(r"failedResults")
    assert emu.calls(r"(?i)unprocessedrecords")
    assert (counts["confirmed"], counts["failed"], counts["deferred"]) == (49, 1, 10)
    got = outcome_of(engine)
    assert "REQUIRED_FIELD_MISSING" in got[records[5]["person_id"]][1]
    assert all("unprocessed" in got[r["person_id"]][1] for r in records[50:])
    ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))

    emu.unprocessed_after = None
    again = run_push(engine, "r1", make_sink(settings(bulk_threshold=10, bulk_poll_seconds=0.05), engine, Path(".")),
                     records, primary)
    assert again["confirmed"] == 10 and again["skip"] == 49 and len(emu.leads) == 59


def test_request_limit_stops_cleanly(certs, engine, monkeypatch) -> None:
    emu = SalesforceEmulator(str(certs[1]), str(certs[2]), daily=2).start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "host": emu.url, "login": "ck-test", "password": "cs-test", "extra": {"ca_bundle": str(certs[0])}}))
        records, primary = prospects(engine, 700)
        counts = run_push(engine, "r1", make_sink(settings(), engine, Path(".")), records, primary)
        assert (counts["confirmed"], counts["deferred"]) == (400, 300)
        assert all("REQUEST_LIMIT_EXCEEDED" in r for o, r in outcome_of(engine).values() if o == "quarantined")
        ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))
        emu.daily = 100
        again = run_push(engine, "r1", make_sink(settings(), engine, Path(".")), records, primary)
        assert again["confirmed"] == 300 and len(emu.leads) == 700 and emu.created_flags.count(True) == 700
    finally:
        emu.stop()


def test_expired_session_fails_fast_and_marks_nothing(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 30)
    sink = make_sink(settings(), engine, Path("."))
    emu.expire_sessions()
    with pytest.raises(SinkAuthError, match="INVALID_SESSION_ID.*salesforce_default"):
        run_push(engine, "r1", sink, records, primary)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(push_ledger)).scalar() == 0
    assert outcome_of(engine) == {} and emu.leads == {}


def test_wrong_client_secret_is_a_clear_error(emu: SalesforceEmulator, engine, monkeypatch, certs) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "host": emu.url, "login": "ck-test", "password": "wrong", "extra": {"ca_bundle": str(certs[0])}}))
    with pytest.raises(SinkAuthError, match="invalid_client") as err:
        make_sink(settings(), engine, Path("."))
    assert "wrong" not in str(err.value)


def test_emulator_is_https_only(emu: SalesforceEmulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(f"{emu.url}/services/oauth2/token", timeout=5)  # the system CAs do not trust the test CA


def test_named_list_is_a_campaign_with_matching_members(emu: SalesforceEmulator, engine) -> None:
    from leadpipe.pipeline.push import sync_named_list

    records, primary = prospects(engine, 8)
    sink = make_sink(settings(), engine, Path("."))
    run_push(engine, "r1", sink, records, primary)
    with engine.connect() as conn:
        crm = dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.crm_id)).all())
    first = [r["person_id"] for r in records[:5]]
    res = sync_named_list(sink, "Q3 'DACH' VPs", first, engine)
    [cid] = list(emu.campaigns)
    assert emu.campaigns[cid]["Name"] == "Q3 'DACH' VPs"
    assert {m["LeadId"] for m in emu.members.values()} == {crm[p] for p in first}
    second = [r["person_id"] for r in records[3:8]]
    res = sync_named_list(sink, "Q3 'DACH' VPs", second, engine)
    assert list(emu.campaigns) == [cid] and (res["added"], res["removed"]) == (3, 3)
    assert sorted(m["LeadId"] for m in emu.members.values()) == sorted(crm[p] for p in second)

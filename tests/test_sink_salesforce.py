"""Salesforce push against the local HTTPS Salesforce emulator, driven through simple-salesforce.

Every test's emulator checks the requests against the documented REST / Bulk 2.0 shapes; the `emu`
fixture fails a test in which the sink sent one the docs do not allow (`spec_clean`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, insert, select

from connectors.sinks.base import SinkAuthError, SinkError
from connectors.sinks.salesforce.sink import duplicate_reason
from connectors.sinks.settings import SinkSettings
from leadpipe.pipeline.push import make_sink, run_push
from leadpipe.store import ledger
from leadpipe.store.warehouse import crm_lists, engine_for, migrate, outcomes, push_ledger, raw_rows
from tests.emulators.httpbase import Fault
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.tls import make_test_ca


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_test_ca(tmp_path_factory.mktemp("tls"))


def spec_clean(emu: SalesforceEmulator) -> None:
    """Fail when the sink sent a request the documented Salesforce request shapes do not allow."""
    assert emu.violations == [], f"requests outside the documented Salesforce API: {emu.violations[:3]}"


@pytest.fixture
def emu(certs, monkeypatch: pytest.MonkeyPatch):
    e = SalesforceEmulator(str(certs[1]), str(certs[2])).start()
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "conn_type": "salesforce", "host": e.url, "login": "ck-test", "password": "cs-test",
        "extra": {"ca_bundle": str(certs[0])}}))
    yield e
    e.stop()
    spec_clean(e)


@pytest.fixture
def engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    return engine_for(url)


def settings(**sf: object) -> SinkSettings:
    return SinkSettings.model_validate({"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01, **sf}})


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
    assert emu.calls(r"/unprocessedrecords$", 200) and emu.calls(r"/successfulResults$", 200)
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
    emu = SalesforceEmulator(str(certs[1]), str(certs[2]), daily=3).start()  # the Lead describe + 2 batches
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
    emu.query_page = 2  # the members come back in pages (nextRecordsUrl), as from any big query
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


def _members(emu: SalesforceEmulator, cid: str) -> set[str]:
    return {m["LeadId"] for m in emu.members.values() if m["CampaignId"] == cid}


def test_a_campaign_renamed_in_salesforce_stays_the_list_and_a_deleted_one_is_found_by_name(
        emu: SalesforceEmulator, engine) -> None:
    """The list's Campaign is the one recorded at the last sync: a rep renames "Call list Ann" to "Ann - Q1 calls"
    and the next sync changes that Campaign's members (no second "Call list Ann"); once it is deleted, the
    sync takes the one Campaign of the list's name, here one a user made by hand, and records it."""
    from leadpipe.pipeline.push import sync_named_list

    records, primary = prospects(engine, 6)
    sink = make_sink(settings(), engine, Path("."))
    run_push(engine, "r1", sink, records, primary)
    with engine.connect() as conn:
        crm = dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.crm_id)).all())
    pids = [r["person_id"] for r in records]
    first = sync_named_list(sink, "Call list Ann", pids[:3], engine)
    emu.campaigns[first["list_id"]]["Name"] = "Ann - Q1 calls"

    renamed = sync_named_list(sink, "Call list Ann", pids[2:5], engine)
    assert list(emu.campaigns) == [first["list_id"]] and renamed["list_id"] == first["list_id"]
    assert emu.campaigns[first["list_id"]]["Name"] == "Ann - Q1 calls"  # the rep's name is kept
    assert _members(emu, first["list_id"]) == {crm[p] for p in pids[2:5]}
    assert (renamed["added"], renamed["removed"]) == (2, 2)

    emu.delete_campaign(first["list_id"])
    by_hand = emu.add_campaign("call list ann")
    again = sync_named_list(sink, "Call list Ann", pids[4:], engine)
    assert again["list_id"] == by_hand and list(emu.campaigns) == [by_hand]
    assert _members(emu, by_hand) == {crm[p] for p in pids[4:]}
    assert sync_named_list(sink, "Call list Ann", pids[4:], engine)["list_id"] == by_hand  # recorded


def test_two_campaigns_of_the_lists_name_are_refused_unless_the_last_sync_recorded_one(
        emu: SalesforceEmulator, engine) -> None:
    """Salesforce lets two Campaigns share a name (and SOQL matches it ignoring case). With no Campaign recorded
    for the list, the sync refuses, naming both, and changes nothing; with one recorded it syncs that one and
    leaves the other alone."""
    from leadpipe.pipeline.push import sync_named_list

    records, primary = prospects(engine, 4)
    sink = make_sink(settings(), engine, Path("."))
    run_push(engine, "r1", sink, records, primary)
    pids = [r["person_id"] for r in records]
    first, second = emu.add_campaign("Call list Ben"), emu.add_campaign("CALL LIST BEN")
    with pytest.raises(SinkError) as refused:
        sync_named_list(sink, "Call list Ben", pids, engine)
    assert str(refused.value) == (
        f"2 Campaigns are named 'Call list Ben' (Salesforce compares names ignoring case): {first}, {second}; "
        "which one is this list cannot be told, so none was changed: rename or delete all but one of them in "
        "Salesforce")
    assert emu.members == {} and len(emu.campaigns) == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(crm_lists)).scalar() == 0

    emu.delete_campaign(second)
    assert sync_named_list(sink, "Call list Ben", pids[:2], engine)["list_id"] == first
    twin = emu.add_campaign("Call list Ben")  # made by hand after the list was recorded
    res = sync_named_list(sink, "Call list Ben", pids[1:], engine)
    assert res["list_id"] == first and (res["added"], res["removed"]) == (2, 1)
    assert len(_members(emu, first)) == 3 and _members(emu, twin) == set()


# ---- issue 22: renewal, retries, JWT bearer, picklists, documented shapes -----------------------------------
def sink_for(engine, **sf: object):
    return make_sink(settings(**sf), engine, Path("."))


def test_session_expiry_mid_push_renews_and_finishes(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 450)
    sink = sink_for(engine)
    emu.expire_after = 2  # the describe and the first batch of 200 pass, then the session times out
    counts = run_push(engine, "r1", sink, records, primary)
    assert (counts["confirmed"], counts["deferred"], counts["failed"]) == (450, 0, 0)
    assert emu.logins == ["client_credentials"] * 2  # logged in again once
    assert len(emu.calls(r"composite/sobjects/Lead", 401)) == 1
    ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))
    again = run_push(engine, "r1", sink_for(engine), records, primary)
    assert again["skip"] == 450 and again["confirmed"] == 0
    assert len(emu.leads) == 450 and emu.created_flags.count(True) == 450


def test_renewal_refused_is_an_actionable_error_and_marks_nothing(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 30)
    sink = sink_for(engine)
    emu.client = ("ck-test", "rotated")  # the admin rotated the secret while the run went on
    emu.expire_sessions()
    with pytest.raises(SinkAuthError, match="invalid_client.*salesforce_default.*consumer key and secret"):
        run_push(engine, "r1", sink, records, primary)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(push_ledger)).scalar() == 0
    assert outcome_of(engine) == {} and emu.leads == {}


def test_a_503_is_retried_and_the_push_finishes(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 450)
    emu.inject(Fault(r"composite/sobjects/Lead/", 503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "busy"}],
                     skip=1, times=2, headers={"Retry-After": "0"}))
    counts = run_push(engine, "r1", sink_for(engine), records, primary)
    assert (counts["confirmed"], counts["deferred"]) == (450, 0)
    assert len(emu.calls(r"composite/sobjects/Lead/", 503)) == 2
    again = run_push(engine, "r1", sink_for(engine), records, primary)
    assert again["confirmed"] == 0 and again["skip"] == 450 and emu.created_flags.count(True) == 450


def test_a_503_that_lasts_defers_the_rest_for_the_next_run(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 450)
    emu.inject(Fault(r"composite/sobjects/Lead/", 503, None, skip=1, times=None))
    counts = run_push(engine, "r1", sink_for(engine, retry_attempts=3), records, primary)
    assert (counts["confirmed"], counts["deferred"]) == (200, 250)
    assert len(emu.calls(r"composite/sobjects/Lead/", 503)) == 3  # tried 3 times, then gave up
    assert all("503 after retries" in r for o, r in outcome_of(engine).values() if o == "quarantined")
    emu.faults.clear()
    again = run_push(engine, "r1", sink_for(engine), records, primary)
    assert again["confirmed"] == 250 and len(emu.leads) == 450


def test_unable_to_lock_row_is_retried(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 300)
    emu.lock_rows = {records[3]["person_id"]: 2, records[250]["person_id"]: 1}  # per record, inside a 200
    emu.inject(Fault(r"composite/sobjects/Lead/", 400, [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable "
                     "to obtain exclusive access to this record"}], skip=1))  # the whole request, once
    counts = run_push(engine, "r1", sink_for(engine), records, primary)
    assert (counts["confirmed"], counts["deferred"], counts["failed"]) == (300, 0, 0)
    assert not emu.lock_rows[records[3]["person_id"]] and not emu.lock_rows[records[250]["person_id"]]
    again = run_push(engine, "r1", sink_for(engine), records, primary)
    assert again["skip"] == 300 and emu.created_flags.count(True) == 300


def test_a_lock_that_outlasts_the_retries_is_deferred_not_refused(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 10)
    emu.lock_rows = {records[4]["person_id"]: 99}
    counts = run_push(engine, "r1", sink_for(engine, retry_attempts=3), records, primary)
    assert (counts["confirmed"], counts["deferred"]) == (9, 1)
    assert "UNABLE_TO_LOCK_ROW" in outcome_of(engine)[records[4]["person_id"]][1]
    emu.lock_rows.clear()
    assert run_push(engine, "r1", sink_for(engine), records, primary)["confirmed"] == 1 and len(emu.leads) == 10


def test_bulk_job_polled_several_times_retries_locked_rows(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 40)
    emu.polls_per_job = 4
    emu.lock_rows = {records[7]["person_id"]: 1}  # fails in the job, is sent again through collections
    counts = run_push(engine, "r1", sink_for(engine, bulk_threshold=10, bulk_poll_seconds=0.01), records, primary)
    assert (counts["confirmed"], counts["failed"], counts["deferred"]) == (40, 0, 0)
    assert len(emu.calls(r"/jobs/ingest/\w+$")) >= 4 + 1  # the polls (and the close)
    assert len(emu.calls(r"composite/sobjects/Lead/")) == 1
    again = run_push(engine, "r1", sink_for(engine, bulk_threshold=10, bulk_poll_seconds=0.01), records, primary)
    assert again["skip"] == 40 and emu.created_flags.count(True) == 40


def rsa_pem() -> tuple[str, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture(scope="module")
def keypair() -> tuple[str, bytes]:
    return rsa_pem()


@pytest.fixture
def jwt_emu(certs, keypair):
    e = SalesforceEmulator(str(certs[1]), str(certs[2]), jwt_public_key=keypair[1],
                           jwt_username="leadpipe@acme.example").start()
    yield e
    e.stop()
    spec_clean(e)


def jwt_conn(monkeypatch, emu, certs, private_key: str | None, **extra: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "host": emu.url, "login": "ck-test", "extra": {"ca_bundle": str(certs[0]), "username": "leadpipe@acme.example",
                                                       **({"private_key": private_key} if private_key else {}),
                                                       **extra}}))


def test_jwt_bearer_login_pushes_and_renews(jwt_emu: SalesforceEmulator, engine, monkeypatch, certs,
                                            keypair) -> None:
    jwt_conn(monkeypatch, jwt_emu, certs, keypair[0])
    records, primary = prospects(engine, 250)
    sink = sink_for(engine)
    jwt_emu.expire_after = 1
    counts = run_push(engine, "r1", sink, records, primary)
    assert counts["confirmed"] == 250
    assert jwt_emu.logins == ["urn:ietf:params:oauth:grant-type:jwt-bearer"] * 2  # login, then renewal


def test_jwt_key_from_the_environment(jwt_emu: SalesforceEmulator, engine, monkeypatch, certs, keypair) -> None:
    jwt_conn(monkeypatch, jwt_emu, certs, None)
    monkeypatch.setenv("LEADPIPE_SALESFORCE_PRIVATE_KEY", keypair[0])
    assert "logged in" in sink_for(engine).check()


def test_jwt_with_the_wrong_key_says_what_to_fix(jwt_emu: SalesforceEmulator, engine, monkeypatch,
                                                 certs) -> None:
    other, _ = rsa_pem()
    jwt_conn(monkeypatch, jwt_emu, certs, other)
    with pytest.raises(SinkAuthError) as err:
        sink_for(engine)
    msg = str(err.value)
    assert "invalid assertion" in msg and "certificate" in msg and "salesforce_default" in msg
    assert "PRIVATE KEY" not in msg and other.splitlines()[1] not in msg
    assert jwt_emu.logins == []


def test_jwt_audience_and_unreadable_key_are_actionable(jwt_emu: SalesforceEmulator, engine, monkeypatch, certs,
                                                        keypair) -> None:
    jwt_conn(monkeypatch, jwt_emu, certs, keypair[0], audience="https://acme.my.salesforce.com")
    with pytest.raises(SinkAuthError, match="audience is invalid.*extra.audience"):
        sink_for(engine)
    jwt_conn(monkeypatch, jwt_emu, certs, "not a key")
    with pytest.raises(SinkAuthError, match="not a readable RSA private key"):
        sink_for(engine)


def test_picklist_org_gets_country_and_state_codes(certs, engine, monkeypatch) -> None:
    emu = SalesforceEmulator(str(certs[1]), str(certs[2]), picklists=True).start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "host": emu.url, "login": "ck-test", "password": "cs-test", "extra": {"ca_bundle": str(certs[0])}}))
        records, primary = prospects(engine, 4)
        records[0] = {**records[0], "country": "DE", "state": "DE-BY"}  # the org has no German states on
        records[1] = {**records[1], "country": "US", "state": "US-CA"}
        records[2] = {**records[2], "country": "XX"}  # not an ISO country: refused by the picklist
        counts = run_push(engine, "r1", sink_for(engine), records, primary)
        assert (counts["confirmed"], counts["failed"]) == (3, 1)
        held = {r["Prospect_Ext_Id__c"]: r for r in emu.leads.values()}
        assert held["p00000"]["CountryCode"] == "DE" and "Country" not in held["p00000"]
        assert "StateCode" not in held["p00000"] and "State" not in held["p00000"]
        assert (held["p00001"]["CountryCode"], held["p00001"]["StateCode"]) == ("US", "CA")
        assert "FIELD_INTEGRITY_EXCEPTION" in outcome_of(engine)["p00002"][1]
        again = run_push(engine, "r1", sink_for(engine), records, primary)
        assert again["confirmed"] == 0 and again["skip"] == 3 and emu.created_flags.count(True) == 3
        spec_clean(emu)
    finally:
        emu.stop()


def test_plain_org_keeps_the_country_field(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 1)
    records[0] = {**records[0], "country": "DE"}
    assert run_push(engine, "r1", sink_for(engine), records, primary)["confirmed"] == 1
    [lead] = emu.leads.values()
    assert lead["Country"] == "DE" and "CountryCode" not in lead


def test_a_mapped_field_the_org_lacks_stops_before_writing(emu: SalesforceEmulator, engine) -> None:
    records, primary = prospects(engine, 5)
    bad = SinkSettings.model_validate({"type": "salesforce", "field_map": {"tier": "LP_Tier_Typo__c"}})
    with pytest.raises(SinkError, match="no field.*LP_Tier_Typo__c.*permission set"):
        run_push(engine, "r1", make_sink(bad, engine, Path(".")), records, primary)
    assert emu.leads == {} and not emu.calls(r"composite/sobjects")


def rest_session(emu: SalesforceEmulator) -> tuple[requests.Session, str]:
    """A logged-in session on the emulator and the REST base URL, for requests no sink would send."""
    s = requests.Session()
    s.verify, s.trust_env = emu_ca(emu), False
    token = s.post(f"{emu.url}/services/oauth2/token", data={"grant_type": "client_credentials"},
                   auth=("ck-test", "cs-test"), timeout=10).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    return s, f"{emu.url}/services/data/v59.0"


def test_the_emulator_refuses_requests_outside_the_documented_shapes(emu: SalesforceEmulator) -> None:
    """Sent on purpose: each is answered like Salesforce and recorded, so a sink sending one fails its test."""
    s, base = rest_session(emu)
    lead = {"attributes": {"type": "Lead"}, "Prospect_Ext_Id__c": "x1", "LastName": "A", "Company": "B"}
    too_many = s.patch(f"{base}/composite/sobjects/Lead/Prospect_Ext_Id__c",
                       json={"allOrNone": False, "records": [lead] * 201}, timeout=10)
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    unknown = s.patch(f"{base}/composite/sobjects/Lead/Prospect_Ext_Id__c",
                      json={"allOrNone": False, "records": [{**lead, "Shoe_Size__c": "44"}]}, timeout=10)
    assert unknown.status_code == 400 and unknown.json()[0] == {
        "message": "No such column 'Shoe_Size__c' on sobject of type Lead", "errorCode": "INVALID_FIELD",
        "fields": ["Shoe_Size__c"]}
    job = s.post(f"{base}/jobs/ingest", json={"object": "Lead", "operation": "upsert",
                                               "externalIdFieldName": "Prospect_Ext_Id__c"}, timeout=10).json()
    wrong_case = s.get(f"{base}/jobs/ingest/{job['id']}/unprocessedRecords", timeout=10)  # simple-salesforce's
    assert wrong_case.status_code == 404
    assert s.get(f"{base}/jobs/ingest/{job['id']}/unprocessedrecords/", timeout=10).status_code == 200
    assert emu.leads == {} and len(emu.violations) == 3
    with pytest.raises(AssertionError, match="outside the documented Salesforce API"):
        spec_clean(emu)
    emu.violations.clear()  # sent on purpose; the fixture checks the rest of the test stayed clean


def test_the_emulator_answers_campaign_calls_as_the_rest_api_does(emu: SalesforceEmulator) -> None:
    """The calls a named list makes: Campaign Name is required and at most 80 characters (STRING_TOO_LONG);
    SOQL finds it by Name in any case (case-insensitive unless a field is unique and case-sensitive), every
    Campaign of that name (names are not unique), and by its 15- or 18-character Id unless deleted; a
    CampaignMember that exists already is DUPLICATE_VALUE per record, in a 200; a field CampaignMember lacks
    fails the whole request."""
    s, base = rest_session(emu)
    long = s.post(f"{base}/sobjects/Campaign/", json={"Name": "x" * 81}, timeout=10)
    assert long.status_code == 400 and long.json()[0]["errorCode"] == "STRING_TOO_LONG"
    assert s.post(f"{base}/sobjects/Campaign/", json={"IsActive": True}, timeout=10).json()[0]["errorCode"] == \
        "REQUIRED_FIELD_MISSING"
    made = s.post(f"{base}/sobjects/Campaign/", json={"Name": "Call list Ann", "IsActive": True}, timeout=10)
    assert made.status_code == 201 and made.json()["success"] is True
    found = s.get(f"{base}/query/", params={"q": "SELECT Id FROM Campaign WHERE Name = 'call LIST ann'"}, timeout=10)
    assert [r["Id"] for r in found.json()["records"]] == [made.json()["id"]]
    by_id = {i: s.get(f"{base}/query/", params={"q": f"SELECT Id FROM Campaign WHERE Id = '{i}'"}, timeout=10)
             for i in (made.json()["id"], made.json()["id"][:15], "701nope")}
    assert [r["Id"] for r in by_id[made.json()["id"]].json()["records"]] == [made.json()["id"]]
    assert [r["Id"] for r in by_id[made.json()["id"][:15]].json()["records"]] == [made.json()["id"]]  # 15 chars too
    assert by_id["701nope"].status_code == 400 and by_id["701nope"].json()[0]["errorCode"] == \
        "INVALID_QUERY_FILTER_OPERATOR"
    twin = emu.add_campaign("CALL LIST ANN")  # a user made one by hand: Salesforce does not keep names unique
    found = s.get(f"{base}/query/", params={"q": "SELECT Id FROM Campaign WHERE Name = 'Call list Ann'"}, timeout=10)
    assert sorted(r["Id"] for r in found.json()["records"]) == sorted([made.json()["id"], twin])
    emu.delete_campaign(twin)
    gone = s.get(f"{base}/query/", params={"q": f"SELECT Id FROM Campaign WHERE Id = '{twin}'"}, timeout=10)
    assert gone.status_code == 200 and gone.json()["records"] == []  # deleted: only queryAll would return it

    lead = s.patch(f"{base}/composite/sobjects/Lead/Prospect_Ext_Id__c", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "Prospect_Ext_Id__c": "x1", "LastName": "A", "Company": "B"}]},
        timeout=10).json()[0]["id"]
    member = {"attributes": {"type": "CampaignMember"}, "CampaignId": made.json()["id"], "LeadId": lead}
    twice = s.post(f"{base}/composite/sobjects", json={"allOrNone": False, "records": [member, member]}, timeout=10)
    assert twice.status_code == 200
    assert [a["success"] for a in twice.json()] == [True, False]
    assert twice.json()[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert emu.violations == []
    odd = s.post(f"{base}/composite/sobjects", json={"allOrNone": False, "records": [{**member, "Score__c": 1}]},
                 timeout=10)
    assert odd.status_code == 400 and odd.json()[0]["errorCode"] == "INVALID_FIELD"
    assert len(emu.members) == 1 and len(emu.violations) == 1
    emu.violations.clear()  # sent on purpose


def emu_ca(emu: SalesforceEmulator) -> str:
    return json.loads(os.environ["AIRFLOW_CONN_SALESFORCE_DEFAULT"])["extra"]["ca_bundle"]


@pytest.mark.parametrize("bulk_threshold", [2000, 1])  # sObject Collections, then Bulk API 2.0 (CSV)
def test_leads_get_street_lines_city_state_and_postcode(emu: SalesforceEmulator, engine,
                                                        bulk_threshold: int) -> None:
    records, primary = prospects(engine, 2)
    records[0] = {**records[0], "street": "Hauptstraße 5", "address_line2": "Hinterhaus, 3. OG", "city": "Berlin",
                  "postcode": "10115", "state": "US-CA", "country": "DE"}  # a state of another country stays out
    records[1] = {**records[1], "street": "123 Main Street", "city": "Springfield", "state": "US-IL",
                  "postcode": "62701", "country": "US"}
    counts = run_push(engine, "r1", make_sink(settings(bulk_threshold=bulk_threshold, bulk_poll_seconds=0.05),
                                              engine, Path(".")), records, primary)
    assert counts["confirmed"] == 2
    held = {r["Prospect_Ext_Id__c"]: r for r in emu.leads.values()}
    de, us = held["p00000"], held["p00001"]
    assert (de["Street"], de["City"], de["PostalCode"]) == ("Hauptstraße 5\nHinterhaus, 3. OG", "Berlin", "10115")
    assert "State" not in de and de["Country"] == "DE"
    assert (us["Street"], us["City"], us["State"], us["PostalCode"]) == ("123 Main Street", "Springfield", "IL",
                                                                          "62701")

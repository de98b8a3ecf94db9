"""HubSpot push against the local HubSpot API emulator, driven through the official hubspot-api-client."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from connectors.sinks.base import SinkAuthError, SinkError, SinkQuotaExhausted
from connectors.sinks.hubspot.settings import CUSTOM_CONTACT_PROPS, HubSpotSettings
from connectors.sinks.hubspot.sink import HubSpotSink
from connectors.sinks.settings import SinkSettings
from leadpipe.pipeline.push import run_push, sync_named_list
from leadpipe.store import ledger
from leadpipe.store.warehouse import (
    crm_lists,
    engine_for,
    migrate,
    outcomes,
    push_ledger,
    quarantine,
    raw_rows,
)
from tests.emulators.httpbase import Fault
from tests.emulators.hubspot import HubSpotEmulator

TOKEN = "pat-na1-test"


@pytest.fixture
def emu():
    e = HubSpotEmulator(token=TOKEN).start()
    yield e
    e.stop()


@pytest.fixture
def engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    return engine_for(url)


def make_sink(emu: HubSpotEmulator, token: str = TOKEN, window: float = 10.0, sleep=time.sleep, policies=None,
              **kw: object) -> HubSpotSink:
    settings = HubSpotSettings(host=emu.url, **{"concurrency": 1, **kw})
    return HubSpotSink(settings, token, SinkSettings().mapping_for("hubspot"), policies, window=window, sleep=sleep)


def prospects(engine, n: int, run_id: str = "r1") -> tuple[list[dict], dict[str, int]]:
    """n prospects, each with one raw row in the warehouse (the row the push outcome is recorded for)."""
    records = [{"person_id": f"p{i:05d}", "email": f"Person{i}@Company{i % 40}.example", "first_name": f"First{i}",
                "last_name": f"Last{i}", "company": f"Company {i % 40}", "domain": f"company{i % 40}.example",
                "job_title": "CTO", "score": 40 + i % 50, "tier": "B", "market": "dach", "seniority": "c_level",
                "lead_source": "vendor"} for i in range(n)]
    primary = {}
    with engine.begin() as conn:
        for r in records:
            primary[r["person_id"]] = conn.execute(insert(raw_rows).values(
                run_id=run_id, source="vendor", source_file="vendor.csv", source_row=int(r["person_id"][1:]) + 2,
                payload={}, ingested_at=ledger.now())).inserted_primary_key[0]
    return records, primary


def outcome_of(engine) -> dict[str, tuple[str, str]]:
    """person_id -> (outcome, reason), via the prospect's raw row."""
    with engine.connect() as conn:
        rows = conn.execute(select(raw_rows.c.source_row, outcomes.c.outcome, outcomes.c.reason)
                            .join(outcomes, outcomes.c.raw_row_id == raw_rows.c.id)).all()
    return {f"p{r.source_row - 2:05d}": (r.outcome, r.reason) for r in rows}


def ledger_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(push_ledger)).scalar()


def test_rerun_creates_nothing_new_and_a_change_updates(emu: HubSpotEmulator, engine) -> None:
    records, primary = prospects(engine, 250)
    first = run_push(engine, "r1", make_sink(emu), records, primary)
    assert first["create"] == 250 and first["confirmed"] == 250
    assert len(emu.objects["contacts"]) == 250 and emu.upsert_flags.count(True) == 250
    assert {o for o, _ in outcome_of(engine).values()} == {"pushed"}
    calls_before = len(emu.calls("batch/upsert"))

    second = run_push(engine, "r1", make_sink(emu), records, primary)
    assert second["skip"] == 250 and second["confirmed"] == 0
    assert len(emu.calls("contacts/batch/upsert")) == len(emu.calls("contacts/batch/upsert")[:calls_before])
    assert len(emu.objects["contacts"]) == 250
    assert {o for o, _ in outcome_of(engine).values()} == {"merged"}

    records[7] = {**records[7], "score": 99}
    third = run_push(engine, "r1", make_sink(emu), records, primary)
    assert (third["update"], third["skip"], third["confirmed"]) == (1, 249, 1)
    assert len(emu.objects["contacts"]) == 250 and emu.upsert_flags[-1] is False
    contact = next(o for o in emu.objects["contacts"].values() if o["properties"]["email"] == "person7@company7.example")
    assert contact["properties"]["lp_score"] == "99"
    # companies upserted on the unique domain key, and every contact linked to its company
    assert len(emu.objects["companies"]) == 40
    assert emu.props["companies"]["lp_domain_key"]["hasUniqueValue"] is True
    assert len(emu.assocs) == 250


def test_207_with_three_bad_records_pushes_97_and_the_ledger_adds_up(emu: HubSpotEmulator, engine) -> None:
    records, primary = prospects(engine, 100)
    bad = {records[i]["email"].lower() for i in (3, 50, 99)}
    for email in bad:
        emu.reject[email] = ("VALIDATION_ERROR", f"Email address {email} is invalid")
    counts = run_push(engine, "r1", make_sink(emu), records, primary)
    assert (counts["confirmed"], counts["failed"]) == (97, 3)
    assert emu.calls("contacts/batch/upsert", 207)
    got = outcome_of(engine)
    refused = {pid: reason for pid, (o, reason) in got.items() if o == "quarantined"}
    assert set(refused) == {records[i]["person_id"] for i in (3, 50, 99)}
    for i in (3, 50, 99):
        assert "VALIDATION_ERROR" in refused[records[i]["person_id"]]
        assert f"Email address {records[i]['email'].lower()} is invalid" in refused[records[i]["person_id"]]
    assert sum(o == "pushed" for o, _ in got.values()) == 97
    ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))
    assert ledger_count(engine) == 97
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine)
                            .where(quarantine.c.check_name == "crm_refused")).scalar() == 3

    emu.reject.clear()  # the data was fixed in HubSpot: the re-run retries exactly the three
    again = run_push(engine, "r1", make_sink(emu), records, primary)
    assert (again["create"], again["skip"], again["confirmed"]) == (3, 97, 3)
    assert {o for o, _ in outcome_of(engine).values()} <= {"pushed", "merged"}
    assert len(emu.objects["contacts"]) == 100 and ledger_count(engine) == 100


@pytest.mark.parametrize("retry_after", [False, True])
def test_429_storm_slows_the_push_without_failing_or_exceeding_the_rate(engine, retry_after: bool) -> None:
    # Time scaled down: a 1-second window. The client is configured for 8 requests per window while the
    # "portal" allows only 5, so HubSpot answers 429s (a storm) on top of 6 injected ones.
    emu = HubSpotEmulator(token=TOKEN, burst=5, window=1.0, retry_after=retry_after).start()
    try:
        emu.inject(Fault(r"contacts/batch/upsert", 429, {
            "status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}, skip=2, times=6))
        records, primary = prospects(engine, 1500)
        sink = make_sink(emu, window=1.0, requests_per_10s=8, match_existing=False, concurrency=2)
        started = time.monotonic()
        counts = run_push(engine, "r1", sink, records, primary)
        elapsed = time.monotonic() - started
    finally:
        emu.stop()
    assert counts["confirmed"] == 1500 and len(emu.objects["contacts"]) == 1500
    assert sink.stats.rate_limited >= 6
    assert emu.max_in_any_window() <= 5  # the CRM's limit held
    sent = sorted(e["t"] for e in emu.log)
    worst = max(sum(1 for t in sent[i:] if t - sent[i] < 1.0) for i in range(len(sent)))
    assert worst <= 8  # and we never sent more than the configured rate, 429s included
    assert elapsed >= 2.0  # it slowed down: ~22 calls at <= 5/s plus pauses


def test_daily_limit_stops_cleanly_and_the_next_run_finishes(engine) -> None:
    # 1 property read + one creation per lp_* property the mapping writes, then 5 of the 10 contact batches
    created = {p for p in SinkSettings().mapping_for("hubspot").values() if p in CUSTOM_CONTACT_PROPS}
    assert len(created) == 22  # 14 before the channel readiness properties, 8 of those
    emu = HubSpotEmulator(token=TOKEN, daily=1 + len(created) + 5).start()
    try:
        records, primary = prospects(engine, 1000)
        counts = run_push(engine, "r1", make_sink(emu, match_existing=False, associate_companies=False),
                          records, primary)
        assert counts["deferred"] > 0 and counts["confirmed"] + counts["deferred"] == 1000
        pushed_first = counts["confirmed"]
        assert len(emu.objects["contacts"]) == pushed_first == ledger_count(engine)
        got = outcome_of(engine)
        deferred = [r for o, r in got.values() if o == "quarantined"]
        assert len(deferred) == 1000 - pushed_first
        assert all("daily API limit" in r and "next run" in r for r in deferred)
        ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))

        emu.daily = 10_000  # the next day
        again = run_push(engine, "r1", make_sink(emu, match_existing=False, associate_companies=False),
                         records, primary)
        assert again["skip"] == pushed_first and again["confirmed"] == 1000 - pushed_first
        assert len(emu.objects["contacts"]) == 1000 and emu.upsert_flags.count(True) == 1000
    finally:
        emu.stop()


def test_expired_token_fails_fast_and_marks_nothing_pushed(emu: HubSpotEmulator, engine) -> None:
    records, primary = prospects(engine, 300)
    sink = make_sink(emu, token="pat-na1-expired-secret")
    started = time.monotonic()
    with pytest.raises(SinkAuthError) as err:
        run_push(engine, "r1", sink, records, primary)
    assert time.monotonic() - started < 5
    msg = str(err.value)
    assert "401" in msg and "INVALID_AUTHENTICATION" in msg and "hubspot_default" in msg
    assert "pat-na1-expired-secret" not in msg
    assert len(emu.log) == 1  # one call, no retries
    assert ledger_count(engine) == 0 and outcome_of(engine) == {}
    assert emu.objects["contacts"] == {}


@pytest.mark.parametrize("applied", [False, True], ids=["lost-request", "lost-answer"])
def test_crash_after_n_of_m_batches_then_rerun_has_exactly_m_batches(emu: HubSpotEmulator, engine,
                                                                     applied: bool) -> None:
    m, n = 8, 3
    records, primary = prospects(engine, m * 100)
    # batch n+1's connection drops (after HubSpot applied it, for 'lost-answer'); no retries: the run dies
    emu.inject(Fault(r"contacts/batch/upsert", 0, close=True, apply_first=applied, skip=n, times=1))
    sink = make_sink(emu, match_existing=False, associate_companies=False, max_retries=0)
    with pytest.raises(SinkError):
        run_push(engine, "r1", sink, records, primary)
    assert ledger_count(engine) == n * 100
    assert len(emu.objects["contacts"]) == ((n + 1) * 100 if applied else n * 100)

    counts = run_push(engine, "r1", make_sink(emu, match_existing=False, associate_companies=False), records, primary)
    assert counts["skip"] == n * 100 and counts["confirmed"] == (m - n) * 100
    emails = emu.contact_emails()
    assert len(emails) == len(set(emails)) == m * 100
    assert emu.upsert_flags.count(True) == m * 100  # each record created exactly once
    assert ledger_count(engine) == m * 100
    assert {o for o, _ in outcome_of(engine).values()} == {"pushed", "merged"}
    ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))


def test_423_and_5xx_are_retried_with_backoff(emu: HubSpotEmulator, engine) -> None:
    waits: list[float] = []
    emu.inject(Fault(r"contacts/batch/upsert", 423, {"status": "error", "category": "LOCKED",
                                                      "message": "Locked"}, times=1))
    emu.inject(Fault(r"contacts/batch/upsert", 503, {"status": "error", "message": "unavailable"}, times=2))
    emu.inject(Fault(r"contacts/batch/upsert", 0, close=True, times=1))
    records, primary = prospects(engine, 150)
    sink = make_sink(emu, sleep=waits.append, match_existing=False)
    counts = run_push(engine, "r1", sink, records, primary)
    assert counts["confirmed"] == 150 and sink.stats.transient == 4
    assert waits[0] >= 2.0  # HubSpot asks for >= 2 s after a 423
    assert len(emu.objects["contacts"]) == 150


def test_write_policy_keeps_sales_edits_and_conflicts_go_to_review(emu: HubSpotEmulator, engine) -> None:
    records, primary = prospects(engine, 3)
    emu.objects["contacts"]["9001"] = {"id": "9001", "createdAt": "2026-01-05T10:00:00Z", "properties": {
        "hs_object_id": "9001", "email": records[0]["email"].lower(), "firstname": "Janet", "jobtitle": ""}}
    emu.objects["contacts"]["9002"] = {"id": "9002", "createdAt": "2026-01-05T10:00:00Z", "properties": {
        "hs_object_id": "9002", "email": records[1]["email"].lower(), "lp_person_id": "someone-else"}}
    sink = make_sink(emu, policies={"first_name": "fill_blank", "job_title": "fill_blank", "tier": "never"})
    counts = run_push(engine, "r1", sink, records, primary)
    assert (counts["create"], counts["update"], counts["review"]) == (1, 1, 1)
    kept = emu.objects["contacts"]["9001"]["properties"]
    assert kept["firstname"] == "Janet"  # a sales edit survives fill_blank
    assert kept["jobtitle"] == "CTO"  # a blank gets filled
    assert "lp_tier" not in kept and kept["lp_score"] == str(records[0]["score"])
    assert "lp_score" not in emu.objects["contacts"]["9002"]["properties"]  # review: not written
    got = outcome_of(engine)
    assert got[records[1]["person_id"]][0] == "quarantined" and "someone-else" in got[records[1]["person_id"]][1]
    assert got[records[0]["person_id"]] == ("pushed", "updated in hubspot CRM as 9001")


def test_named_list_matches_the_given_people(emu: HubSpotEmulator, engine) -> None:
    records, primary = prospects(engine, 10)
    sink = make_sink(emu)
    run_push(engine, "r1", sink, records, primary)
    with engine.connect() as conn:
        crm = dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.crm_id)).all())
    first = [r["person_id"] for r in records[:6]]
    res = sync_named_list(sink, "DACH CTOs", first + ["never-pushed"], engine)
    [lid] = list(emu.lists)
    assert emu.lists[lid]["processingType"] == "MANUAL" and emu.lists[lid]["name"] == "DACH CTOs"
    assert emu.members[lid] == {crm[p] for p in first}
    assert (res["added"], res["removed"], res["not_in_crm"]) == (6, 0, 1)

    second = [r["person_id"] for r in records[4:9]]
    res = sync_named_list(sink, "DACH CTOs", second, engine)
    assert list(emu.lists) == [lid] and emu.members[lid] == {crm[p] for p in second}
    assert (res["added"], res["removed"]) == (3, 4)
    with engine.connect() as conn:
        assert conn.execute(select(crm_lists.c.crm_list_id, crm_lists.c.members)).one() == (lid, 5)


def test_emulator_refuses_upsert_by_domain_and_oversized_batches(emu: HubSpotEmulator) -> None:
    from hubspot import HubSpot
    from hubspot.crm.companies import BatchInputSimplePublicObjectBatchInputUpsert as Batch
    from hubspot.crm.companies import SimplePublicObjectBatchInputUpsert as Input
    from hubspot.crm.companies.exceptions import ApiException

    api = HubSpot(access_token=TOKEN, host=emu.url)
    with pytest.raises(ApiException) as err:
        api.crm.companies.batch_api.upsert(Batch(inputs=[Input(id="acme.com", id_property="domain",
                                                               properties={"name": "Acme"})]))
    assert err.value.status == 400 and "non-unique 0-2 property domain" in err.value.body
    with pytest.raises(ApiException) as err:
        api.crm.companies.batch_api.upsert(Batch(inputs=[Input(id=f"x{i}", id_property="domain", properties={})
                                                         for i in range(101)]))
    assert err.value.status == 400 and "exceeds the limit of 100" in err.value.body
    assert len(emu.violations) == 1 and "exceeds the limit of 100" in emu.violations[0]
    emu.violations.clear()  # sent on purpose; any other violation fails the test when the emulator stops


def test_contacts_get_the_postal_address_in_hubspots_default_properties(emu: HubSpotEmulator, engine) -> None:
    records, primary = prospects(engine, 2)
    records[0] = {**records[0], "street": "123 Main Street", "address_line2": "Suite 200", "city": "Springfield",
                  "state": "US-IL", "postcode": "62701", "country": "US"}
    counts = run_push(engine, "r1", make_sink(emu), records, primary)
    assert counts["confirmed"] == 2
    by_email = {o["properties"]["email"]: o["properties"] for o in emu.objects["contacts"].values()}
    c = by_email["person0@company0.example"]
    assert (c["address"], c["city"], c["state"], c["zip"], c["country"]) == \
        ("123 Main Street, Suite 200", "Springfield", "IL", "62701", "US")
    assert not {"address", "city", "zip"} & set(by_email["person1@company1.example"])


def test_emulator_answers_for_a_deleted_and_an_unknown_list_as_hubspot_does(emu: HubSpotEmulator) -> None:
    """Lists v3 through the official client: a deleted list is still answered by id (200, `deletedAt` set:
    HubSpot keeps it restorable for 90 days, HubSpot/hubspot-api-php#486) but no longer by name (404); an id
    HubSpot does not hold answers 404 with the spec's error object (category, message, correlationId)."""
    from hubspot import HubSpot
    from hubspot.crm.lists import ListCreateRequest
    from hubspot.crm.lists.exceptions import ApiException

    lists = HubSpot(access_token=TOKEN, host=emu.url).crm.lists.lists_api
    lid = lists.create(ListCreateRequest(name="DACH CTOs", object_type_id="0-1", processing_type="MANUAL")).list.list_id
    assert lists.get_by_id(lid).list.deleted_at is None
    assert lists.get_by_name(list_name="DACH CTOs", object_type_id="0-1").list.list_id == lid

    lists.remove(lid)
    gone = lists.get_by_id(lid).list
    assert (gone.list_id, gone.name, gone.deleted_at is not None) == (lid, "DACH CTOs", True)
    with pytest.raises(ApiException) as err:
        lists.get_by_name(list_name="DACH CTOs", object_type_id="0-1")
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        lists.get_by_id("424242")
    body = json.loads(err.value.body)
    assert err.value.status == 404 and body["category"] == "OBJECT_NOT_FOUND" and body["correlationId"]
    assert "424242" in body["message"]


def _pushed(emu: HubSpotEmulator, engine, n: int) -> tuple[list[str], dict[str, str]]:
    """n people pushed to HubSpot by the nightly push -> (their person ids, person id -> contact id)."""
    records, primary = prospects(engine, n)
    run_push(engine, "r1", make_sink(emu), records, primary)
    with engine.connect() as conn:
        return [r["person_id"] for r in records], dict(conn.execute(select(push_ledger.c.person_id,
                                                                            push_ledger.c.crm_id)).all())


def _recorded(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(crm_lists.c.crm_list_id, crm_lists.c.members))]


@pytest.mark.parametrize("gone", ["deleted", "deleted, then remade by hand", "purged"])
def test_a_list_deleted_in_hubspot_is_synced_into_the_live_list_of_its_name_or_a_new_one(
        emu: HubSpotEmulator, engine, gone: str) -> None:
    """A user deleted "DACH CTOs" in HubSpot after its first sync (HubSpot keeps it 90 days, answered by id with
    deletedAt; after that its id is unknown), or deleted it and made a new static list of that name by hand.
    The next sync fills the live list of the name (the hand-made one, else a new one), and that list's id is
    the one recorded; the deleted list is left as it was."""
    people, crm = _pushed(emu, engine, 6)
    first = sync_named_list(make_sink(emu), "DACH CTOs", people[:3], engine)
    old = first["list_id"]
    emu.delete_list(old)
    if gone == "purged":
        del emu.deleted[old]
    by_hand = None
    if gone.endswith("by hand"):
        by_hand = emu.handle("POST", "/crm/v3/lists", "", {"Authorization": f"Bearer {TOKEN}"}, json.dumps(
            {"name": "DACH CTOs", "objectTypeId": "0-1", "processingType": "MANUAL"}).encode()).body["list"]["listId"]
        emu.members[by_hand] = {crm[people[5]]}

    res = sync_named_list(make_sink(emu), "DACH CTOs", people[:4], engine)
    [live] = list(emu.lists)
    assert live != old and live == (by_hand or live)
    assert emu.lists[live]["name"] == "DACH CTOs" and emu.members[live] == {crm[p] for p in people[:4]}
    assert (res["list_id"], res["added"], res["removed"]) == (live, 4, 1 if by_hand else 0)
    assert _recorded(engine) == [(live, 4)]
    assert emu.members[old] == {crm[p] for p in people[:3]}  # the deleted list is not touched

    again = sync_named_list(make_sink(emu), "DACH CTOs", people[:4], engine)  # the next day: the recorded id
    assert (again["list_id"], again["added"], again["removed"]) == (live, 0, 0) and list(emu.lists) == [live]


ERROR = {"status": "error", "correlationId": "c0ffee00-0000-0000-0000-000000000000"}


@pytest.mark.parametrize(("status", "body", "raised", "said"), [
    (400, {**ERROR, "category": "VALIDATION_ERROR", "message": "listName is invalid"}, SinkError,
     "HubSpot answered 400 on the list 'DACH CTOs' (VALIDATION_ERROR: listName is invalid)"),
    (503, {**ERROR, "category": "SERVICE_UNAVAILABLE", "message": "Service Unavailable"}, SinkError,
     "HubSpot find list still failing after 3 tries: SERVICE_UNAVAILABLE: Service Unavailable"),
    (429, {**ERROR, "message": "You have reached your daily limit.", "errorType": "RATE_LIMIT",
           "policyName": "DAILY"}, SinkQuotaExhausted, "HubSpot daily API limit reached"),
    (401, {**ERROR, "category": "INVALID_AUTHENTICATION", "message": "Authentication credentials not found."},
     SinkAuthError, ("HubSpot refused the credentials on find list (401 INVALID_AUTHENTICATION: Authentication "
                     "credentials not found.); check the private-app token in Airflow Connection 'hubspot_default'")),
])
def test_only_a_list_name_hubspot_does_not_know_leads_to_a_new_list(
        emu: HubSpotEmulator, engine, status: int, body: dict, raised: type, said: str) -> None:
    """The look-up by name answers something other than 404 (a refusal, an outage that outlasts the retries,
    the daily limit, a refused token): that is no proof the list is missing, so no list is made (a second
    "DACH CTOs" would split the list), nothing is recorded, and the error says what HubSpot answered."""
    people, _ = _pushed(emu, engine, 3)
    emu.inject(Fault(r"^/crm/v3/lists/object-type-id/0-1/name/", status, body, times=None))
    with pytest.raises(raised) as err:
        sync_named_list(make_sink(emu, max_retries=2, sleep=lambda s: None), "DACH CTOs", people, engine)
    assert str(err.value).startswith(said)
    assert emu.lists == {} and emu.calls(r"^/crm/v3/lists/?$") == [] and _recorded(engine) == []


def test_an_outage_while_checking_the_recorded_list_makes_no_second_list(emu: HubSpotEmulator, engine) -> None:
    """HubSpot keeps answering 503 when the sync checks the recorded list: the sync fails with HubSpot's words
    and the recorded list stays the list (no look-up by name, no new list); a 429 burst there is waited out."""
    people, crm = _pushed(emu, engine, 3)
    lid = sync_named_list(make_sink(emu), "DACH CTOs", people[:2], engine)["list_id"]
    sent = len(emu.log)
    down = emu.inject(Fault(rf"^/crm/v3/lists/{lid}$", 503, {**ERROR, "category": "SERVICE_UNAVAILABLE",
                                                               "message": "Service Unavailable"}, times=None))
    with pytest.raises(SinkError, match="HubSpot read list still failing after 3 tries: SERVICE_UNAVAILABLE"):
        sync_named_list(make_sink(emu, max_retries=2, sleep=lambda s: None), "DACH CTOs", people, engine)
    assert [e["path"] for e in emu.log[sent:]] == [f"/crm/v3/lists/{lid}"] * 3  # no look-up by name, no create
    assert list(emu.lists) == [lid] and _recorded(engine) == [(lid, 2)]

    emu.faults.remove(down)
    emu.inject(Fault(rf"^/crm/v3/lists/{lid}$", 429, {**ERROR, "message": "You have reached your "
                     "ten_secondly_rolling limit.", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"},
                     times=2))
    res = sync_named_list(make_sink(emu, sleep=lambda s: None), "DACH CTOs", people, engine)
    assert (res["list_id"], res["added"]) == (lid, 1) and emu.members[lid] == set(crm.values())

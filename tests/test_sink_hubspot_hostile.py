"""HubSpot push against spec-valid hostile answers, and the emulator refusing what the official models refuse.

Hostile answers (tests/emulators/hubspot.py `Hostile`): a batch upsert refused whole (400/409) for one bad input,
results echoing neither trace ids nor the idProperty value and in any order, errors without input ids, errors
inside a 200 association answer. With each, no record may be lost or wrongly reported.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.sinks.hubspot.settings import HubSpotSettings
from connectors.sinks.hubspot.sink import HubSpotSink
from connectors.sinks.kit import SinkCase, check_sink
from connectors.sinks.settings import SinkSettings
from leadpipe.pipeline.push import run_push
from leadpipe.store import ledger
from leadpipe.store.warehouse import engine_for, migrate, push_ledger
from tests.emulators.httpbase import Fault
from tests.emulators.hubspot import Hostile, HubSpotEmulator
from tests.test_sink_hubspot import TOKEN, make_sink, outcome_of, prospects


@pytest.fixture
def engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    return engine_for(url)


HOSTILE = {
    "whole-400": Hostile(whole_batch=400, echo=False),
    "whole-409": Hostile(whole_batch=409, echo=False),
    "207-no-echo": Hostile(echo=False, assoc_errors_in_200=True),
}


def crm_ids(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(push_ledger.c.person_id, push_ledger.c.crm_id)).all())


def assert_ids_right(emu: HubSpotEmulator, engine, records: list[dict]) -> None:
    """Every confirmed person's CRM id is the contact holding their email, linked to their company."""
    by_pid = {r["person_id"]: r for r in records}
    company_of = {o["properties"]["lp_domain_key"]: cid for cid, o in emu.objects["companies"].items()}
    for pid, cid in crm_ids(engine).items():
        assert emu.objects["contacts"][cid]["properties"]["email"] == by_pid[pid]["email"].lower(), pid
        assert (cid, company_of[by_pid[pid]["domain"]]) in emu.assocs, pid


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
def test_three_bad_of_100_write_97_and_quarantine_3_with_hubspots_reason(engine, hostile: Hostile) -> None:
    emu = HubSpotEmulator(token=TOKEN, hostile=hostile).start()
    try:
        records, primary = prospects(engine, 100)
        bad = {3: "Email address {} is invalid", 50: "Contact already exists. Existing ID: 4711 ({})",
               99: "Email address {} is invalid"}
        for i, msg in bad.items():
            email = records[i]["email"].lower()
            emu.reject[email] = ("INVALID_EMAIL", msg.format(email))
        sink = make_sink(emu)
        counts = run_push(engine, "r1", sink, records, primary)
        assert (counts["confirmed"], counts["failed"]) == (97, 3)
        got = outcome_of(engine)
        for i, msg in bad.items():
            outcome, reason = got[records[i]["person_id"]]
            assert outcome == "quarantined" and msg.format(records[i]["email"].lower()) in reason
        assert sum(o == "pushed" for o, _ in got.values()) == 97
        assert len(emu.objects["contacts"]) == 97 and len(emu.assocs) == 97
        assert_ids_right(emu, engine, records)
        ledger.check_adds_up(ledger.outcome_counts(engine, "r1"))
        if hostile.whole_batch:
            assert emu.calls("contacts/batch/upsert", hostile.whole_batch) and sink.stats.splits > 0

        upserts = len(emu.calls("contacts/batch/upsert"))
        again = run_push(engine, "r1", make_sink(emu), records, primary)  # still bad: only the 3 are tried
        assert (again["skip"], again["failed"], again["confirmed"]) == (97, 3, 0)
        assert len(emu.objects["contacts"]) == 97 and emu.upsert_flags.count(True) == 97

        emu.reject.clear()  # fixed in HubSpot: exactly the three go in, then nothing more
        fixed = run_push(engine, "r1", make_sink(emu), records, primary)
        assert (fixed["create"], fixed["skip"], fixed["confirmed"]) == (3, 97, 3)
        upserts = len(emu.calls("contacts/batch/upsert"))
        last = run_push(engine, "r1", make_sink(emu), records, primary)
        assert (last["skip"], last["confirmed"]) == (100, 0)
        assert len(emu.calls("contacts/batch/upsert")) == upserts  # re-running writes nothing new
        assert len(emu.objects["contacts"]) == 100 and emu.upsert_flags.count(True) == 100
        assert_ids_right(emu, engine, records)
    finally:
        emu.stop()


def test_results_without_echoes_are_matched_by_read_back_not_guessed(engine) -> None:
    emu = HubSpotEmulator(token=TOKEN, hostile=Hostile(echo=False)).start()
    try:
        records, primary = prospects(engine, 250)
        sink = make_sink(emu, match_existing=False)
        counts = run_push(engine, "r1", sink, records, primary)
        assert counts["confirmed"] == 250 and sink.stats.read_backs > 0
        assert len(emu.objects["companies"]) == 40 and len(emu.assocs) == 250
        assert_ids_right(emu, engine, records)
        assert {o for o, _ in outcome_of(engine).values()} == {"pushed"}
        again = run_push(engine, "r1", make_sink(emu), records, primary)
        assert (again["skip"], again["confirmed"]) == (250, 0) and len(emu.objects["contacts"]) == 250
    finally:
        emu.stop()


def test_a_read_back_that_lags_behind_the_write_is_asked_again(engine) -> None:
    emu = HubSpotEmulator(token=TOKEN, search_lag=0.5, hostile=Hostile(echo=False)).start()
    try:
        records, primary = prospects(engine, 150)
        waits: list[float] = []
        sink = make_sink(emu, match_existing=False, associate_companies=False,
                         sleep=lambda s: (waits.append(s), time.sleep(s)))
        counts = run_push(engine, "r1", sink, records, primary)
        assert counts["confirmed"] == 150 and waits and sink.stats.read_backs > 2
        by_pid = {r["person_id"]: r for r in records}
        for pid, cid in crm_ids(engine).items():
            assert emu.objects["contacts"][cid]["properties"]["email"] == by_pid[pid]["email"].lower()
    finally:
        emu.stop()


def test_the_contract_kit_holds_against_the_hostile_answers() -> None:
    emu = HubSpotEmulator(token=TOKEN, hostile=Hostile(whole_batch=400, echo=False, assoc_errors_in_200=True))
    emu.start()
    settings = HubSpotSettings(host=emu.url, concurrency=1, max_retries=3)

    def spoil(rec: dict) -> dict:
        emu.reject[rec["email"].lower()] = ("INVALID_EMAIL", f"Email address {rec['email'].lower()} is invalid")
        return rec

    def read_list(name: str) -> set[str]:
        [lid] = [lid for lid, lst in emu.lists.items() if lst["name"] == name]
        return set(emu.members[lid])

    mapping = SinkSettings().mapping_for("hubspot")

    def read_back() -> list[dict]:  # our field names back from HubSpot's properties (channel fields included)
        return [{ours: c["properties"].get(theirs) for ours, theirs in mapping.items()}
                for c in emu.objects["contacts"].values()]

    try:
        check_sink(SinkCase(
            make_sink=lambda: HubSpotSink(settings, TOKEN, mapping, sleep=lambda s: None),
            read_back=read_back,
            spoil=spoil, read_list=read_list,
            inject_transient=lambda: emu.inject(Fault(r"contacts/batch/upsert", 503, {"status": "error",
                                                                                       "message": "unavailable"})),
        ))
        assert emu.calls("contacts/batch/upsert", 400)  # the spoiled record's batch was refused whole
    finally:
        emu.stop()


@pytest.mark.parametrize("in_200", [True, False], ids=["errors-in-200", "207"])
def test_failed_company_links_are_reported_on_each_record(engine, in_200: bool) -> None:
    emu = HubSpotEmulator(token=TOKEN, hostile=Hostile(echo=False, assoc_errors_in_200=in_200)).start()
    try:
        records, primary = prospects(engine, 120)
        emu.reject_companies["company7.example"] = ("VALIDATION_ERROR", "Property values were not valid: name")
        # company 5 exists already; HubSpot refuses links to it (e.g. its association limit is reached)
        setup = make_sink(emu)
        setup.ensure_properties()
        setup._upsert_companies([type("Planned", (), {"record": records[5]})()])
        [co5] = [cid for cid, o in emu.objects["companies"].items()
                 if o["properties"]["lp_domain_key"] == "company5.example"]
        emu.refuse_links[co5] = "Association limit exceeded for company " + co5
        counts = run_push(engine, "r1", make_sink(emu), records, primary)
        assert counts["confirmed"] == 120
        got = outcome_of(engine)
        for r in records:
            outcome, reason = got[r["person_id"]]
            assert outcome == "pushed"
            if r["domain"] == "company5.example":
                assert f"not linked to its company: HubSpot said VALIDATION_ERROR: Association limit exceeded " \
                       f"for company {co5}" in reason
            elif r["domain"] == "company7.example":
                assert "not linked to its company" in reason and "Property values were not valid: name" in reason
            else:
                assert "not linked" not in reason
        unlinked = {r["person_id"] for r in records if r["domain"] in ("company5.example", "company7.example")}
        assert len(emu.assocs) == 120 - len(unlinked) and len(unlinked) == 6
        if in_200:
            assert emu.calls("batch/associate/default", 200)
    finally:
        emu.stop()


def test_a_refusal_every_record_gets_alone_stops_the_splitting(engine) -> None:
    # e.g. an admin deleted a property we write: every batch and every record alone is refused the same way
    emu = HubSpotEmulator(token=TOKEN, hostile=Hostile(echo=False)).start()
    try:
        emu.inject(Fault(r"contacts/batch/upsert", 400, {
            "status": "error", "category": "VALIDATION_ERROR", "correlationId": "c0ffee",
            "message": 'Property values were not valid: [{"isValid":false,"message":"Property \\"lp_tier\\" does '
                       'not exist","error":"PROPERTY_DOESNT_EXIST","name":"lp_tier"}]'}, times=None))
        records, primary = prospects(engine, 500)
        counts = run_push(engine, "r1", make_sink(emu), records, primary)
        assert counts["failed"] == 500 and emu.objects["contacts"] == {}
        reasons = {reason for _, reason in outcome_of(engine).values()}
        assert all("PROPERTY_DOESNT_EXIST" in r and "lp_tier" in r for r in reasons)
        # the first batch is split down to single records; after 10 alike, the rest are not split
        assert len(emu.calls("contacts/batch/upsert")) < 60
    finally:
        emu.stop()


def _post(emu: HubSpotEmulator, path: str, body: object, method: str = "POST") -> tuple[int, dict]:
    req = urllib.request.Request(emu.url + path, json.dumps(body).encode(), method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_emulator_refuses_requests_the_official_models_do_not_allow() -> None:
    emu = HubSpotEmulator(token=TOKEN).start()
    good = {"idProperty": "email", "id": "ann@acme.example", "properties": {"firstname": "Ann"}}
    sent = {
        "unknown field": ("/crm/v3/objects/contacts/batch/upsert", {"inputs": [{**good, "associations": []}]}),
        "wrong type": ("/crm/v3/objects/contacts/batch/upsert", {"inputs": [{**good, "properties": {"lp_score": 7}}]}),
        "missing required": ("/crm/v3/objects/contacts/batch/upsert", {"inputs": [{"id": "ann@acme.example"}]}),
        "101 inputs": ("/crm/v3/objects/contacts/batch/upsert",
                       {"inputs": [{**good, "id": f"p{i}@acme.example"} for i in range(101)]}),
        "bad enum": ("/crm/v3/properties/contacts", {"name": "x", "label": "x", "type": "text", "fieldType": "text",
                                                     "groupName": "contactinformation"}),
        "association without to": ("/crm/v4/associations/contacts/companies/batch/associate/default",
                                   {"inputs": [{"from": {"id": "1"}}]}),
    }
    try:
        for what, (path, body) in sent.items():
            status, answer = _post(emu, path, body)
            assert status == 400 and answer["category"] == "VALIDATION_ERROR", what
        assert emu.objects["contacts"] == {} and len(emu.violations) == len(sent)
        assert "unrecognized field 'associations'" in emu.violations[0]
        assert "expected str, got int 7" in emu.violations[1]
        assert "`properties`, must not be `None`" in emu.violations[2]
        assert "exceeds the limit of 100" in emu.violations[3]
        status, _ = _post(emu, "/crm/v3/objects/contacts/batch/upsert", {"inputs": [good]})
        assert status == 200 and len(emu.violations) == len(sent)  # a valid request passes
    finally:
        with pytest.raises(AssertionError, match="6 request\\(s\\) the HubSpot API spec does not allow"):
            emu.stop()  # the test using such an emulator fails

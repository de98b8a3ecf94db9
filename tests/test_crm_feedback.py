"""CRM feedback, nightly and incremental: HubSpot and Salesforce report back, the pipeline listens.

Driven through the real pipeline (`run_pipeline`, the same stage functions the DAG calls) against the HubSpot
and Salesforce emulators, which answer the search API and SOQL as the official docs describe. A control person
proves that the same profile without feedback is still pushed, so the "never pushed again" checks can fail.
"""

from __future__ import annotations

import csv
import functools
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.sinks.base import FeedbackRecord
from leadpipe.cli import main
from leadpipe.pipeline.crm_feedback import latest_crm_flags, pull, read_watermark, store
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import crm_feedback, engine_for, migrate, people, requalifications
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.salesforce import SalesforceEmulator, running_salesforce
from tests.homes import one_purchased_list, write_config
from tests.pipeline_checks import assert_ledger_adds_up

TOKEN = "pat-na1-feedback"
HEADER = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
          "Country", "# Employees", "Industry"]
CONTROL = ("Harriet", "Vandermolen", "CEO", "Lakeshore Analytics Inc", "harriet@lakeshore-analytics.com",
           "+1 312 555 0142", "https://lakeshore-analytics.com", "IL", "United States", "400")
LEAVER = ("Ignatius", "Pemberton", "Chief Revenue Officer", "Ridgeway Logistics", "ignatius@ridgeway-log.com",
          "+1 312 555 0143", "https://ridgeway-log.com", "IL", "United States", "300")
CALLER = ("Rosalind", "Fairweather", "VP Marketing", "Fairweather Media", "rosalind@fairweather-media.com",
          "+1 212 555 0177", "https://fairweather-media.com", "NY", "United States", "250")


def _write_list(path: Path, rows: list[tuple], shout: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for first, last, title, company, email, phone, site, state, country, emp in rows:
            w.writerow([first, last, title, company, email.upper() if shout else email, phone, site, "", state,
                        country, emp, "Software"])


def _config(home: Path, sink: dict, feedback: dict | None = None, call_lists: dict | None = None) -> Path:
    inputs = home / "inputs" / "fb"
    inputs.mkdir(parents=True)
    (inputs / "dnc.csv").write_text("email,list_reason\nnobody@example.org,unsubscribed\n", encoding="utf-8")
    (inputs / "registry.txt").write_text("2125550100\n", encoding="utf-8")

    def edit(data: dict) -> None:
        one_purchased_list(data, "fb", registry_age_days=3)
        data["sink"] = sink
        if feedback is not None:
            data["crm_feedback"] = feedback
        if call_lists is not None:
            data["call_lists"].update(call_lists)

    return write_config(home / "leadpipe.yaml", edit)


def _person(engine, email: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(people.c.person_id, people.c.compliance, people.c.prospect)
                           .where(people.c.email == email)).one()
    return {"person_id": row.person_id, "compliance": row.compliance, "prospect": row.prospect}


@pytest.fixture
def hubspot(home: Path, monkeypatch: pytest.MonkeyPatch):
    emu = HubSpotEmulator(token=TOKEN).start()
    monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", TOKEN)
    yield emu
    emu.stop()  # fails the test when a request broke the official models (hubspot_spec)


@pytest.fixture
def salesforce(home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    with running_salesforce(tmp_path_factory.mktemp("tls"), monkeypatch) as emu:
        yield emu


def _hubspot_sink(emu: HubSpotEmulator) -> dict:
    return {"type": "hubspot", "hubspot": {"host": emu.url, "max_retries": 1, "retry_max_seconds": 5}}


def test_an_unsubscribed_hubspot_contact_is_suppressed_next_run_and_never_pushed_again(
        home: Path, hubspot: HubSpotEmulator) -> None:
    cfg = load_config(_config(home, _hubspot_sink(hubspot)))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, LEAVER])
    first = run_pipeline(cfg, "run-1")
    assert first["outcomes"]["pushed"] == 2 and first["status"] == "succeeded"
    assert set(hubspot.contact_emails()) == {CONTROL[4], LEAVER[4]}

    # The leaver unsubscribes from all email in HubSpot; a rep marks the control person as a lead in progress.
    when = datetime.now(UTC) - timedelta(minutes=1)
    hubspot.touch(LEAVER[4], when, hs_email_optout="true")
    upserts_before = len(hubspot.upsert_flags)
    second = run_pipeline(cfg, "run-2")  # nothing new bought: only the CRM's word changed
    assert second["status"] == "succeeded", second["reasons"]
    assert second["crm_feedback"]["hubspot"]["set"]["email_opt_out"] == 1

    engine = engine_for(cfg.warehouse_url)
    leaver = _person(engine, LEAVER[4])
    reason = leaver["compliance"]["suppressed"]
    assert reason == f"unsubscribed from all email in HubSpot on {when.date().isoformat()} (CRM feedback)"
    assert leaver["prospect"] is False
    assert _person(engine, CONTROL[4])["prospect"] is True
    with engine.connect() as conn:
        change = conn.execute(select(requalifications.c.change, requalifications.c.reason)
                              .where(requalifications.c.run_id == "run-2")).all()
    assert [(c.change, c.reason) for c in change] == [("newly_disqualified", reason)]
    assert len(hubspot.upsert_flags) == upserts_before  # nobody sent again
    html = (cfg.runs_dir / "run-2" / "report.html").read_text(encoding="utf-8")
    feedback = html[html.index('id="crm-feedback"'):]
    assert "<td>hubspot</td>" in feedback and "<td>1 of 2</td>" in feedback  # 1 opt-out among 2 new facts

    # A later purchased list re-sells the leaver (spelled differently): still suppressed, never pushed.
    _write_list(cfg.home / "inputs" / "fb" / "list_2.csv", [LEAVER, CONTROL], shout=True)
    third = run_pipeline(cfg, "run-3")
    assert_ledger_adds_up(third)
    assert third["outcomes"]["suppressed"] == 1
    assert len(hubspot.upsert_flags) == upserts_before
    result = CliRunner().invoke(main, ["explain", LEAVER[4]])
    assert result.exit_code == 0, result.output
    assert "unsubscribed from all email in HubSpot" in result.output and when.date().isoformat() in result.output


def test_the_watermark_makes_the_next_hubspot_pull_fetch_only_changed_contacts(
        home: Path, hubspot: HubSpotEmulator) -> None:
    cfg = load_config(_config(home, _hubspot_sink(hubspot), {"overlap_seconds": 60}))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, LEAVER, CALLER])
    run_pipeline(cfg, "run-1")  # pushes the three; the pull before it found an empty HubSpot
    now = datetime.now(UTC)
    hubspot.touch(CONTROL[4], now - timedelta(hours=2))  # as if pushed a while ago
    hubspot.touch(LEAVER[4], now - timedelta(hours=2))
    hubspot.touch(CALLER[4], now - timedelta(hours=1))
    hubspot.searches.clear()
    run_pipeline(cfg, "run-2")
    assert sum(s["answered"] for s in hubspot.searches) == 3  # no watermark yet: everything
    engine = engine_for(cfg.warehouse_url)
    assert read_watermark(engine, "hubspot") == (now - timedelta(hours=1)).replace(
        microsecond=(now.microsecond // 1000) * 1000)

    hubspot.touch(CALLER[4], now, hs_lead_status="UNQUALIFIED")
    hubspot.searches.clear()
    third = run_pipeline(cfg, "run-3")
    assert sum(s["answered"] for s in hubspot.searches) == 1  # only the changed contact came back
    [search] = hubspot.searches
    [flt] = search["filterGroups"][0]["filters"]
    assert (flt["propertyName"], flt["operator"]) == ("lastmodifieddate", "GT")
    assert int(flt["value"]) == int((now - timedelta(hours=1, seconds=60)).timestamp() * 1000)
    assert third["crm_feedback"]["hubspot"]["set"] == {"lead_status": 1}
    flags = latest_crm_flags(engine).set_index("email")
    assert flags.loc[CALLER[4], "lead_status"] == "UNQUALIFIED"


def test_hubspot_pages_through_the_search_200_at_a_time(home: Path, hubspot: HubSpotEmulator, tmp_path: Path) -> None:
    from connectors.sinks.hubspot.settings import HubSpotSettings
    from connectors.sinks.hubspot.sink import HubSpotSink

    t0 = datetime.now(UTC) - timedelta(days=1)
    for i in range(450):
        oid = str(5000 + i)
        stamp = (t0 + timedelta(seconds=i)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        hubspot.objects["contacts"][oid] = {"id": oid, "createdAt": stamp, "updatedAt": stamp,
                                            "properties": {"hs_object_id": oid, "email": f"p{i}@example.org",
                                                           "hs_email_optout": "true" if i == 7 else "false"}}
    sink = HubSpotSink(HubSpotSettings(host=hubspot.url), TOKEN, {})
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    engine = engine_for(url)
    counts = pull(engine, "r1", "hubspot", sink)
    assert counts["pulled"] == 450 * 5 and counts["set"]["email_opt_out"] == 1
    assert [s["answered"] for s in hubspot.searches] == [200, 200, 50]
    assert all(s["limit"] == 200 for s in hubspot.searches)
    again = pull(engine, "r2", "hubspot", sink)  # nothing changed since: the watermark asks for nothing old
    assert again["pulled"] == 0 and again["new"] == 0


def _salesforce_sink() -> dict:
    return {"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01}}


def test_a_salesforce_do_not_call_lead_is_recorded_with_its_date_and_a_converted_lead_is_not_pushed_again(
        home: Path, salesforce: SalesforceEmulator) -> None:
    cfg = load_config(_config(home, _salesforce_sink()))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, LEAVER, CALLER])
    first = run_pipeline(cfg, "run-1")
    assert first["outcomes"]["pushed"] == 3
    salesforce.touch_lead(CALLER[4], "2026-12-04T09:30:00.000+0000", DoNotCall=True)
    salesforce.touch_lead(LEAVER[4], "2026-12-04T10:00:00.000+0000", IsConverted=True, Status="Closed - Converted")
    leaver_id = _person(engine_for(cfg.warehouse_url), LEAVER[4])["person_id"].lower()
    assert salesforce.upserted.count(leaver_id) == 1

    second = run_pipeline(cfg, "run-2")
    assert second["status"] == "succeeded", second["reasons"]
    assert second["crm_feedback"]["salesforce"]["set"]["do_not_call"] == 1
    engine = engine_for(cfg.warehouse_url)
    flags = latest_crm_flags(engine).set_index("email")
    assert flags.loc[CALLER[4], "do_not_call_at"] == datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert pd.isna(flags.loc[CONTROL[4], "do_not_call_at"])
    caller = _person(engine, CALLER[4])["compliance"]
    assert caller["phone_callable"] is False
    assert caller["phone_note"] == "do-not-call in Salesforce since 2026-12-04 (CRM feedback)"
    leaver = _person(engine, LEAVER[4])
    assert leaver["prospect"] is False
    assert leaver["compliance"]["suppressed"] == ("already a customer in Salesforce (converted on 2026-12-04): not "
                                                  "pushed as a prospect again")

    _write_list(cfg.home / "inputs" / "fb" / "list_2.csv", [LEAVER, CONTROL], shout=True)  # re-bought
    third = run_pipeline(cfg, "run-3")
    assert_ledger_adds_up(third)
    assert third["outcomes"]["suppressed"] == 1
    assert salesforce.upserted.count(leaver_id) == 1  # the converted lead was never written again
    assert salesforce.upserted.count(_person(engine, CONTROL[4])["person_id"].lower()) >= 1


def test_the_salesforce_watermark_asks_only_for_records_modified_since(
        home: Path, salesforce: SalesforceEmulator, tmp_path: Path) -> None:
    from connectors.sinks.salesforce.sink import salesforce_sink
    from connectors.sinks.settings import SinkSettings

    for i in range(5):
        salesforce.leads[f"ext-{i}"] = {"Id": f"00Q00000000000{i}AAA", "Email": f"lead{i}@example.org",
                                        "LastName": "X", "Company": "Y"}
        salesforce.modstamps[f"00Q00000000000{i}AAA"] = f"2026-12-0{i + 1}T08:00:00.000+0000"
    salesforce.add_contact("contact@example.org", "2026-12-01T08:00:00.000+0000", HasOptedOutOfEmail=True)
    salesforce.query_page = 2  # Salesforce pages big answers; the client follows nextRecordsUrl
    sink = salesforce_sink(SinkSettings.model_validate(_salesforce_sink()))
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    engine = engine_for(url)
    first = pull(engine, "r1", "salesforce", sink)
    assert first["pulled"] == 5 * 6 + 4  # Lead: 6 facts each (opt-out, DNC, owner, bounce, status, converted)
    assert read_watermark(engine, "salesforce") == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)

    salesforce.touch_lead("lead2@example.org", "2026-12-06T08:00:00.000+0000", HasOptedOutOfEmail=True)
    salesforce.queries.clear()
    second = pull(engine, "r2", "salesforce", sink)
    assert sum(n for _, n in salesforce.queries) == 1  # one Lead changed since the watermark; no Contact
    assert second["pulled"] == 6 and second["new"] == 1 and second["set"] == {"email_opt_out": 1}  # the rest held
    assert any("WHERE SystemModstamp > 2026-12-05T08:00:00Z" in q for q, _ in salesforce.queries)
    flags = latest_crm_flags(engine).set_index("email")
    assert flags.loc["lead2@example.org", "email_opted_out_at"] == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    assert flags.loc["contact@example.org", "email_opted_out_at"] == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_failing_crm_pull_is_reported_and_the_rest_of_the_run_goes_on(home: Path, hubspot: HubSpotEmulator,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-revoked")  # HubSpot answers 401 to every call
    cfg = load_config(_config(home, {"type": "local", "hubspot": {"host": hubspot.url}}, {"crms": ["hubspot"]}))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, LEAVER])
    summary = run_pipeline(cfg, "run-1")
    assert summary["outcomes"]["pushed"] == 2  # the push to the (local) CRM happened all the same
    assert summary["status"] == "failed"
    assert any(r.startswith("CRM feedback could not be read from HubSpot: SinkAuthError") for r in summary["reasons"])
    assert "error" in summary["crm_feedback"]["hubspot"]
    assert read_watermark(engine_for(cfg.warehouse_url), "hubspot") is None  # read again in full next time
    html = (cfg.runs_dir / "run-1" / "report.html").read_text(encoding="utf-8")
    assert "crm-feedback" in html and "not read" in html


def _record(kind: str, value: str | None, at: datetime, crm_id: str = "1") -> FeedbackRecord:
    return FeedbackRecord("hubspot", crm_id, "a@example.org", "+13125550100", kind, value, at)


def test_latest_flags_date_each_flag_from_when_it_was_first_seen_set_and_forget_a_cleared_one(
        warehouse_url: str) -> None:
    url = warehouse_url  # SQLite and the real PostgreSQL server
    migrate(url)
    engine = engine_for(url)
    t = datetime(2026, 12, 1, 9, tzinfo=UTC)
    store(engine, "r1", [_record("email_opt_out", "false", t), _record("email_opt_out", "true", t + timedelta(days=1)),
                         _record("email_opt_out", "true", t + timedelta(days=2)),
                         _record("do_not_call", "true", t), _record("do_not_call", "false", t + timedelta(days=3)),
                         _record("owner", "17", t), _record("owner", "42", t + timedelta(days=2))])
    assert store(engine, "r2", [_record("email_opt_out", "true", t + timedelta(days=2))]) == []  # already held
    assert store(engine, "r2", [_record("owner", "42", t + timedelta(days=5))]) == []  # no news: same owner
    [row] = latest_crm_flags(engine).to_dict("records")
    assert row["email_opted_out_at"] == t + timedelta(days=1)  # first seen set, not the later re-report
    assert pd.isna(row["do_not_call_at"])  # switched off again in the CRM
    assert row["owner"] == "42" and row["email"] == "a@example.org" and row["crm"] == "hubspot"
    with engine.connect() as conn:
        kept = conn.execute(select(crm_feedback.c.kind, crm_feedback.c.value)).all()
    assert len(kept) == 6  # the opt-out reported again on day 2 said nothing new


def test_the_local_feedback_file_is_read_incrementally_and_a_bad_row_is_named(tmp_path: Path) -> None:
    from connectors.sinks.base import SinkError
    from connectors.sinks.local.sink import read_feedback_file

    path = tmp_path / "crm_feedback.csv"
    path.write_text("crm_id,email,phone,kind,value,changed_at\n"
                    "c1,A@Example.org,,email_opt_out,true,2026-12-01T09:00:00Z\n"
                    "c2,b@example.org,+13125550100,do_not_call,true,2026-12-03T09:00:00Z\n", encoding="utf-8")
    assert [r.crm_id for r in read_feedback_file(path, None)] == ["c1", "c2"]
    assert [r.email for r in read_feedback_file(path, datetime(2026, 12, 2, tzinfo=UTC))] == ["b@example.org"]
    path.write_text("crm_id,email,phone,kind,value,changed_at\nc1,a@example.org,,unsubscribe,true,2026-12-01\n",
                    encoding="utf-8")
    with pytest.raises(SinkError, match=r"crm_feedback.csv row 2: kind 'unsubscribe' is not one of"):
        list(read_feedback_file(path, None))


def test_a_lead_status_the_config_marks_down_lowers_the_score() -> None:
    from enrichment.score import LeadFacts, ScoringConfig, score_lead

    cfg = ScoringConfig(seniority_points={"c_level": 50}, crm_lead_status_points={"Unqualified": -30})
    base = score_lead(LeadFacts(seniority="c_level"), cfg)
    marked = score_lead(LeadFacts(seniority="c_level", crm_lead_status="UNQUALIFIED"), cfg)
    assert base.total == 50 and base.qualified
    assert marked.total == 20 and not marked.qualified
    assert marked.breakdown[-1] == {"rule": "CRM lead status UNQUALIFIED", "points": -30}


@functools.cache
def _empty_warehouse() -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "empty.db"
    migrate(f"sqlite:///{path}")
    with engine_for(f"sqlite:///{path}").connect() as conn:  # WAL: everything into the file we copy
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


FACTS = st.lists(st.tuples(st.sampled_from(["1", "2"]), st.sampled_from(["email_opt_out", "do_not_call", "owner"]),
                           st.sampled_from(["true", "false", None]), st.integers(0, 20)), max_size=25,
                 unique_by=lambda f: (f[0], f[1], f[3]))  # one value per CRM record, kind and time


@settings(max_examples=60, deadline=None)
@given(facts=FACTS, cut=st.integers(0, 25))
def test_storing_pulls_in_any_batches_and_again_gives_the_same_flags(facts: list[tuple], cut: int) -> None:
    import tempfile

    t = datetime(2026, 12, 1, tzinfo=UTC)
    # a CRM reports changes oldest first (FeedbackSource); pulls may overlap and repeat them
    records = sorted((_record(kind, value, t + timedelta(hours=h), crm_id) for crm_id, kind, value, h in facts),
                     key=lambda r: r.changed_at)
    with tempfile.TemporaryDirectory() as d:
        once, twice = f"sqlite:///{d}/a.db", f"sqlite:///{d}/b.db"
        for name in ("a.db", "b.db"):  # migrating takes seconds: copy a migrated empty warehouse
            shutil.copy(_empty_warehouse(), Path(d) / name)
        store(engine_for(once), "r1", records)
        split = engine_for(twice)
        store(split, "r1", records[:cut])
        store(split, "r2", records[cut:])
        assert store(split, "r3", records) == []  # a pull read again adds nothing
        a = latest_crm_flags(engine_for(once)).sort_values(["crm", "crm_id"]).reset_index(drop=True)
        b = latest_crm_flags(split).sort_values(["crm", "crm_id"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(a.drop(columns=["person_id"]), b.drop(columns=["person_id"]))


def test_a_pipeline_push_to_hubspot_carries_each_channels_state_and_reason(
        home: Path, hubspot: HubSpotEmulator) -> None:
    """The kit shows the HubSpot sink can hold the channel fields; this shows the nightly push really sends them
    (a push that built its records without them would leave the lp_ properties empty in the CRM)."""
    cfg = load_config(_config(home, _hubspot_sink(hubspot)))
    caller = CALLER[:5] + ("+1 212 555 0100",) + CALLER[6:]  # on the registry (registry.txt in _config)
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, caller])
    assert run_pipeline(cfg, "run-1")["outcomes"]["pushed"] == 2
    held = {c["properties"]["email"]: c["properties"] for c in hubspot.objects["contacts"].values()}
    control, registered = held[CONTROL[4]], held[CALLER[4]]
    checked = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    assert str(control["lp_phone_callable"]).lower() == "true"
    assert f"not on the DNC registry (checked {checked}, 3 days ago)" in control["lp_phone_reason"]
    assert control["lp_phone_timezone"] == "America/Chicago"
    assert str(control["lp_email_sendable"]).lower() == "true" and control["lp_email_reason"]
    assert control["lp_preferred_channel"] == "email" and control["lp_preferred_channel_reason"]
    assert str(registered["lp_phone_callable"]).lower() == "false"
    assert registered["lp_phone_reason"] == f"on the national Do-Not-Call registry (checked {checked})"


def test_a_salesforce_do_not_call_set_overnight_drops_the_lead_from_tomorrows_call_list(
        home: Path, salesforce: SalesforceEmulator) -> None:
    """End to end: pushed to Salesforce, on today's call list; a rep ticks DoNotCall on the Lead; the nightly run
    pulls it back (SOQL against the emulator); tomorrow's list leaves the lead off and keeps the control."""
    from leadpipe.pipeline.call_lists import build_call_lists
    from leadpipe.pipeline.context import run_folder

    cfg = load_config(_config(home, _salesforce_sink(), call_lists={"cooldown_days": 0}))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, CALLER])
    assert run_pipeline(cfg, "run-1")["outcomes"]["pushed"] == 2

    def on_list(run_id: str, when: datetime) -> set[str]:
        build_call_lists(cfg, run_id, when)
        with open(run_folder(cfg, run_id) / "call_lists" / "call_list.csv", encoding="utf-8") as fh:
            return {r["email"] for r in csv.DictReader(fh)}

    today = datetime.now(UTC)
    assert on_list("cl-today", today) == {CONTROL[4], CALLER[4]}
    salesforce.touch_lead(CALLER[4], (today - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                          DoNotCall=True)
    assert run_pipeline(cfg, "run-2")["crm_feedback"]["salesforce"]["set"]["do_not_call"] == 1
    assert on_list("cl-tomorrow", today + timedelta(days=1)) == {CONTROL[4]}


def test_a_rebuilt_list_leaves_out_whom_the_crm_feedback_suppressed(home: Path, hubspot: HubSpotEmulator) -> None:
    """"Never pushed again" holds for the rebuild DAG too: a list rebuilt after the CRM reported an opt-out lists
    the person as left out with the CRM's reason, and plans no write for them (the control is planned)."""
    from leadpipe.pipeline.rebuild import Segment, plan_list

    path = _config(home, _hubspot_sink(hubspot))

    def offer_hubspot(data: dict) -> None:  # the rebuild form offers both targets
        one_purchased_list(data, "fb", registry_age_days=3)
        data["sink"] = _hubspot_sink(hubspot)
        data.setdefault("airflow", {}).setdefault("rebuild", {})["crm_targets"] = ["local", "hubspot"]

    cfg = load_config(write_config(path, offer_hubspot))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, LEAVER])
    assert run_pipeline(cfg, "run-1")["outcomes"]["pushed"] == 2
    hubspot.touch(LEAVER[4], datetime.now(UTC) - timedelta(minutes=1), hs_email_optout="true")
    assert run_pipeline(cfg, "run-2")["crm_feedback"]["hubspot"]["set"]["email_opt_out"] == 1
    engine = engine_for(cfg.warehouse_url)
    leaver, control = _person(engine, LEAVER[4])["person_id"], _person(engine, CONTROL[4])["person_id"]

    for target in ("local", "hubspot"):
        folder = cfg.runs_dir / f"rebuild-{target}"
        folder.mkdir(parents=True)
        plan_list(cfg, folder, Segment(list_name="everyone", crm_target=target, include_already_pushed=True))
        planned = {r["person_id"] for r in json.loads((folder / "plan_records.json").read_text())}
        left_out = {p["person_id"]: p["reason"] for p in
                    json.loads((folder / "plan_people.json").read_text())["suppressed"]}
        assert control in planned, target
        assert leaver not in planned, target
        assert left_out.get(leaver, "").startswith("unsubscribed from all email in HubSpot"), (target, left_out)


def test_a_lead_status_pulled_from_hubspot_lowers_the_persons_score_on_the_next_run(
        home: Path, hubspot: HubSpotEmulator) -> None:
    """Scoring uses the CRM's lead status through the pipeline (the unit test above only shows the rule)."""
    path = _config(home, _hubspot_sink(hubspot))

    def mark_down(data: dict) -> None:
        one_purchased_list(data, "fb", registry_age_days=3)
        data["sink"] = _hubspot_sink(hubspot)
        data["scoring"]["crm_lead_status_points"] = {"Unqualified": -25}

    cfg = load_config(write_config(path, mark_down))
    _write_list(cfg.home / "inputs" / "fb" / "list_1.csv", [CONTROL, CALLER])
    run_pipeline(cfg, "run-1")
    engine = engine_for(cfg.warehouse_url)

    def scores() -> dict[str, int]:
        with engine.connect() as conn:
            return dict(conn.execute(select(people.c.email, people.c.score)).all())

    before = scores()
    hubspot.touch(CALLER[4], datetime.now(UTC) - timedelta(minutes=1), hs_lead_status="UNQUALIFIED")
    assert run_pipeline(cfg, "run-2")["crm_feedback"]["hubspot"]["set"]["lead_status"] == 1
    after = scores()
    assert after[CALLER[4]] == before[CALLER[4]] - 25
    assert after[CONTROL[4]] == before[CONTROL[4]]

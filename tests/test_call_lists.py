"""Daily call lists against the real warehouse (SQLite and PostgreSQL), with a fixed clock.

People are seeded as qualified prospects with an owner, a phone and the compliance verdict the qualify stage
stores; the lists are then built for given days. Each test has a control person who does go on the list, so
a "left out" check can fail.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from connectors.sinks.base import FeedbackRecord, Sink, plan_pushes
from enrichment.channels import CrmFlag, CrmFlags
from leadpipe.cli import main
from leadpipe.pipeline import crm_flags, run_outputs
from leadpipe.pipeline.call_lists import build_call_lists
from leadpipe.pipeline.context import run_folder
from leadpipe.pipeline.crm_feedback import pull, store
from leadpipe.pipeline.push import make_sink, record_confirmed
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import call_list_entries, engine_for, migrate, people
from tests.emulators.salesforce import SalesforceEmulator, running_salesforce
from tests.homes import write_config

# Monday 7 December 2026, 15:00 UTC: 16:00 in Berlin and 10:00 in New York (inside 09:00-17:00),
# 07:00 in Los Angeles and midnight in Tokyo (outside).
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
BERLIN, NEW_YORK, LOS_ANGELES, TOKYO = "+4930901820", "+12125550177", "+14155550190", "+81312345678"
TOLL_FREE = "+18005550199"  # one number, 40-odd time zones: no local time is known
ANNA, JAMES, EMILY = "anna.keller@example.com", "james.carter@example.com", "emily.chen@example.com"


def _config(home: Path, monkeypatch: pytest.MonkeyPatch, url: str, *, sink: dict | None = None,
            **call_lists: object) -> object:
    def edit(data: dict) -> None:
        data["call_lists"].update(call_lists)
        if sink is not None:
            data["sink"] = sink
        data["suppression"]["do_not_contact_files"] = []  # the lists read them; these homes have none
        data["routing"]["teams"] = {"dach": [ANNA], "na_east": [JAMES, EMILY], "uk_ie": ["oliver.hughes@example.com"],
                                    "na_west": ["maria.lopez@example.com"], "international": ["sofia.rossi@example.com"]}

    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", url)
    cfg = load_config(write_config(home / "leadpipe.yaml", edit))
    migrate(url)
    return cfg


def _person(pid: str, owner: str, score: int, phone: str | None, *, dnc_checked: date | None = None,
            dnc_status: str | None = None, company: str = "Acme") -> dict:
    checked = dnc_checked.isoformat() if dnc_checked else None
    status = dnc_status or ("not_registered" if checked else None)
    return {"person_id": pid, "email": f"{pid}@example.org", "first_name": pid.title(), "last_name": "Tester",
            "company": company, "record": {"first_name": pid.title(), "last_name": "Tester", "email": f"{pid}@example.org",
                                           "phone": phone, "company": company, "job_title": "VP Sales"},
            "provenance": {}, "score": score, "tier": "A" if score >= 75 else "B", "owner": owner, "prospect": True,
            "compliance": {"suppressed": None, "dnc_status": status, "dnc_checked_at": checked},
            "created_run_id": "seed", "updated_run_id": "seed"}


def _seed(url: str, *persons: dict) -> None:
    with engine_for(url).begin() as conn:
        conn.execute(insert(people), list(persons))


def _push_nightly(url: str, sink: Sink, persons: list[dict]) -> dict[str, str]:
    """What the nightly push leaves behind for the call lists: the people written to the CRM through the sink and
    confirmed in the push ledger (the only people a named list can hold) -> person_id: their CRM id."""
    records = [{k: p[k] for k in ("person_id", "email", "first_name", "last_name", "company", "score")}
               for p in persons]
    plan = plan_pushes(records, {})
    results = sink.write(plan, "nightly", None)
    assert [r.outcome for r in results] == ["confirmed"] * len(persons), [r.error for r in results]
    record_confirmed(engine_for(url), sink.name, "nightly", results, {p.person_id: p.content_hash for p in plan})
    return {r.person_id: str(r.crm_id) for r in results}


def _order(result: dict, cfg, owner: str) -> list[str]:
    with open(run_folder(cfg, result["run_id"]) / "call_lists" / "call_list.csv", encoding="utf-8") as fh:
        return [r["person_id"] for r in csv.DictReader(fh) if r["owner"] == owner]


def _owner(result: dict, owner: str) -> dict:
    return next(o for o in result["owners"] if o["owner"] == owner)


def test_people_inside_their_calling_window_come_first_then_by_score(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    cfg = _config(home, monkeypatch, warehouse_url)
    _seed(warehouse_url,
          _person("la_top", JAMES, 95, LOS_ANGELES), _person("tokyo", JAMES, 90, TOKYO),
          _person("berlin", JAMES, 70, BERLIN), _person("ny", JAMES, 60, NEW_YORK),
          _person("tollfree", JAMES, 99, TOLL_FREE))
    result = build_call_lists(cfg, "cl-order", NOW)
    # inside the window (Berlin 16:00, New York 10:00) by score, then the others by how soon their window
    # opens (Los Angeles at 09:00 in 2 hours, Tokyo in 9 hours), the toll-free number (zone unknown) last,
    # although they score higher
    assert _order(result, cfg, JAMES) == ["berlin", "ny", "la_top", "tokyo", "tollfree"]
    assert _owner(result, JAMES)["in_window"] == 2
    with engine_for(warehouse_url).connect() as conn:
        stored = conn.execute(select(call_list_entries.c.person_id, call_list_entries.c.position,
                                     call_list_entries.c.in_window).order_by(call_list_entries.c.position)).all()
    assert [(p, w) for p, _, w in stored] == [("berlin", True), ("ny", True), ("la_top", False), ("tokyo", False),
                                              ("tollfree", None)]


def test_no_owner_gets_more_than_their_quota_and_the_report_shows_quota_use(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    cfg = _config(home, monkeypatch, warehouse_url, default_quota=4, team_quotas={"na_east": 3},
                  owner_quotas={EMILY: 2})
    _seed(warehouse_url, *[_person(f"anna{i}", ANNA, 50 + i, BERLIN) for i in range(6)],
          *[_person(f"james{i}", JAMES, 50 + i, NEW_YORK) for i in range(5)],
          *[_person(f"emily{i}", EMILY, 50 + i, NEW_YORK) for i in range(5)])
    result = build_call_lists(cfg, "cl-quota", NOW)
    assert (_owner(result, ANNA)["quota"], _owner(result, ANNA)["quota_from"]) == (4, "default quota")
    assert (_owner(result, JAMES)["quota"], _owner(result, JAMES)["quota_from"]) == (3, "team na_east quota")
    assert (_owner(result, EMILY)["quota"], _owner(result, EMILY)["quota_from"]) == (2, "owner quota")
    with engine_for(warehouse_url).connect() as conn:
        rows = conn.execute(select(call_list_entries.c.owner, call_list_entries.c.person_id)).all()
    counts = {o: sum(1 for owner, _ in rows if owner == o) for o in (ANNA, JAMES, EMILY)}
    assert counts == {ANNA: 4, JAMES: 3, EMILY: 2}
    # the highest scores make the cut
    assert _order(result, cfg, EMILY) == ["emily4", "emily3"]
    assert (_owner(result, ANNA)["on_list"], _owner(result, ANNA)["available"]) == (4, 6)
    report = (run_folder(cfg, "cl-quota") / "call_lists" / "report.html").read_text(encoding="utf-8")
    assert "Quota use per owner" in report and "100%" in report and EMILY in report
    # an owner with nobody callable still shows, with nothing used
    assert _owner(result, "oliver.hughes@example.com")["on_list"] == 0


@pytest.mark.parametrize(("age_days", "callable_"), [(31, True), (32, False)])
def test_a_dnc_check_older_than_31_days_takes_the_phone_off_the_list(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str, age_days: int, callable_: bool) -> None:
    cfg = _config(home, monkeypatch, warehouse_url)
    _seed(warehouse_url, _person("control", JAMES, 60, NEW_YORK, dnc_checked=NOW.date() - timedelta(days=3)),
          _person("checked", JAMES, 80, NEW_YORK, dnc_checked=NOW.date() - timedelta(days=age_days)))
    result = build_call_lists(cfg, "cl-dnc", NOW)
    assert ("checked" in _order(result, cfg, JAMES)) is callable_
    assert "control" in _order(result, cfg, JAMES)
    if not callable_:
        assert result["left_out"] == {"DNC check too old: re-scrub before calling": 1}


def test_a_registered_number_and_a_suppressed_person_are_never_on_a_list(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    cfg = _config(home, monkeypatch, warehouse_url)
    suppressed = _person("suppressed", JAMES, 90, NEW_YORK)
    suppressed["compliance"] = {**suppressed["compliance"], "suppressed": "phone on do-not-contact list dnc.csv"}
    _seed(warehouse_url, _person("control", JAMES, 60, NEW_YORK),
          _person("registered", JAMES, 80, NEW_YORK, dnc_checked=NOW.date(), dnc_status="registered"),
          _person("no_phone", JAMES, 85, None), suppressed)
    result = build_call_lists(cfg, "cl-never", NOW)
    assert _order(result, cfg, JAMES) == ["control"]
    assert result["left_out"] == {"on the national DNC registry": 1, "no phone number": 1, "suppressed": 1}


def test_a_crm_do_not_call_flag_drops_the_lead_from_the_next_days_list(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    cfg = _config(home, monkeypatch, warehouse_url, cooldown_days=0)
    _seed(warehouse_url, _person("flagged", JAMES, 80, NEW_YORK), _person("control", JAMES, 60, NEW_YORK))
    first = build_call_lists(cfg, "cl-day1", NOW)
    assert _order(first, cfg, JAMES) == ["flagged", "control"]

    # overnight the CRM feedback brings a Salesforce DoNotCall on the lead (read through crm_flags_for)
    seen: list[list[str]] = []

    def flags(engine, person_ids):  # the feedback table's stand-in
        seen.append(list(person_ids))
        return {"flagged": CrmFlags(do_not_call=CrmFlag("salesforce", date(2026, 12, 7)))}

    monkeypatch.setattr(crm_flags, "crm_flags_for", flags)
    second = build_call_lists(cfg, "cl-day2", NOW + timedelta(days=1))
    assert _order(second, cfg, JAMES) == ["control"]
    assert second["left_out"] == {"do-not-call flag in the CRM": 1}
    assert seen and "flagged" in seen[0]


def test_a_salesforce_do_not_call_stored_by_the_feedback_pull_drops_the_lead_from_the_next_days_list(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    """The same, through the real feedback table: the pull's facts reach the call list by the person's email."""
    cfg = _config(home, monkeypatch, warehouse_url, cooldown_days=0)
    _seed(warehouse_url, _person("flagged", JAMES, 80, NEW_YORK), _person("control", JAMES, 60, NEW_YORK))
    assert _order(build_call_lists(cfg, "cl-fb-day1", NOW), cfg, JAMES) == ["flagged", "control"]

    overnight = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    store(engine_for(warehouse_url), "feedback-run", [
        FeedbackRecord("salesforce", "00Q000000000001AAA", "Flagged@Example.org", None, "do_not_call", "true",
                       overnight),
        FeedbackRecord("salesforce", "00Q000000000002AAA", "control@example.org", None, "do_not_call", "false",
                       overnight)])
    second = build_call_lists(cfg, "cl-fb-day2", NOW + timedelta(days=1))
    assert _order(second, cfg, JAMES) == ["control"]
    assert second["left_out"] == {"do-not-call flag in the CRM": 1}
    flags = crm_flags.crm_flags_for(engine_for(warehouse_url), ["flagged", "control"])
    assert set(flags) == {"flagged"}
    assert flags["flagged"].do_not_call is not None and flags["flagged"].do_not_call.source == "Salesforce"
    assert flags["flagged"].do_not_call.on.date() == overnight.date()


def test_the_cool_down_keeps_a_person_off_the_lists_for_the_configured_days(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    cfg = _config(home, monkeypatch, warehouse_url, cooldown_days=3, owner_quotas={JAMES: 1})
    _seed(warehouse_url, _person("first", JAMES, 90, NEW_YORK), _person("second", JAMES, 50, NEW_YORK))
    day = [build_call_lists(cfg, f"cl-cool-{i}", NOW + timedelta(days=i)) for i in range(5)]
    # quota 1: the better score goes first; then it rests for 3 days, so the other one takes its place
    assert [_order(d, cfg, JAMES) for d in day] == [["first"], ["second"], [], [], ["first"]]
    assert day[2]["left_out"] == {"on a call list in the last 3 days (cool-down)": 2}


def test_a_second_build_keeps_the_days_lists_a_rebuild_replaces_them_a_dry_run_records_nothing(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    cfg = _config(home, monkeypatch, warehouse_url, owner_quotas={JAMES: 1})
    _seed(warehouse_url, _person("a", JAMES, 50, NEW_YORK), _person("b", JAMES, 40, NEW_YORK))
    dry = build_call_lists(cfg, "cl-dry", NOW, dry_run=True)
    assert _order(dry, cfg, JAMES) == ["a"] and dry["status"].startswith("dry run")
    with engine_for(warehouse_url).connect() as conn:
        assert conn.execute(select(call_list_entries)).all() == []
    build_call_lists(cfg, "cl-1", NOW)
    with engine_for(warehouse_url).begin() as conn:  # the scores change during the day
        conn.execute(people.update().where(people.c.person_id == "b").values(score=99))
    kept = build_call_lists(cfg, "cl-2", NOW + timedelta(hours=1))
    assert _order(kept, cfg, JAMES) == ["a"] and kept["status"].startswith("kept")
    with monkeypatch.context() as m:  # flagged in the CRM after the morning's build: off the kept list
        m.setattr(crm_flags, "crm_flags_for", lambda engine, pids: {"a": CrmFlags(do_not_call=CrmFlag("hubspot", NOW))})
        assert _order(build_call_lists(cfg, "cl-2b", NOW + timedelta(hours=1)), cfg, JAMES) == []
    rebuilt = build_call_lists(cfg, "cl-3", NOW + timedelta(hours=2), rebuild=True)
    assert _order(rebuilt, cfg, JAMES) == ["b"] and rebuilt["status"] == "rebuilt"
    with engine_for(warehouse_url).connect() as conn:
        assert conn.execute(select(call_list_entries.c.person_id, call_list_entries.c.run_id)).all() == [("b", "cl-3")]


def test_the_export_is_formula_safe_and_served_like_the_other_reports(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url)
    _seed(url, _person("evil", JAMES, 80, NEW_YORK, company='=HYPERLINK("http://x.example","click")'))
    build_call_lists(cfg, "cl-export", NOW)
    found = run_outputs.run_file(cfg, "call_lists_daily", "cl-export", "call_lists/call_list.csv")
    assert found is not None
    with open(found.path, encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["company"].startswith("'=") and row["phone"] == NEW_YORK and row["in_calling_window"] == "yes"
    xlsx = run_outputs.run_file(cfg, "call_lists_daily", "cl-export", "call_lists/call_list.xlsx")
    assert xlsx is not None and xlsx.from_csv
    assert {o.path for o, present in run_outputs.available(cfg, "call_lists_daily", "cl-export") if present} == {
        "call_lists/report.html", "call_lists/call_list.csv", "call_lists/call_list.xlsx",
        "call_lists/call_lists.json"}
    summary = json.loads((run_folder(cfg, "cl-export") / "call_lists" / "call_lists.json").read_text())
    assert summary["crm"]["target"] == "local"  # the local sink keeps no named lists: the table and files are


def test_the_command_prints_quota_use_per_owner(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url, owner_quotas={JAMES: 5})
    _seed(url, _person("a", JAMES, 50, NEW_YORK), _person("b", JAMES, 40, NEW_YORK))
    out = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "call-lists", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert f"{JAMES}" in out.output and "2 of    5 (owner quota" in out.output
    assert cfg.call_lists.owner_quotas == {JAMES: 5}


def test_quota_config_errors_name_the_key(home: Path) -> None:
    from leadpipe.core.errors import ConfigError

    def edit(data: dict) -> None:
        data["call_lists"]["team_quotas"] = {"no_such_team": 5}

    with pytest.raises(ConfigError, match=r"call_lists.team_quotas names unknown team\(s\) \['no_such_team'\]"):
        load_config(write_config(home / "bad.yaml", edit))


def test_each_owners_list_is_a_named_list_in_hubspot_and_a_do_not_call_leaves_it_next_day(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HubSpot keeps static lists (Lists v3, through the official client against the emulator): each owner gets
    "Call list <owner>" holding exactly today's people; the next day's list drops a lead the CRM flagged."""
    from connectors.sinks.hubspot.settings import HubSpotSettings
    from connectors.sinks.hubspot.sink import HubSpotSink
    from connectors.sinks.settings import SinkSettings
    from tests.emulators.hubspot import HubSpotEmulator

    emu = HubSpotEmulator(token="pat-na1-calls").start()
    try:
        monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-calls")
        url = f"sqlite:///{home / 'warehouse.db'}"
        cfg = _config(home, monkeypatch, url, sink={"type": "hubspot", "hubspot": {"host": emu.url, "concurrency": 1}},
                      cooldown_days=0, owner_quotas={JAMES: 2})
        seeded = [_person("flagged", JAMES, 90, NEW_YORK), _person("second", JAMES, 80, NEW_YORK),
                  _person("third", JAMES, 70, NEW_YORK), _person("annas", ANNA, 60, BERLIN)]
        _seed(url, *seeded)
        # the nightly push put them into HubSpot (confirmed ones are in the push ledger with their contact ids)
        sink = HubSpotSink(HubSpotSettings(host=emu.url, concurrency=1), "pat-na1-calls",
                           SinkSettings().mapping_for("hubspot"), sleep=lambda s: None)
        ids = _push_nightly(url, sink, seeded)

        def members(owner: str) -> set[str]:
            [lid] = [lid for lid, lst in emu.lists.items() if lst["name"] == f"Call list {owner}"]
            return set(emu.members[lid])

        first = build_call_lists(cfg, "cl-hs-1", NOW)
        assert first["crm"]["status"] == "synced"
        assert members(JAMES) == {ids["flagged"], ids["second"]}  # quota 2, best scores
        assert members(ANNA) == {ids["annas"]}

        monkeypatch.setattr(crm_flags, "crm_flags_for", lambda engine, pids: {
            "flagged": CrmFlags(do_not_call=CrmFlag("hubspot", date(2026, 12, 7)))})
        second = build_call_lists(cfg, "cl-hs-2", NOW + timedelta(days=1))
        assert members(JAMES) == {ids["second"], ids["third"]}
        assert second["crm"]["lists"][JAMES] == {"list_id": second["crm"]["lists"][JAMES]["list_id"], "members": 2,
                                                 "added": 1, "removed": 1, "not_in_crm": 0}
    finally:
        emu.stop()


def test_a_hubspot_list_name_taken_by_another_list_leaves_that_owner_unsynced_and_the_others_synced(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user made a company list called "Call list <Anna>"; HubSpot list names are unique across object types,
    so Anna's contact list cannot be made (400). James's is synced, HubSpot's words are in the summary."""
    import requests

    from connectors.sinks.hubspot.settings import HubSpotSettings
    from connectors.sinks.hubspot.sink import HubSpotSink
    from connectors.sinks.settings import SinkSettings
    from tests.emulators.hubspot import HubSpotEmulator

    emu = HubSpotEmulator(token="pat-na1-calls").start()
    try:
        monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-calls")
        url = f"sqlite:///{home / 'warehouse.db'}"
        cfg = _config(home, monkeypatch, url, sink={"type": "hubspot", "hubspot": {"host": emu.url, "concurrency": 1}})
        seeded = [_person("annas", ANNA, 60, BERLIN), _person("james", JAMES, 70, NEW_YORK)]
        _seed(url, *seeded)
        sink = HubSpotSink(HubSpotSettings(host=emu.url, concurrency=1), "pat-na1-calls",
                           SinkSettings().mapping_for("hubspot"), sleep=lambda s: None)
        ids = _push_nightly(url, sink, seeded)
        made = requests.post(f"{emu.url}/crm/v3/lists", timeout=10, headers={"Authorization": "Bearer pat-na1-calls"},
                             json={"name": f"Call list {ANNA}", "objectTypeId": "0-2", "processingType": "MANUAL"})
        assert made.status_code == 200

        result = build_call_lists(cfg, "cl-hs-taken", NOW)
        assert result["crm"]["not_synced"] == {ANNA: (
            f"{ANNA}'s list \"Call list {ANNA}\" was not synced to HubSpot: HubSpot answered 400 on the list 'Call "
            f"list {ANNA}' (VALIDATION_ERROR: A list named Call list {ANNA} already exists)" + _after("HubSpot"))}
        [james] = [lid for lid, lst in emu.lists.items() if lst["name"] == f"Call list {JAMES}"]
        assert emu.members[james] == {ids["james"]} and set(result["crm"]["lists"]) == {JAMES}
        assert _summary(cfg, "cl-hs-taken")[0]["crm"] == result["crm"]
    finally:
        emu.stop()


def test_an_owners_hubspot_list_deleted_in_hubspot_is_made_again_the_next_day(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user deleted "Call list <James>" in HubSpot. The next day's build syncs James's people into a new list of
    that name and records its id (no owner reported as not synced), and the day after uses that list."""
    from connectors.sinks.hubspot.settings import HubSpotSettings
    from connectors.sinks.hubspot.sink import HubSpotSink
    from connectors.sinks.settings import SinkSettings
    from leadpipe.store.warehouse import crm_lists
    from tests.emulators.hubspot import HubSpotEmulator

    emu = HubSpotEmulator(token="pat-na1-calls").start()
    try:
        monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-calls")
        url = f"sqlite:///{home / 'warehouse.db'}"
        cfg = _config(home, monkeypatch, url, sink={"type": "hubspot", "hubspot": {"host": emu.url, "concurrency": 1}},
                      cooldown_days=0)
        seeded = [_person("james", JAMES, 70, NEW_YORK), _person("annas", ANNA, 60, BERLIN)]
        _seed(url, *seeded)
        ids = _push_nightly(url, HubSpotSink(HubSpotSettings(host=emu.url, concurrency=1), "pat-na1-calls",
                                             SinkSettings().mapping_for("hubspot"), sleep=lambda s: None), seeded)

        def recorded(owner: str) -> str:
            with engine_for(url).connect() as conn:
                return conn.execute(select(crm_lists.c.crm_list_id)
                                    .where(crm_lists.c.list_name == f"Call list {owner}")).scalar_one()

        first = build_call_lists(cfg, "cl-hs-1", NOW)
        deleted = first["crm"]["lists"][JAMES]["list_id"]
        emu.delete_list(deleted)

        second = build_call_lists(cfg, "cl-hs-2", NOW + timedelta(days=1))
        assert second["crm"]["status"] == "synced" and second["crm"]["not_synced"] == {}
        [made] = [lid for lid, lst in emu.lists.items() if lst["name"] == f"Call list {JAMES}"]
        assert made != deleted and emu.members[made] == {ids["james"]} and recorded(JAMES) == made
        assert second["crm"]["lists"][JAMES] == {"list_id": made, "members": 1, "added": 1, "removed": 0,
                                                 "not_in_crm": 0}

        third = build_call_lists(cfg, "cl-hs-3", NOW + timedelta(days=2))
        assert third["crm"]["lists"][JAMES]["list_id"] == made and len(emu.lists) == 2
    finally:
        emu.stop()


@pytest.fixture
def salesforce(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[SalesforceEmulator]:
    """The local Salesforce and the Airflow Connection the sink logs in with (tests.emulators.salesforce)."""
    with running_salesforce(tmp_path_factory.mktemp("tls"), monkeypatch) as emu:
        yield emu


def _campaign(emu: SalesforceEmulator, owner: str) -> tuple[str, set[str]]:
    """The one Campaign named "Call list <owner>" in Salesforce -> (its Id, the Lead Ids of its CampaignMembers)."""
    [cid] = [c["Id"] for c in emu.campaigns.values() if c["Name"] == f"Call list {owner}"]
    return cid, {m["LeadId"] for m in emu.members.values() if m["CampaignId"] == cid}


def test_each_owners_list_is_a_campaign_in_salesforce_and_a_do_not_call_leaves_it_next_day(
        home: Path, monkeypatch: pytest.MonkeyPatch, salesforce: SalesforceEmulator) -> None:
    """Salesforce keeps named lists as Campaigns (simple-salesforce against the emulator): each owner's
    "Call list <owner>" Campaign has exactly today's Leads as CampaignMembers. In the evening a rep ticks
    DoNotCall on two Leads; the nightly feedback pull reads it back, and the next day James's flagged lead
    leaves his Campaign for his next best one, and Emily's Campaign, whose only lead was flagged, is emptied.
    Someone on a list whom the nightly push has not written yet is counted as not in the CRM."""
    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url, sink={"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01}},
                  cooldown_days=0, owner_quotas={JAMES: 2})
    pushed = [_person("flagged", JAMES, 90, NEW_YORK), _person("second", JAMES, 80, NEW_YORK),
              _person("third", JAMES, 70, NEW_YORK), _person("annas", ANNA, 60, BERLIN),
              _person("emilys", EMILY, 65, NEW_YORK)]
    _seed(url, *pushed, _person("late", ANNA, 55, BERLIN))  # qualified after the push: no Lead yet
    sink = make_sink(cfg.sink, engine_for(url), home)
    lead = _push_nightly(url, sink, pushed)

    first = build_call_lists(cfg, "cl-sf-1", NOW)
    assert first["crm"]["status"] == "synced"
    james, anna, emily = _campaign(salesforce, JAMES), _campaign(salesforce, ANNA), _campaign(salesforce, EMILY)
    assert james[1] == {lead["flagged"], lead["second"]}  # quota 2: the two best scores, not "third"
    assert _order(first, cfg, ANNA) == ["annas", "late"]
    assert anna[1] == {lead["annas"]}  # "late" is on her list but has no Lead to add yet
    assert emily[1] == {lead["emilys"]}
    assert all(c["IsActive"] for c in salesforce.campaigns.values())  # active: reps can pick them
    assert first["crm"]["lists"] == {
        JAMES: {"list_id": james[0], "members": 2, "added": 2, "removed": 0, "not_in_crm": 0},
        ANNA: {"list_id": anna[0], "members": 1, "added": 1, "removed": 0, "not_in_crm": 1},
        EMILY: {"list_id": emily[0], "members": 1, "added": 1, "removed": 0, "not_in_crm": 0}}

    evening = "2026-12-07T18:00:00.000+0000"
    salesforce.touch_lead("flagged@example.org", evening, DoNotCall=True)
    salesforce.touch_lead("emilys@example.org", evening, DoNotCall=True)
    assert pull(engine_for(url), "nightly-2", "salesforce", sink)["set"]["do_not_call"] == 2

    second = build_call_lists(cfg, "cl-sf-2", NOW + timedelta(days=1))
    assert second["left_out"] == {"do-not-call flag in the CRM": 2}
    assert _campaign(salesforce, JAMES) == (james[0], {lead["second"], lead["third"]})
    assert _campaign(salesforce, ANNA) == anna
    assert _campaign(salesforce, EMILY) == (emily[0], set())
    assert second["crm"]["lists"] == {
        JAMES: {"list_id": james[0], "members": 2, "added": 1, "removed": 1, "not_in_crm": 0},
        ANNA: {"list_id": anna[0], "members": 1, "added": 0, "removed": 0, "not_in_crm": 1},
        EMILY: {"list_id": emily[0], "members": 0, "added": 0, "removed": 1, "not_in_crm": 0}}
    assert len(salesforce.campaigns) == 3  # the same three Campaigns, none made twice


def test_a_phone_added_to_our_do_not_contact_file_since_the_last_run_is_not_on_the_list(
        home: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> None:
    """The morning's list reads the do-not-contact files as they are now: a number a caller asked us to stop
    using yesterday afternoon (added to the file after the nightly run decided the person) is never called."""
    dnc = home / "dnc.csv"
    dnc.write_text("email,phone\nnobody@example.org,\n", encoding="utf-8")

    def edit(data: dict) -> None:
        data["call_lists"]["cooldown_days"] = 0
        data["suppression"]["do_not_contact_files"] = [str(dnc)]
        data["routing"]["teams"]["na_east"] = [JAMES]

    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    cfg = load_config(write_config(home / "leadpipe.yaml", edit))
    migrate(warehouse_url)
    _seed(warehouse_url, _person("asked", JAMES, 80, NEW_YORK), _person("control", JAMES, 60, "+12125550188"))
    assert _order(build_call_lists(cfg, "cl-before", NOW), cfg, JAMES) == ["asked", "control"]
    dnc.write_text("email,phone\nnobody@example.org,\n,+1 (212) 555-0177\n", encoding="utf-8")
    later = build_call_lists(cfg, "cl-after", NOW + timedelta(days=1))
    assert _order(later, cfg, JAMES) == ["control"]
    assert later["left_out"] == {"suppressed": 1}


# ---- a list the CRM does not take: the others are synced, the files written, the command and DAG task fail ----
LONG = "aaron.maximilian-konstantinopoulos-vandenberghe.regional-director@example.com"  # 77 characters


def _after(crm: str) -> str:
    """How every not-synced list's message ends: the CRM list is as the last sync left it, and what to do."""
    return (f". Until then the list in {crm} holds what its last sync put there; today's list is in call_list.csv. "
            "Once fixed, run `leadpipe call-lists` (or trigger call_lists_daily) again: it keeps today's lists and "
            "syncs them")


def _summary(cfg, run_id: str) -> tuple[dict, str]:
    """call_lists.json and report.html of a build, as written to its run folder."""
    folder = run_folder(cfg, run_id) / "call_lists"
    return (json.loads((folder / "call_lists.json").read_text(encoding="utf-8")),
            (folder / "report.html").read_text(encoding="utf-8"))


def test_an_owner_whose_campaign_name_is_too_long_is_not_synced_the_others_are_and_the_command_exits_1(
        home: Path, monkeypatch: pytest.MonkeyPatch, salesforce: SalesforceEmulator) -> None:
    """A Campaign Name holds 80 characters; "Call list <77-character address>" has 87. The command saves every
    list, syncs the owners after him, says whose list, which CRM, why and what to change, and exits 1. Nothing
    is sent for his list: the name is never cut (two owners' cut names could be one Campaign)."""
    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url, sink={"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01}})
    people_ = [_person("longs", LONG, 90, NEW_YORK), _person("annas", ANNA, 60, BERLIN),
               _person("james", JAMES, 70, NEW_YORK)]
    _seed(url, *people_)
    lead = _push_nightly(url, make_sink(cfg.sink, engine_for(url), home), people_)

    out = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "call-lists"])
    assert out.exit_code == 1, out.output
    why = (f"{LONG}'s list \"Call list {LONG}\" was not synced to Salesforce: the name has 87 characters and "
           "Salesforce list names hold at most 80, so nothing was sent; shorten call_lists.list_name (now "
           "\"Call list {owner}\") in the config so that it fits with every owner (the name is not cut: two "
           "owners' cut names could be one list)" + _after("Salesforce"))
    assert f"Error: {why}" in out.output and "Traceback" not in out.output
    assert "CRM lists (salesforce): 1 of 3 lists not synced" in out.output
    assert _campaign(salesforce, ANNA)[1] == {lead["annas"]} and _campaign(salesforce, JAMES)[1] == {lead["james"]}
    assert all(c["Name"] != f"Call list {LONG}" for c in salesforce.campaigns.values()) and \
        len(salesforce.campaigns) == 2
    [run_id] = [p.name for p in run_folder(cfg, "x").parent.iterdir() if p.name.startswith("call_lists__")]
    summary, report = _summary(cfg, run_id)
    assert summary["crm"]["not_synced"] == {LONG: why} and set(summary["crm"]["lists"]) == {ANNA, JAMES}
    assert summary["people"] == 3 and _order(summary, cfg, LONG) == ["longs"]  # his list is built and saved
    assert "Lists not synced (1)" in report and "nothing was sent; shorten call_lists.list_name" in report


@pytest.mark.parametrize(("status", "code", "message"), [
    (400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Campaigns need a Type"),  # a validation rule of the org
    (500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId: 1-2-3")])
def test_an_error_for_one_owners_campaign_leaves_the_others_synced_and_a_rerun_syncs_it(
        home: Path, monkeypatch: pytest.MonkeyPatch, salesforce: SalesforceEmulator, status: int, code: str,
        message: str) -> None:
    """Salesforce refuses to create Emily's Campaign (the second of three owners, by address): Anna's and James's
    are synced, the files and report say what Salesforce said about Emily's; the next build of the day keeps
    the lists and syncs hers. A POST answered 500 may have been applied, so it is not sent twice."""
    from tests.emulators.httpbase import Fault

    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url, sink={"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01}})
    people_ = [_person("annas", ANNA, 60, BERLIN), _person("emilys", EMILY, 65, NEW_YORK),
               _person("james", JAMES, 70, NEW_YORK)]
    _seed(url, *people_)
    lead = _push_nightly(url, make_sink(cfg.sink, engine_for(url), home), people_)
    salesforce.inject(Fault(r"/sobjects/Campaign/?$", status, [{"errorCode": code, "message": message,
                                                                "fields": []}], method="POST", skip=1))

    first = build_call_lists(cfg, "cl-refused", NOW)
    why = (f"{EMILY}'s list \"Call list {EMILY}\" was not synced to Salesforce: Salesforce answered {status} on the "
           f"Campaign 'Call list {EMILY}' ({code}: {message})" + _after("Salesforce"))
    assert first["crm"]["not_synced"] == {EMILY: why}
    assert first["crm"]["status"] == "1 of 3 lists not synced"
    assert _campaign(salesforce, ANNA)[1] == {lead["annas"]} and _campaign(salesforce, JAMES)[1] == {lead["james"]}
    assert len(salesforce.calls(r"/sobjects/Campaign/?$", status)) == 1  # not retried
    summary, report = _summary(cfg, "cl-refused")
    assert summary == json.loads(json.dumps(first, default=str)) and why.replace("'", "&#x27;") \
        .replace('"', "&quot;") in report

    again = build_call_lists(cfg, "cl-again", NOW + timedelta(hours=1))
    assert again["status"].startswith("kept") and again["crm"]["status"] == "synced"
    assert again["crm"]["not_synced"] == {} and _campaign(salesforce, EMILY)[1] == {lead["emilys"]}
    assert len(salesforce.campaigns) == 3


def test_two_campaigns_of_an_owners_list_name_are_refused_and_the_dag_task_fails_after_saving_the_lists(
        home: Path, monkeypatch: pytest.MonkeyPatch, salesforce: SalesforceEmulator) -> None:
    """Before the first sync a user made two Campaigns called "Call list <Emily>" (Salesforce allows it; SOQL
    matches names ignoring case). Which is her list cannot be told, so hers is refused, naming both; James's
    is synced and the task fails at the end. The user deletes one and renames James's; the next run syncs
    Emily's into the one left and keeps James's renamed Campaign (no second one)."""
    import importlib.util

    from airflow.sdk.exceptions import AirflowFailException

    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url, sink={"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01}})
    monkeypatch.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
    people_ = [_person("emilys", EMILY, 65, NEW_YORK), _person("james", JAMES, 70, NEW_YORK)]
    _seed(url, *people_)
    lead = _push_nightly(url, make_sink(cfg.sink, engine_for(url), home), people_)
    mine, twin = salesforce.add_campaign(f"Call list {EMILY}"), salesforce.add_campaign(f"CALL LIST {EMILY.upper()}")

    spec = importlib.util.spec_from_file_location("call_lists_dag", Path(__file__).parents[1] / "dags" /
                                                  "call_lists_daily.py")
    dag_file = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dag_file)
    task = dag_file.call_lists_daily().get_task("build_call_lists").python_callable
    monkeypatch.setattr(dag_file, "get_current_context", lambda: {"run_id": "scheduled__2026-12-07"})

    with pytest.raises(AirflowFailException) as failed:
        task(params={"rebuild": False, "dry_run": False})
    why = (f"{EMILY}'s list \"Call list {EMILY}\" was not synced to Salesforce: 2 Campaigns are named 'Call list "
           f"{EMILY}' (Salesforce compares names ignoring case): {mine}, {twin}; which one is this list cannot be "
           "told, so none was changed: rename or delete all but one of them in Salesforce" + _after("Salesforce"))
    assert str(failed.value) == ("1 owner list(s) not synced to the CRM (the lists are built and in the run's "
                                 f"Reports tab): {why}")
    assert {m["LeadId"] for m in salesforce.members.values()} == {lead["james"]}  # Emily's Campaigns untouched
    summary, _ = _summary(cfg, "scheduled__2026-12-07")
    assert summary["crm"]["not_synced"] == {EMILY: why} and summary["people"] == 2

    james = _campaign(salesforce, JAMES)[0]
    salesforce.delete_campaign(twin)
    salesforce.campaigns[james]["Name"] = "James - callbacks first"
    monkeypatch.setattr(dag_file, "get_current_context", lambda: {"run_id": "manual__2026-12-07"})
    assert task(params={"rebuild": False, "dry_run": False})["status"].startswith("kept")
    assert {c: {m["LeadId"] for m in salesforce.members.values() if m["CampaignId"] == c}
            for c in salesforce.campaigns} == {mine: {lead["emilys"]}, james: {lead["james"]}}


@pytest.mark.parametrize("refusal", ["login", "daily limit"])
def test_a_refusal_for_every_list_is_reported_per_owner_and_the_lists_after_it_are_not_tried(
        home: Path, monkeypatch: pytest.MonkeyPatch, salesforce: SalesforceEmulator, refusal: str) -> None:
    """Salesforce refuses the login (a rotated secret) or the org's daily API limit is spent: every owner's
    list is reported as not synced with what to change, the lists and files are still saved, and once the
    first sync met the limit no more requests are sent for the others."""
    url = f"sqlite:///{home / 'warehouse.db'}"
    cfg = _config(home, monkeypatch, url, sink={"type": "salesforce", "salesforce": {"retry_base_seconds": 0.01}})
    people_ = [_person("annas", ANNA, 60, BERLIN), _person("james", JAMES, 70, NEW_YORK)]
    _seed(url, *people_)
    _push_nightly(url, make_sink(cfg.sink, engine_for(url), home), people_)
    if refusal == "login":
        salesforce.client = ("ck-test", "rotated-s3cret")
    else:
        salesforce.daily = salesforce.used
    sent = len(salesforce.log)

    result = build_call_lists(cfg, f"cl-{refusal}", NOW)
    refused = result["crm"]["not_synced"]
    assert set(refused) == {ANNA, JAMES} and result["crm"]["lists"] == {}
    assert all(m.startswith(f"{o}'s list \"Call list {o}\" was not synced to Salesforce: ") for o, m in refused.items())
    if refusal == "login":
        assert result["crm"]["status"].startswith("not synced: Salesforce refused the client credentials login")
        assert all("check the consumer key and secret in the Connection" in m and "s3cret" not in m
                   for m in refused.values())
    else:
        assert "Salesforce daily API limit reached (REQUEST_LIMIT_EXCEEDED)" in refused[ANNA]
        assert "not tried after Salesforce refused an earlier list: Salesforce daily API limit reached" in refused[JAMES]
        assert [e["status"] for e in salesforce.log[sent:] if e["path"] != "/services/oauth2/token"] == [403]
    summary, report = _summary(cfg, f"cl-{refusal}")
    assert summary["crm"]["not_synced"] == refused and summary["people"] == 2 and "Lists not synced (2)" in report

"""A list rebuild reaches the CRM: HubSpot static list / Salesforce Campaign hold exactly the planned people.

Driven the way the `rebuild_prospect_list` DAG drives it (form params -> plan_list -> write_list), against the
HubSpot and Salesforce emulators. Who is in each segment follows from tests/rebuild_seed.py's table:
DACH market with score >= 40 -> ceo (85), vp (72), manager (58) once the DNC and no-consent people are
suppressed; adding the persona 'Economic Buyer' keeps ceo and vp only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.tls import make_test_ca
from tests.rebuild_seed import seed_warehouse

TOKEN = "pat-na1-rebuild"
WIDE = {"markets": ["dach_mid_market"]}
NARROW = {"markets": ["dach_mid_market"], "personas": ["Economic Buyer"], "include_already_pushed": True}
WIDE_PEOPLE = {"p-dach-ceo", "p-dach-vp", "p-dach-mgr"}
NARROW_PEOPLE = {"p-dach-ceo", "p-dach-vp"}
EMAILS = {"p-dach-ceo": "anna.ceo@kunde.de", "p-dach-vp": "ben.vp@firma.de", "p-dach-mgr": "cara.mgr@firma.de"}


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hubspot_host: str = "http://127.0.0.1:9") -> None:
    from leadpipe.pipeline.settings import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text()
    text = text.replace("crm_targets: [local]", "crm_targets: [local, hubspot, salesforce]")
    text = text.replace("sink:\n  type: local\n", f"sink:\n  type: local\n  hubspot:\n    host: {hubspot_host}\n")
    assert "crm_targets: [local, hubspot, salesforce]" in text and hubspot_host in text
    (tmp_path / "cfg.yaml").write_text(text)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(tmp_path / "cfg.yaml"))


def _rebuild(home: Path, run_id: str, crm: str, list_name: str, **choices: object) -> dict:
    """What the DAG's plan and write tasks do, with the form's params."""
    from leadpipe.pipeline.rebuild import Segment, plan_list, write_list
    from leadpipe.pipeline.settings import load_config

    params = {"list_name": list_name, "markets": None, "personas": None, "countries": None, "min_score": 40,
              "tier": "any", "crm_target": crm, "dry_run": False, "include_already_pushed": False, **choices}
    folder = home / "runs" / run_id / "rebuild"
    plan_list(load_config(), folder, Segment.from_params(params))
    return write_list(load_config(), run_id, folder)


@pytest.fixture
def hubspot(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    emu = HubSpotEmulator(token=TOKEN).start()
    monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", TOKEN)
    _config(tmp_path, monkeypatch, emu.url)
    seed_warehouse(home)
    yield emu
    emu.stop()


@pytest.fixture
def salesforce(home: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
               monkeypatch: pytest.MonkeyPatch):
    ca, cert, key = make_test_ca(tmp_path_factory.mktemp("tls"))
    emu = SalesforceEmulator(str(cert), str(key)).start()
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "conn_type": "salesforce", "host": emu.url, "login": "ck-test", "password": "cs-test",
        "extra": {"ca_bundle": str(ca)}}))
    _config(tmp_path, monkeypatch)
    seed_warehouse(home)
    yield emu
    emu.stop()


def _hubspot_members(emu: HubSpotEmulator, name: str) -> set[str]:
    """Emails of the contacts on the static list `name` (as HubSpot holds them)."""
    [lid] = [lid for lid, lst in emu.lists.items() if lst["name"] == name]
    assert emu.lists[lid]["processingType"] == "MANUAL"  # a static list: members only change when we say
    return {emu.objects["contacts"][cid]["properties"]["email"] for cid in emu.members[lid]}


def test_rebuild_into_hubspot_keeps_the_static_list_in_sync(hubspot: HubSpotEmulator, home: Path) -> None:
    crm = _rebuild(home, "rebuild_1", "hubspot", "DACH buyers Q3", **WIDE)
    assert crm["written"] == 3 and crm["failed"] == 0
    assert _hubspot_members(hubspot, "DACH buyers Q3") == {EMAILS[p] for p in WIDE_PEOPLE}
    assert (crm["named_list"]["added"], crm["named_list"]["removed"]) == (3, 0)
    assert len(hubspot.lists) == 1

    crm = _rebuild(home, "rebuild_2", "hubspot", "DACH buyers Q3", **NARROW)
    assert crm["written"] == 0 and crm["unchanged"] == 2  # nothing re-sent; only the list changes
    assert _hubspot_members(hubspot, "DACH buyers Q3") == {EMAILS[p] for p in NARROW_PEOPLE}
    assert (crm["named_list"]["added"], crm["named_list"]["removed"]) == (0, 1)
    assert len(hubspot.lists) == 1 and len(hubspot.objects["contacts"]) == 3  # the manager stays a contact


def test_rebuild_into_salesforce_keeps_the_campaign_in_sync(salesforce: SalesforceEmulator, home: Path) -> None:
    crm = _rebuild(home, "rebuild_1", "salesforce", "DACH buyers Q3", **WIDE)
    assert crm["written"] == 3 and crm["failed"] == 0
    [cid] = list(salesforce.campaigns)
    assert salesforce.campaigns[cid]["Name"] == "DACH buyers Q3"
    lead_of = {pid: salesforce.leads[pid.lower()]["Id"] for pid in WIDE_PEOPLE}
    assert {m["LeadId"] for m in salesforce.members.values() if m["CampaignId"] == cid} == set(lead_of.values())

    crm = _rebuild(home, "rebuild_2", "salesforce", "DACH buyers Q3", **NARROW)
    assert list(salesforce.campaigns) == [cid]
    assert {m["LeadId"] for m in salesforce.members.values() if m["CampaignId"] == cid} == \
        {lead_of[p] for p in NARROW_PEOPLE}
    assert (crm["named_list"]["added"], crm["named_list"]["removed"]) == (0, 1)


def test_a_dry_run_plan_writes_nothing_to_the_crm(hubspot: HubSpotEmulator, home: Path) -> None:
    from leadpipe.pipeline.rebuild import Segment, plan_list
    from leadpipe.pipeline.settings import load_config

    params = {"list_name": "DACH buyers Q3", "crm_target": "hubspot", "dry_run": True, "min_score": 40, **WIDE}
    plan = plan_list(load_config(), home / "rb", Segment.from_params(params))
    assert plan["counts"]["create"] == 3
    assert hubspot.accepted_times == [] and hubspot.lists == {}


def _after(crm: str) -> str:
    """What the refusal tells the user to do, after what the CRM said."""
    return (f". The records written to {crm} are recorded; the list in {crm} holds what its last sync put there. "
            "Once fixed, clear this run's failed write task in Airflow: it writes the same plan again (the CRM "
            "updates the records it has, nothing is duplicated) and syncs the list")


def _write_task(target: str, run_id: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[], dict]:
    """The DAG's `write_to_<target>` task as Airflow runs it, for the run whose plan task wrote `rebuild/`."""
    import importlib.util

    from leadpipe.pipeline.context import run_folder
    from leadpipe.pipeline.settings import load_config

    spec = importlib.util.spec_from_file_location("rebuild_dag", Path(__file__).parents[1] / "dags" /
                                                  "rebuild_prospect_list.py")
    dag_file = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dag_file)
    folder = run_folder(load_config(), run_id) / "rebuild"
    plan = json.loads((folder / "plan.json").read_text())
    planned = {"folder": str(folder), "counts": plan["counts"], "needs_approval": plan["needs_approval"],
               "dry_run": False}

    class TaskInstance:
        def xcom_pull(self, task_ids: str) -> dict:
            assert task_ids == "plan"
            return planned

    monkeypatch.setattr(dag_file, "get_current_context", lambda: {"run_id": run_id, "ti": TaskInstance()})
    return dag_file.rebuild_prospect_list().get_task(f"write_to_{target}").python_callable


def test_a_hubspot_list_refused_is_reported_after_the_writes_and_the_write_task_fails_at_the_end(
        hubspot: HubSpotEmulator, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user made a company list "DACH buyers Q3" in HubSpot; list names are unique across object types, so the
    contact list cannot be made (400). The three people are written and recorded all the same, crm_result.json
    and the report say which list, which CRM, what HubSpot said and what to do, and the task fails after saving
    them. Once the company list is renamed, clearing the task writes the same plan again and syncs the list."""
    import requests
    from airflow.sdk.exceptions import AirflowFailException

    from leadpipe.pipeline.rebuild import Segment, plan_list
    from leadpipe.pipeline.settings import load_config

    taken = requests.post(f"{hubspot.url}/crm/v3/lists", timeout=10, headers={"Authorization": f"Bearer {TOKEN}"},
                          json={"name": "DACH buyers Q3", "objectTypeId": "0-2", "processingType": "MANUAL"})
    assert taken.status_code == 200
    folder = home / "runs" / "rebuild_refused" / "rebuild"
    plan_list(load_config(), folder, Segment.from_params({"list_name": "DACH buyers Q3", "crm_target": "hubspot",
                                                          "dry_run": False, "min_score": 40, **WIDE}))
    write = _write_task("hubspot", "rebuild_refused", monkeypatch)

    with pytest.raises(AirflowFailException) as failed:
        write()
    why = ("the list \"DACH buyers Q3\" was not synced to HubSpot: HubSpot answered 400 on the list 'DACH buyers Q3' "
           "(VALIDATION_ERROR: A list named DACH buyers Q3 already exists)" + _after("HubSpot"))
    assert str(failed.value) == ("list not synced to the CRM (the records written are recorded; the report is in "
                                 f"the run's Reports tab): {why}")
    crm = json.loads((folder / "crm_result.json").read_text())
    assert crm["not_synced"] == {"DACH buyers Q3": why} and "named_list" not in crm
    assert (crm["written"], crm["failed"]) == (3, 0) and len(hubspot.objects["contacts"]) == 3
    report = (folder / "report.html").read_text()
    assert "List not synced" in report and "A list named DACH buyers Q3 already exists" in report
    assert "Traceback" not in report and "Traceback" not in str(failed.value)

    [company_list] = list(hubspot.lists)
    hubspot.lists[company_list]["name"] = "DACH accounts Q3"  # renamed in HubSpot
    crm = write()  # the task cleared in Airflow
    assert crm["not_synced"] == {} and crm["named_list"]["added"] == 3 and len(hubspot.objects["contacts"]) == 3
    assert _hubspot_members(hubspot, "DACH buyers Q3") == {EMAILS[p] for p in WIDE_PEOPLE}
    assert json.loads((folder / "crm_result.json").read_text())["named_list"]["members"] == 3


def test_a_salesforce_campaign_refused_is_recorded_in_crm_result_json(
        salesforce: SalesforceEmulator, home: Path) -> None:
    """Two Campaigns are named "DACH buyers Q3" in Salesforce: which one is the list cannot be told, so none is
    changed; the Leads are written and the refusal is in crm_result.json in the user's words."""
    first, second = salesforce.add_campaign("DACH buyers Q3"), salesforce.add_campaign("dach buyers q3")
    crm = _rebuild(home, "rebuild_twins", "salesforce", "DACH buyers Q3", **WIDE)
    why = (f"the list \"DACH buyers Q3\" was not synced to Salesforce: 2 Campaigns are named 'DACH buyers Q3' "
           f"(Salesforce compares names ignoring case): {', '.join(sorted([first, second]))}; which one is this list "
           "cannot be told, so none was changed: rename or delete all but one of them in Salesforce"
           + _after("Salesforce"))
    assert crm["not_synced"] == {"DACH buyers Q3": why} and crm["written"] == 3
    assert json.loads((home / "runs" / "rebuild_twins" / "rebuild" / "crm_result.json").read_text()) == crm
    assert salesforce.members == {}


def test_a_refusal_carrying_a_credential_in_a_url_is_saved_masked(hubspot: HubSpotEmulator, home: Path) -> None:
    """HubSpot's answer quotes a URL with a token in it: what the task returns and logs (and the task's failure
    message) and crm_result.json keep HubSpot's words, not the token."""
    from tests.emulators.httpbase import Fault

    hubspot.inject(Fault(r"^/crm/v3/lists/?$", 400, {"status": "error", "category": "VALIDATION_ERROR",
                                                     "correlationId": "c0ffee00-0000-0000-0000-000000000000",
                                                     "message": "see https://app.example/lists?access_token=s3cret"},
                         method="POST"))
    crm = _rebuild(home, "rebuild_masked", "hubspot", "DACH buyers Q3", **WIDE)
    saved = (home / "runs" / "rebuild_masked" / "rebuild" / "crm_result.json").read_text()
    [why] = crm["not_synced"].values()
    assert "(VALIDATION_ERROR: see https://app.example/lists?access_token=***)" in why
    assert json.loads(saved)["not_synced"] == crm["not_synced"] and "s3cret" not in saved

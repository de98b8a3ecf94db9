"""A list rebuild reaches the CRM: HubSpot static list / Salesforce Campaign hold exactly the planned people.

Driven the way the `rebuild_prospect_list` DAG drives it (form params -> plan_list -> write_list), against the
HubSpot and Salesforce emulators. Who is in each segment follows from tests/rebuild_seed.py's table:
DACH market with score >= 40 -> ceo (85), vp (72), manager (58) once the DNC and no-consent people are
suppressed; adding the persona 'Economic Buyer' keeps ceo and vp only.
"""

from __future__ import annotations

import json
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

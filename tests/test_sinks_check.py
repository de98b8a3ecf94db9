"""`leadpipe sinks check hubspot|salesforce` against the emulators: each setup problem is named with what to do,
the exit code says whether a push can go ahead, and the check writes nothing to the CRM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.emulators.crm_setup import ALL_SCOPES, HubSpotSetupEmulator, SalesforceSetupEmulator
from tests.emulators.tls import make_test_ca

TOKEN = "pat-na1-check"


def _check(home: Path, tmp_path: Path, crm: str, hubspot_host: str = "http://127.0.0.1:9"):
    from leadpipe.cli.app import main
    from leadpipe.pipeline.settings import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text().replace("sink:\n  type: local\n",
                                              f"sink:\n  type: local\n  hubspot:\n    host: {hubspot_host}\n")
    (tmp_path / "cfg.yaml").write_text(text)
    return CliRunner().invoke(main, ["--config", str(tmp_path / "cfg.yaml"), "sinks", "check", crm])


def _hubspot(monkeypatch: pytest.MonkeyPatch, prepared: bool = True, **kw: object) -> HubSpotSetupEmulator:
    """An emulator whose account has leadpipe's properties (as after a first push) unless prepared=False."""
    from connectors.sinks.hubspot.settings import HubSpotSettings
    from connectors.sinks.hubspot.sink import HubSpotSink
    from connectors.sinks.settings import SinkSettings

    emu = HubSpotSetupEmulator(token=TOKEN, **kw).start()
    monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", TOKEN)
    if prepared:
        HubSpotSink(HubSpotSettings(host=emu.url), TOKEN, SinkSettings().mapping_for("hubspot")).ensure_properties()
    return emu


def test_hubspot_set_up_for_leadpipe_passes(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = _hubspot(monkeypatch)
    before = emu.writes()
    result = _check(home, tmp_path, "hubspot", emu.url)
    emu.stop()
    assert result.exit_code == 0, result.output
    assert "PROBLEM" not in result.output and "sink hubspot: ok - ready to push" in result.output
    assert "every scope leadpipe needs" in result.output
    assert emu.writes() == before  # read-only


def test_hubspot_missing_property_is_named(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = _hubspot(monkeypatch, scopes=tuple(s for s in ALL_SCOPES if s != "crm.schemas.contacts.write"))
    del emu.props["contacts"]["lp_score"]  # an admin deleted it, and the token may not create properties
    before = emu.writes()
    result = _check(home, tmp_path, "hubspot", emu.url)
    assert result.exit_code == 1
    problems = [ln for ln in result.output.splitlines() if "PROBLEM" in ln]
    assert any("contact property lp_score: missing" in ln and "internal name 'lp_score'" in ln for ln in problems)
    assert any("scope crm.schemas.contacts.write: missing" in ln for ln in problems)
    assert len(problems) == 2
    assert emu.writes() == before and "lp_score" not in emu.props["contacts"]  # the check created nothing
    # with the scope, the first push creates it: named, but nothing to fix
    emu.scopes = list(ALL_SCOPES)
    result = _check(home, tmp_path, "hubspot", emu.url)
    emu.stop()
    assert result.exit_code == 0, result.output
    assert "contact property lp_score: missing; the first push creates it" in result.output


def test_hubspot_missing_scope_is_named(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = _hubspot(monkeypatch, scopes=tuple(s for s in ALL_SCOPES if s != "crm.lists.write"))
    result = _check(home, tmp_path, "hubspot", emu.url)
    emu.stop()
    assert result.exit_code == 1
    problems = [ln for ln in result.output.splitlines() if "PROBLEM" in ln]
    assert len(problems) == 1 and "scope crm.lists.write: missing" in problems[0]
    assert "Private Apps" in problems[0]


def test_hubspot_company_key_that_is_not_unique(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = _hubspot(monkeypatch)
    emu.props["companies"]["lp_domain_key"]["hasUniqueValue"] = False
    result = _check(home, tmp_path, "hubspot", emu.url)
    emu.stop()
    assert result.exit_code == 1
    assert "company property lp_domain_key: exists but does not require unique values" in result.output


def test_hubspot_refused_token(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = _hubspot(monkeypatch, prepared=False)
    monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-wrong")
    result = _check(home, tmp_path, "hubspot", emu.url)
    emu.stop()
    assert result.exit_code == 1
    assert "token:" in result.output and "hubspot_default" in result.output
    assert "pat-na1-wrong" not in result.output  # never echo a secret
    assert "Traceback" not in result.output


def test_hubspot_without_any_token(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADPIPE_HUBSPOT_TOKEN", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_HUBSPOT_DEFAULT", raising=False)
    result = _check(home, tmp_path, "hubspot")
    assert result.exit_code == 1
    assert "no HubSpot token: set the Airflow Connection 'hubspot_default'" in result.output


@pytest.fixture
def sf(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    ca, cert, key = make_test_ca(tmp_path_factory.mktemp("tls"))
    started = []

    def start(secret: str = "cs-test", **kw: object) -> SalesforceSetupEmulator:
        emu = SalesforceSetupEmulator(str(cert), str(key), **kw).start()
        started.append(emu)
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "conn_type": "salesforce", "host": emu.url, "login": "ck-test", "password": secret,
            "extra": {"ca_bundle": str(ca)}}))
        return emu

    yield start
    for emu in started:
        emu.stop()


def test_salesforce_set_up_for_leadpipe_passes(sf, home: Path, tmp_path: Path) -> None:
    emu = sf()
    result = _check(home, tmp_path, "salesforce")
    assert result.exit_code == 0, result.output
    assert "field Lead.Prospect_Ext_Id__c: external id, unique" in result.output
    assert emu.leads == {} and emu.campaigns == {} and emu.members == {}  # read-only


def test_salesforce_missing_field_is_named(sf, home: Path, tmp_path: Path) -> None:
    emu = sf(missing_fields=("LP_Score__c",))
    result = _check(home, tmp_path, "salesforce")
    assert result.exit_code == 1
    [line] = [ln for ln in result.output.splitlines() if "PROBLEM" in ln]
    assert "field Lead.LP_Score__c: missing" in line
    assert emu.leads == {} and emu.campaigns == {}


def test_salesforce_external_id_and_campaign_permissions(sf, home: Path, tmp_path: Path) -> None:
    sf(missing_fields=("Prospect_Ext_Id__c",), campaign_createable=False)
    out = _check(home, tmp_path, "salesforce").output
    assert "field Lead.Prospect_Ext_Id__c: missing: create a Text(36) custom field" in out
    assert "Campaign object" in out and "Marketing User" in out
    sf(ext_is_external=False)
    out = _check(home, tmp_path, "salesforce").output
    assert "is not marked External ID" in out


def test_salesforce_refused_login(sf, home: Path, tmp_path: Path) -> None:
    sf(secret="cs-wrong")
    result = _check(home, tmp_path, "salesforce")
    assert result.exit_code == 1
    assert "credentials" in result.output and "consumer key and secret" in result.output
    assert "cs-wrong" not in result.output and "Traceback" not in result.output

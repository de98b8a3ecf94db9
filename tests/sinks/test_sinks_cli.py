"""`leadpipe sinks list|check` against the local sink and the HubSpot emulator; checks send nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpipe.cli import main
from leadpipe.store.warehouse import migrate
from tests.emulators.hubspot import HubSpotEmulator


def run(cfg: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(cfg), "sinks", *args])


def test_list_shows_every_installed_sink_with_its_capabilities(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: []\nsink:\n  type: hubspot\n")
    out = run(cfg, "list")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "hubspot  (configured)" in lines and "local" in lines and "salesforce" in lines
    hubspot = lines[lines.index("hubspot  (configured)") + 1]
    assert "upsert by email" in hubspot and "named lists: yes" in hubspot
    local = lines[lines.index("local") + 1]
    assert "named lists: no" in local and "requires person_id, email, score" in local
    salesforce = lines[lines.index("salesforce") + 1]  # a Campaign Name holds 80 characters
    assert "named lists: yes (names up to 80 characters)" in salesforce


def test_check_local_reads_the_warehouse_and_creates_nothing(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: []\n")
    out = run(cfg, "check", "local")
    assert out.exit_code == 0, out.output
    assert "first run creates it" in out.output and not (home / "warehouse.db").exists()
    migrate(f"sqlite:///{home / 'warehouse.db'}")
    out = run(cfg, "check")  # the configured sink (local)
    assert out.exit_code == 0 and "table 'prospects' readable" in out.output


def test_check_hubspot_reads_once_and_writes_nothing(home: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    emu = HubSpotEmulator(token="pat-na1-good").start()
    try:
        cfg = tmp_path / "c.yaml"
        cfg.write_text(f"sources: []\nsink:\n  type: local\n  hubspot:\n    host: {emu.url}\n")
        monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-good")
        out = run(cfg, "check", "hubspot")
        assert out.exit_code == 0, out.output
        assert "accepted the token" in out.output
        assert emu.calls("properties") and not emu.calls("batch") and not emu.objects["contacts"]

        monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-revoked-secret")
        out = run(cfg, "check", "hubspot")
        assert out.exit_code == 1
        assert "PROBLEM  token: HubSpot refused the credentials" in out.output
        assert out.output.rstrip().endswith("Error: sink hubspot: 1 problem(s) to fix before pushing; see above")
        assert "Traceback" not in out.output and "revoked-secret" not in out.output
        assert out.exception is None or isinstance(out.exception, SystemExit)
    finally:
        emu.stop()


def test_check_names_the_installed_types_for_an_unknown_one(home: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: []\n")
    out = run(cfg, "check", "pipedrive")
    assert out.exit_code == 1 and "installed sink types: local, hubspot, salesforce" in out.output
    monkeypatch.delenv("LEADPIPE_HUBSPOT_TOKEN", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_HUBSPOT_DEFAULT", raising=False)
    out = run(cfg, "check", "hubspot")
    assert out.exit_code == 1 and "no HubSpot token" in out.output and "Traceback" not in out.output

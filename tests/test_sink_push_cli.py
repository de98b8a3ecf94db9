"""`leadpipe push --dry-run`: prints and stores the plan, sends nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from leadpipe.cli import main
from leadpipe.store.warehouse import engine_for, push_ledger, push_plans
from tests.emulators.hubspot import HubSpotEmulator


def write_run(home: Path, n: int) -> None:
    folder = home / "runs" / "manual__1"
    folder.mkdir(parents=True)
    pd.DataFrame([{"person_id": f"p{i}", "email": f"p{i}@acme.example", "first_name": "A", "last_name": "B",
                   "company": "Acme", "domain": "acme.example", "score": 50, "tier": "B", "market": "dach",
                   "seniority": "vp", "lead_source": "vendor", "primary_raw_row_id": i + 1}
                  for i in range(n)]).to_parquet(folder / "prospects.parquet")


def test_dry_run_with_the_local_sink_plans_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: []\nsink:\n  type: local\n")
    write_run(home, 4)
    out = CliRunner().invoke(main, ["--config", str(cfg), "push", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "nothing sent" in out.output and "create  4" in out.output
    engine = engine_for(f"sqlite:///{home / 'warehouse.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(push_plans).where(push_plans.c.dry_run)).scalar() == 4
        assert conn.execute(select(func.count()).select_from(push_ledger)).scalar() == 0
    assert not (home / "runs" / "manual__1" / "crm_import.csv").exists()
    assert "p0@acme.example" not in out.output  # person ids only, no personal data in bulk


def test_dry_run_against_hubspot_shows_crm_matches_without_writing(home: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    emu = HubSpotEmulator(token="pat-na1-dry").start()
    try:
        emu.objects["contacts"]["77"] = {"id": "77", "createdAt": "2026-01-05T10:00:00Z",
                                         "properties": {"hs_object_id": "77", "email": "p1@acme.example"}}
        monkeypatch.setenv("LEADPIPE_HUBSPOT_TOKEN", "pat-na1-dry")
        cfg = tmp_path / "c.yaml"
        cfg.write_text(f"sources: []\nsink:\n  type: hubspot\n  hubspot:\n    host: {emu.url}\n")
        write_run(home, 3)
        out = CliRunner().invoke(main, ["--config", str(cfg), "push", "--dry-run"])
        assert out.exit_code == 0, out.output
        assert "create  2" in out.output and "update  1" in out.output and "(CRM id 77)" in out.output
        assert emu.calls("batch/read") and not emu.calls("batch/upsert") and not emu.calls("properties")
    finally:
        emu.stop()


def test_push_without_dry_run_points_to_the_dag(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: []\n")
    out = CliRunner().invoke(main, ["--config", str(cfg), "push"])
    assert out.exit_code != 0 and "--dry-run" in out.output

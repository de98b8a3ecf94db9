"""Run ids are never reused by hand: `leadpipe run --run-id <an earlier run>` is refused before anything is
written, while the DAG's start task, which Airflow retries under the same run id, still goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leadpipe.cli import main
from leadpipe.pipeline import stages
from leadpipe.pipeline.run import RunIdTaken, run_pipeline
from leadpipe.pipeline.settings import Config, load_config
from leadpipe.store.warehouse import engine_for, migrate, outcomes, runs
from tests.test_compliance_pipeline import BLOCKED_EMAIL, CONTROL, _write_list, setup  # noqa: F401


@pytest.fixture
def cfg(setup: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:  # noqa: F811
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    return load_config(setup)


def _snapshot(cfg: Config) -> tuple[list, list]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        return (sorted(tuple(r) for r in conn.execute(select(outcomes)).all()),
                sorted(tuple(r) for r in conn.execute(select(runs.c.run_id, runs.c.status, runs.c.started_at))))


def test_reusing_a_run_id_is_refused_and_changes_nothing(cfg: Config, setup: Path) -> None:  # noqa: F811
    _write_list(cfg.home / "inputs" / "i7" / "list_1.csv", [CONTROL, BLOCKED_EMAIL])
    run_pipeline(cfg, "run-1")
    before = _snapshot(cfg)
    files_before = sorted(p.relative_to(cfg.runs_dir) for p in cfg.runs_dir.rglob("*"))
    _write_list(cfg.home / "inputs" / "i7" / "list_2.csv", [CONTROL], shout=True)  # new input it would take

    result = CliRunner().invoke(main, ["--config", str(setup), "run", "--run-id", "run-1"])
    assert result.exit_code == 1
    assert "run id 'run-1' is already used" in result.output
    assert "Traceback" not in result.output
    assert _snapshot(cfg) == before
    assert sorted(p.relative_to(cfg.runs_dir) for p in cfg.runs_dir.rglob("*")) == files_before

    fresh = CliRunner().invoke(main, ["--config", str(setup), "run", "--run-id", "run-2"])
    assert fresh.exit_code == 0, fresh.output


def test_a_run_folder_without_a_warehouse_row_also_claims_its_id(cfg: Config) -> None:
    migrate(cfg.warehouse_url)  # a warehouse reset (or another one) next to an old runs folder
    (cfg.runs_dir / "old-run").mkdir(parents=True)
    (cfg.runs_dir / "old-run" / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(RunIdTaken, match="already used by an earlier run .its run folder"):
        run_pipeline(cfg, "old-run")
    with engine_for(cfg.warehouse_url).connect() as conn:
        assert conn.execute(select(runs).where(runs.c.run_id == "old-run")).first() is None


def test_a_retried_start_task_goes_on_under_the_same_run_id(cfg: Config) -> None:
    ctx = stages.RunContext(cfg, "scheduled__2026-01-01")
    assert stages.start(ctx) == stages.start(ctx)  # Airflow's retry of the first task
    with pytest.raises(RunIdTaken):
        stages.start(ctx, new=True)

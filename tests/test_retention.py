"""Retention: run folders older than `retention.run_files_days` lose their files (Parquet copies of personal
data), keep summary.json and report.html; younger runs, the current run and unknown young folders stay whole."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from leadpipe.core.errors import ConfigError
from leadpipe.pipeline.retention import prune_run_files
from leadpipe.pipeline.settings import Config, load_config
from leadpipe.store.warehouse import engine_for, migrate, runs
from tests.homes import write_config

NOW = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)
FILES = ("summary.json", "report.html", "mapped/vendor_apollo.parquet", "qualified.parquet", "crm_import.csv",
         "timings/start.json")


@pytest.fixture
def cfg(home: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    write_config(home / "leadpipe.yaml", lambda data: data.update(retention={"run_files_days": 30}))
    cfg = load_config(home / "leadpipe.yaml")
    migrate(warehouse_url)
    return cfg


def _run(cfg: Config, run_id: str, age_days: float) -> Path:
    """A run registered `age_days` before NOW, with a run folder of typical files."""
    with engine_for(cfg.warehouse_url).begin() as conn:
        conn.execute(insert(runs).values(run_id=run_id, started_at=NOW - timedelta(days=age_days), status="ok"))
    folder = cfg.runs_dir / run_id.replace(":", "_").replace("+", "_")
    for name in FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"{run_id} {name}", encoding="utf-8")
    return folder


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_old_runs_lose_their_data_files_but_keep_summary_and_report(cfg: Config) -> None:
    old = _run(cfg, "scheduled__2026-05-01T02:00:00+00:00", age_days=60)
    older = _run(cfg, "cli__20260101T000000Z", age_days=180)
    young = _run(cfg, "scheduled__2026-06-20T02:00:00+00:00", age_days=10)
    edge = _run(cfg, "edge", age_days=29.9)
    report = prune_run_files(cfg, "current", now=NOW)
    assert _files(old) == _files(older) == {"summary.json", "report.html"}
    assert not (old / "mapped").exists()  # no empty folders left behind
    assert (old / "summary.json").read_text(encoding="utf-8").endswith("summary.json")
    assert _files(young) == _files(edge) == set(FILES)
    assert sorted(report.runs_pruned) == sorted([old.name, older.name])
    assert report.files_deleted == 2 * (len(FILES) - 2)
    assert prune_run_files(cfg, "current", now=NOW).runs_pruned == []  # nothing left to do the next night


def test_the_current_run_is_never_touched_however_old(cfg: Config) -> None:
    current = _run(cfg, "scheduled__2026-01-01T02:00:00+00:00", age_days=365)
    prune_run_files(cfg, "scheduled__2026-01-01T02:00:00+00:00", now=NOW)
    assert _files(current) == set(FILES)


def test_a_dry_run_deletes_nothing(cfg: Config) -> None:
    old = _run(cfg, "old", age_days=60)
    report = prune_run_files(cfg, "current", now=NOW, dry_run=True)
    assert report.runs_pruned == ["old"] and report.files_deleted == len(FILES) - 2
    assert _files(old) == set(FILES)


def test_a_folder_the_warehouse_does_not_know_is_judged_by_its_newest_file(cfg: Config) -> None:
    stray_old, stray_new = cfg.runs_dir / "stray_old", cfg.runs_dir / "stray_new"
    for folder in (stray_old, stray_new):
        (folder / "x").mkdir(parents=True)
        (folder / "x" / "data.parquet").write_bytes(b"PAR1")
        (folder / "summary.json").write_text("{}", encoding="utf-8")
    for folder, age in ((stray_old, 45), (stray_new, 5)):
        stamp = (NOW - timedelta(days=age)).timestamp()
        for p in folder.rglob("*"):
            os.utime(p, (stamp, stamp))
    prune_run_files(cfg, "current", now=NOW)
    assert _files(stray_old) == {"summary.json"}
    assert _files(stray_new) == {"summary.json", "x/data.parquet"}


@pytest.mark.parametrize("bad", [0, -1, "thirty", 1.5])
def test_the_setting_is_validated(home: Path, bad: object) -> None:
    write_config(home / "leadpipe.yaml", lambda data: data.update(retention={"run_files_days": bad}))
    with pytest.raises(ConfigError, match="run_files_days"):
        load_config(home / "leadpipe.yaml")


def test_the_default_keeps_thirty_days(home: Path) -> None:
    write_config(home / "leadpipe.yaml", lambda data: data.pop("retention", None))
    assert load_config(home / "leadpipe.yaml").retention.run_files_days == 30


def test_the_nightly_dag_prunes_after_the_report_without_deciding_the_runs_state() -> None:
    from airflow.dag_processing.dagbag import DagBag  # slow import: only this test needs Airflow

    dag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags")).dags["leads_nightly"]
    task = dag.get_task("retention")
    assert task.upstream_task_ids == {"summarise"}
    assert task.is_teardown and not task.on_failure_fail_dagrun  # a failed summarise still fails the run
    assert task.trigger_rule in ("all_done", "all_done_setup_success")


names = st.text(alphabet="abcdefghij_-.", min_size=1, max_size=8).filter(lambda s: s not in {".", ".."})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs_=st.dictionaries(names, st.tuples(st.integers(0, 120),
                                              st.lists(st.sampled_from(FILES + ("a/b/c.parquet", "x.parquet")),
                                                       min_size=1, unique=True)), min_size=1, max_size=6),
       days=st.integers(1, 90), current=st.integers(0, 5))
def test_retention_deletes_exactly_the_old_runs_data_files(tmp_path_factory: pytest.TempPathFactory,
                                                            runs_: dict, days: int, current: int) -> None:
    home = tmp_path_factory.mktemp("home")
    write_config(home / "leadpipe.yaml", lambda data: data.update(retention={"run_files_days": days}))
    with mock.patch.dict(os.environ, {"LEADPIPE_HOME": str(home)}):
        os.environ.pop("LEADPIPE_WAREHOUSE_URL", None)
        cfg = load_config(home / "leadpipe.yaml")
    migrate(cfg.warehouse_url)
    current_id = sorted(runs_)[current % len(runs_)]
    before = {}
    with engine_for(cfg.warehouse_url).begin() as conn:
        for run_id, (age, files) in runs_.items():
            conn.execute(insert(runs).values(run_id=run_id, started_at=NOW - timedelta(days=age), status="ok"))
            for name in files:
                path = cfg.runs_dir / run_id / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{run_id}/{name}", encoding="utf-8")
                before[(run_id, name)] = path.read_text(encoding="utf-8")
    prune_run_files(cfg, current_id, now=NOW)
    after = {(run_id, p.relative_to(cfg.runs_dir / run_id).as_posix()): p.read_text(encoding="utf-8")
             for run_id in runs_ for p in (cfg.runs_dir / run_id).rglob("*") if p.is_file()}
    expected = {key: text for key, text in before.items()
                if key[0] == current_id or runs_[key[0]][0] <= days or key[1] in ("summary.json", "report.html")}
    assert after == expected

"""Run files on object storage (LEADPIPE_RUNS_URL): a whole run on a non-local fsspec filesystem writes no
run file to the local disk, and ends exactly like a run in the local run folder."""

from __future__ import annotations

from pathlib import Path

import fsspec
import pandas as pd
import pytest

from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from tests.homes import demo_home_at
from tests.pipeline_checks import assert_ledger_adds_up


@pytest.fixture
def memory_store():
    """fsspec's in-memory filesystem, attached to Airflow's object storage under memory:// (per process)."""
    from airflow.sdk.io import attach

    fs = fsspec.filesystem("memory")
    attach(protocol="memory", fs=fs)
    fs.rm("/leads-bucket", recursive=True) if fs.exists("/leads-bucket") else None
    yield fs
    if fs.exists("/leads-bucket"):
        fs.rm("/leads-bucket", recursive=True)


def _local_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_a_run_on_object_storage_keeps_nothing_on_local_disk(tmp_path: Path, demo_inputs: Path, memory_store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADPIPE_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("LEADPIPE_CONFIG", raising=False)
    summaries = {}
    for mode in ("local", "object_storage"):
        home = demo_home_at(tmp_path / mode, demo_inputs, monkeypatch)
        if mode == "object_storage":
            monkeypatch.setenv("LEADPIPE_RUNS_URL", "memory://leads-bucket/leadpipe/runs")
        before = _local_files(home)
        cfg = load_config()
        summaries[mode] = summary = run_pipeline(cfg, "run-1")
        assert_ledger_adds_up(summary)
        if mode == "object_storage":
            # only the warehouse (and the dedupe model beside it) is local; every run file is in the bucket
            new = {f for f in _local_files(home) - before if not f.startswith(("warehouse.db", "dedupe/"))}
            assert not new, f"run files on local disk: {sorted(new)[:5]}"
            assert not (home / "runs").exists()
            stored = {p.removeprefix("/leads-bucket/leadpipe/runs/run-1/") for p in memory_store.find("/leads-bucket")}
            assert {"ingested/vendor_apollo.parquet", "validated/web_forms.parquet", "resolved.parquet",
                    "prospects.parquet", "summary.json", "report.html", "crm_import.csv"} <= stored
            assert any(p.startswith("data_docs/vendor_apollo/") and p.endswith("index.html") for p in stored)
            assert summary["outputs"]["run_folder"] == "memory://leads-bucket/leadpipe/runs/run-1"
            assert summary["data_docs"]["vendor_apollo"].startswith("memory://leads-bucket/")
            with memory_store.open("/leads-bucket/leadpipe/runs/run-1/prospects.parquet", "rb") as fh:
                remote = pd.read_parquet(fh)
            local = pd.read_parquet(tmp_path / "local" / "runs" / "run-1" / "prospects.parquet")
            pd.testing.assert_frame_equal(remote, local)
    assert summaries["object_storage"]["funnel"] == summaries["local"]["funnel"]
    assert summaries["object_storage"]["outcomes"] == summaries["local"]["outcomes"]
    assert summaries["local"]["funnel"]["pushed"] > 0


def test_runs_url_must_be_a_url(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadpipe.pipeline.settings import ConfigError

    monkeypatch.setenv("LEADPIPE_RUNS_URL", "/mnt/shared/runs")
    with pytest.raises(ConfigError, match="LEADPIPE_RUNS_URL"):
        load_config()

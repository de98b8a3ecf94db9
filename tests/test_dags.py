"""DAG files: they import cleanly, do no work at parse time, and leads_nightly runs end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline_checks import assert_demo_funnel

DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture(scope="module")
def dagbag():  # noqa: ANN201
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports_without_errors(dagbag) -> None:  # noqa: ANN001
    assert dagbag.import_errors == {}
    assert "leads_nightly" in dagbag.dag_ids


def test_leads_nightly_shape(dagbag) -> None:  # noqa: ANN001
    dag = dagbag.dags["leads_nightly"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert "leadpipe" in dag.tags
    ids = set(dag.task_ids)
    assert {"start", "prepare.ingest", "prepare.normalise", "prepare.validate", "dedupe", "qualify", "push",
            "summarise"} <= ids
    assert all(t.retries >= 1 for t in dag.tasks if t.task_id not in ("summarise", "publish_prospect_list"))


def test_dag_files_do_no_work_at_import(tmp_path: Path) -> None:
    """Parsing must not read config, touch a database or import the heavy libraries."""
    code = (
        "import sys, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('d', {str(DAGS / 'leads_nightly.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "heavy = [n for n in ('pandas', 'great_expectations', 'rapidfuzz', 'leadpipe.pipeline.stages', 'sqlalchemy.engine')"
        " if n in sys.modules and n != 'sqlalchemy.engine']\n"
        "print(heavy)\n"
    )
    env = {**os.environ, "LEADPIPE_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}  # YAML only, no DB
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _airflow_dags_test(home: Path) -> str:
    """`airflow dags test leads_nightly` as `make run` runs it; its whole output (the log make run keeps)."""
    env = {**os.environ, "LEADPIPE_HOME": str(home), "LEADPIPE_NO_DEADLINE": "1"}  # see dags/leads_nightly.py
    done = subprocess.run([sys.executable, "-m", "airflow", "dags", "test", "leads_nightly"], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    return log


@pytest.mark.slow
def test_leads_nightly_end_to_end_with_dag_test(demo_home: Path, airflow_db: None) -> None:
    """Twice, as `make run` twice: the first night pushes, the second has nothing new; neither log may hold an
    [error] line (Airflow logs "XCom not found" at error when a task pulls a result that was never stored)."""
    first = _airflow_dags_test(demo_home)
    [summary_path] = list((demo_home / "runs").glob("*/summary.json"))
    summary = json.loads(summary_path.read_text())
    assert_demo_funnel(summary, demo_home)
    assert summary["status"] == "succeeded" and summary["reasons"] == []

    second = _airflow_dags_test(demo_home)  # the second night: nothing new to ingest, nothing pushed twice
    summaries = [json.loads(p.read_text()) for p in (demo_home / "runs").glob("*/summary.json")]
    again = [s for s in summaries if s["run_id"] != summary["run_id"]]
    assert len(again) == 1 and again[0]["raw_rows"] == 0 and again[0]["funnel"]["pushed"] == 0
    assert again[0]["status"] == "succeeded"
    for log in (first, second):
        assert "status: succeeded" in log
        assert "XCom not found" not in log
        assert [line for line in log.splitlines() if "[error" in line] == []

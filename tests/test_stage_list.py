"""One ordered list of stages: the nightly DAG and `leadpipe run` follow `leadpipe.pipeline.stages.STAGES`."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpipe.pipeline import run as run_module
from leadpipe.pipeline import stages
from leadpipe.pipeline.settings import load_config

DAGS = Path(__file__).resolve().parents[1] / "dags"
# the asset event (an Airflow feature) and housekeeping of older runs' folders: no work on this run's data
AIRFLOW_ONLY = {"publish_prospect_list", "retention"}


def _topological(dag) -> list[str]:  # noqa: ANN001 - an Airflow DAG
    """Task ids (group prefix dropped) in an order that respects every upstream edge."""
    order, seen = [], set()

    def visit(task) -> None:  # noqa: ANN001
        if task.task_id in seen:
            return
        seen.add(task.task_id)
        for up in sorted(task.upstream_list, key=lambda t: t.task_id):
            visit(up)
        order.append(task.task_id.rsplit(".", 1)[-1])

    for task in sorted(dag.tasks, key=lambda t: t.task_id):
        visit(task)
    return order


def test_the_nightly_dag_has_one_task_per_stage_in_the_listed_order() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    order = [t for t in _topological(bag.dags["leads_nightly"]) if t not in AIRFLOW_ONLY]
    assert order == [s.name for s in stages.STAGES]


def test_leadpipe_run_calls_every_stage_function_in_the_listed_order(demo_home: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    for stage in stages.STAGES:
        def spy(*args, _name=stage.name, _run=stage.run, **kwargs):  # noqa: ANN002, ANN003, ANN202
            called.append(_name)
            return _run(*args, **kwargs)
        monkeypatch.setitem(stages.STAGE, stage.name, spy)
    summary = run_module.run_pipeline(load_config(), "r1")
    assert summary["run_id"] == "r1"
    listed = [s.name for s in stages.STAGES]
    # mapped stages run once per source / batch / partition; collapse repeats to compare the order
    collapsed = [name for i, name in enumerate(called) if i == 0 or called[i - 1] != name]
    assert collapsed == listed

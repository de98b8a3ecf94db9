"""Web addresses of run files served by the reports plugin (plugins/leadpipe_forms.py, mounted at PREFIX).

Kept apart from the app itself so a DAG file can build links without importing FastAPI or the pipeline.
The layout below a run mirrors the run folder (see leadpipe/pipeline/run_outputs.py).
"""

from __future__ import annotations

PREFIX = "/leadpipe-reports"


def run_url(dag_id: str, run_id: str) -> str:
    """The run's page listing its reports and downloads; ids are given URL-encoded (or as templates)."""
    return f"{PREFIX}/dags/{dag_id}/runs/{run_id}/"


def run_file_url(dag_id: str, run_id: str, relpath: str) -> str:
    return f"{run_url(dag_id, run_id)}{relpath}"


# Airflow 3's UI fills these placeholders in a plugin's external view (destination dag_run / task_instance)
RUN_VIEW_HREF = run_url("{DAG_ID}", "{RUN_ID}")
TASK_VIEW_HREF = RUN_VIEW_HREF + "?task={TASK_ID}"

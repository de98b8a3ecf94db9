"""Airflow plugin: the leadpipe form webhook and the run reports, served by Airflow's own API server.

- /leadpipe-forms: the form webhook (leadpipe/airflow_app/forms_webhook.py; HMAC-signed posts, no login).
- /leadpipe-reports: run reports, the list preview, CSV/Excel downloads and Data Docs
  (leadpipe/airflow_app/reports_app.py), behind Airflow's login and the auth manager's DAG permissions.
  A "Reports" tab on every DAG run and task instance page opens them (external views; Airflow fills in
  {DAG_ID}, {RUN_ID}, {TASK_ID}).
"""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from leadpipe.airflow_app.forms_webhook import app
from leadpipe.airflow_app.report_links import PREFIX, RUN_VIEW_HREF, TASK_VIEW_HREF
from leadpipe.airflow_app.reports_app import app as reports_app


class LeadpipeFormsPlugin(AirflowPlugin):
    name = "leadpipe_forms"
    fastapi_apps: ClassVar[list[dict]] = [
        {"app": app, "url_prefix": "/leadpipe-forms", "name": "leadpipe form webhook"},
        {"app": reports_app, "url_prefix": PREFIX, "name": "leadpipe reports"},
    ]
    external_views: ClassVar[list[dict]] = [
        {"name": "Reports", "href": RUN_VIEW_HREF, "destination": "dag_run", "url_route": "leadpipe-run-reports"},
        {"name": "Reports", "href": TASK_VIEW_HREF, "destination": "task_instance",
         "url_route": "leadpipe-task-reports"},
    ]

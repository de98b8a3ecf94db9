"""Airflow plugin: serve the leadpipe form webhook from Airflow's own API server under /leadpipe-forms."""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from leadpipe.airflow_app.forms_webhook import app


class LeadpipeFormsPlugin(AirflowPlugin):
    name = "leadpipe_forms"
    fastapi_apps: ClassVar[list[dict]] = [{"app": app, "url_prefix": "/leadpipe-forms", "name": "leadpipe form webhook"}]

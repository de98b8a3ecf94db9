"""Celery settings for leadpipe's workers: Airflow's defaults plus the preload of the pipeline's modules.

Set `AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=leadpipe.airflow_app.celery_config.CELERY_CONFIG` on every Airflow
component that reads Celery config (docker-compose.yml does). See leadpipe/airflow_app/worker_preload.py for why.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), "leadpipe.airflow_app.worker_preload"),
}

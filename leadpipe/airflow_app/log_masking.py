"""Airflow task logs never show the warehouse's or the run storage's credentials.

Airflow's secrets masker replaces every value it was told about with `***` in task logs (in the task process
and, through the supervisor, in what it uploads). Connections' passwords are registered when they are read;
our URLs come from environment variables, so each task registers the secrets inside them here.
"""

from __future__ import annotations

from leadpipe.core.redact import url_secrets


def mask_url_secrets(*urls: str) -> list[str]:
    """Register the password and secret query parameters of each URL with Airflow's log masker; returns them
    (for tests). Outside a task (no Airflow SDK logging set up) this only fills the masker's list."""
    from airflow.sdk.log import mask_secret  # imported in the task only: DAG files are parsed without it

    found = [s for url in urls if url for s in url_secrets(url)]
    for secret in found:
        mask_secret(secret)
    return found

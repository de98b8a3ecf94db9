"""CRM credentials from an Airflow Connection or the environment, never from config files or logs."""

from __future__ import annotations

import json
import os


def connection(conn_id: str) -> dict:
    """Connection fields as a dict (host, login, password, extra); {} when it is not defined anywhere."""
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if raw and raw.lstrip().startswith("{"):  # JSON form; the URI form is parsed by Airflow below
        data = json.loads(raw)
        extra = data.get("extra") or {}
        data["extra"] = json.loads(extra) if isinstance(extra, str) else extra
        return data
    try:
        from airflow.sdk import BaseHook  # ~1 s to import; outside Airflow the environment is enough

        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - no Airflow context / connection not defined
        return {}
    return {"host": conn.host, "login": conn.login, "password": conn.password, "extra": conn.extra_dejson}


def hubspot_token(conn_id: str) -> str:
    token = os.environ.get("LEADPIPE_HUBSPOT_TOKEN") or connection(conn_id).get("password")
    if not token:
        raise ValueError(f"no HubSpot token: set the Airflow Connection '{conn_id}' (token in the password "
                         "field) or the LEADPIPE_HUBSPOT_TOKEN environment variable")
    return token

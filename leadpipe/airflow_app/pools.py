"""One Airflow pool per CRM: the tasks that call a CRM (nightly push, list rebuild writes) queue for its slots.

The pool caps how many such tasks run at once across every worker; the request budget inside them
(leadpipe.store.request_budget) caps how many requests they send together. Pools must exist before a task
names one (the scheduler never schedules a task whose pool is missing), so `make run`, `make airflow`, the
compose file's airflow-init and the tests create them with `python -m leadpipe.airflow_app.pools`.
"""

from __future__ import annotations

from connectors.sinks.registry import sink_types

DEFAULT_POOL = "default_pool"
NO_CRM = frozenset({"local"})  # sinks that write only into the warehouse: no CRM budget to share


def crm_pool(sink_type: str) -> str:
    """The pool of the tasks that write to `sink_type` (light: called while DAG files are parsed)."""
    return DEFAULT_POOL if sink_type in NO_CRM else f"crm_{sink_type}"


def crm_pools() -> list[str]:
    """One pool per installed CRM sink type."""
    return sorted({crm_pool(t) for t in sink_types()} - {DEFAULT_POOL})


def ensure_crm_pools(slots: int) -> list[str]:
    """Create (or resize) every CRM pool in Airflow's metadata DB; returns their names."""
    from airflow.models.pool import Pool  # the metadata DB: only when pools are really created

    names = crm_pools()
    for name in names:
        crm = name.removeprefix("crm_")
        Pool.create_or_update_pool(name, slots, f"leadpipe: tasks calling {crm}; they share one request "
                                   f"budget per {crm} account", include_deferred=False)
    return names


def main() -> None:
    from leadpipe.pipeline.dag_settings import read_dag_settings  # the config's airflow.crm_pool_slots

    slots = read_dag_settings().airflow.crm_pool_slots
    print(f"Airflow pools ready ({slots} slots each): {', '.join(ensure_crm_pools(slots))}")


if __name__ == "__main__":
    main()

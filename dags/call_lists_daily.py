"""call_lists_daily: each owner's call list for today, up to their daily quota.

**For sales managers and callers.** Every working morning (`airflow.call_lists_schedule` in
config/leadpipe.yaml) this builds, per owner, the list of prospects they may call today: only people whose
phone is callable today (valid number, no DNC registration, a DNC check younger than
`suppression.dnc_max_age_days`, no do-not-call flag from the CRM), nobody who was on a list within
`call_lists.cooldown_days`, at most the owner's quota (`call_lists:` per owner, per team or the default).
People inside their local calling window (`channels.calling_window`, in the time zone of their number) come
first, then by how soon their window opens, then by score. Open the run, then its **Reports** tab, for quota use per owner, who was left out and why,
and the lists as CSV and Excel. Where the CRM keeps named lists, each owner also finds "Call list <owner>" there.

**Rebuild.** Trigger the DAG by hand with *Rebuild today's lists* ticked to replace the lists of the day (for
example after a new DNC extract or a quota change); without it a second run keeps the lists already made.
*Dry run* shows the lists without recording them or touching the CRM.

**A list the CRM did not take** (a name it refuses, an error for that list) does not stop the others: every
other owner's list is synced, the files and report are written, and the report's CRM section says whose list
was not synced, what the CRM said and what to change. The task then fails, so the run shows red; once fixed,
trigger the DAG again (without *Rebuild*): it keeps today's lists and syncs them.

Wiring only: the work is `leadpipe.pipeline.call_lists.build_call_lists` (also `leadpipe call-lists`).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from leadpipe.airflow_app.policies import default_args
from leadpipe.airflow_app.pools import crm_pool
from leadpipe.pipeline.dag_settings import read_dag_settings

SETTINGS = read_dag_settings()  # reads the YAML only: no database, no network, no pandas

PARAMS = {
    "rebuild": Param(False, type="boolean", title="Rebuild today's lists", section="The lists",
                     description="Ticked: today's lists are built again and replace the ones made earlier today. "
                                 "Unticked: lists already made today are kept as they are."),
    "dry_run": Param(False, type="boolean", title="Dry run (show only, record nothing)", section="The lists",
                     description="Ticked: the report shows the lists, but nothing is recorded (no cool-down starts) "
                                 "and nothing is sent to the CRM."),
}


@dag(
    dag_id="call_lists_daily",
    schedule=SETTINGS.airflow.call_lists_schedule,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["leadpipe", "sales-ops"],
    doc_md=__doc__,
    default_args=default_args(retries=2),
    params=PARAMS,
)
def call_lists_daily() -> None:
    # In the CRM's pool: the task may sync each owner's named list to the CRM (leadpipe.airflow_app.pools).
    @task(pool=crm_pool(SETTINGS.sink_type))
    def build_call_lists(params: dict) -> dict:
        """Build (or keep) today's call lists, export them, sync them to the CRM; returns quota use per owner."""
        from leadpipe.airflow_app.log_masking import mask_url_secrets  # parse time: no pipeline, no pandas
        from leadpipe.pipeline.call_lists import build_call_lists as build  # parse time: see above
        from leadpipe.pipeline.call_lists import not_synced  # parse time: see above
        from leadpipe.pipeline.settings import load_config  # parse time: see above

        cfg = load_config()
        mask_url_secrets(cfg.warehouse_url, cfg.runs_url)  # a password in these URLs never reaches the task log
        ctx = get_current_context()
        # calling windows are judged when the task runs (a rebuild at noon orders by who can be called at noon)
        result = build(cfg, ctx["run_id"], rebuild=bool(params["rebuild"]), dry_run=bool(params["dry_run"]))
        for o in result["owners"]:
            print(f"{o['owner']}: {o['on_list']} of {o['quota']} calls ({o['quota_from']})")
        problems = not_synced(result)
        if problems:  # saved and reported, like summarise; the sink retried its calls already: no task retry
            raise AirflowFailException(f"{len(problems)} owner list(s) not synced to the CRM (the lists are built "
                                       "and in the run's Reports tab): " + " | ".join(problems))
        return {"list_date": result["list_date"], "status": result["status"], "people": result["people"]}

    build_call_lists()


call_lists_daily()

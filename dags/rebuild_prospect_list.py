"""rebuild_prospect_list: build a named prospect list for a campaign from the warehouse, on demand.

**For sales-ops.** Click *Trigger*, pick markets, personas, countries and a minimum score or tier, name
the list and choose the CRM. Nothing is re-imported: the people, segments and scores come from the
nightly runs. The first task shows the plan (how many records would be created, updated, left
unchanged and suppressed). With *Dry run* ticked nothing is written: open the run, then its **Reports**
tab, for the report and the list preview (who is on the list, who is left out and why; CSV and Excel).
Without it, lists larger than the configured size wait in **Required actions** until someone approves
the CRM write; the approval page links to the list preview.

Choices come from `config/leadpipe.yaml` (`markets`, `personas`, `airflow.rebuild`). A choice that
is not offered is rejected by the form before any task runs.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Param, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from leadpipe.airflow_app.policies import default_args
from leadpipe.airflow_app.pools import crm_pool
from leadpipe.airflow_app.report_links import run_file_url
from leadpipe.pipeline.dag_settings import crm_labels, read_dag_settings

SETTINGS = read_dag_settings()  # reads the YAML only: no database, no network, no pandas
REBUILD = SETTINGS.airflow.rebuild
PREVIEW_URL = run_file_url("rebuild_prospect_list", "{{ run_id | urlencode }}", "rebuild/list_preview.html")
TIERS = {"any": "Any tier (use the minimum score only)",
         **{t: f"Tier {t} or better (score {s}+)" for t, s in sorted(SETTINGS.tiers.items(), key=lambda kv: -kv[1])}}


def _multi(title: str, choices: dict[str, str], description: str, section: str = "Who goes on the list") -> Param:
    """A multi-select; empty means 'all'. The item enum makes the API reject names that are not offered."""
    return Param(None, type=["null", "array"], items={"type": "string", "enum": list(choices)},
                 examples=list(choices), values_display=choices, uniqueItems=True, title=title,
                 description=description, section=section)


PARAMS = {
    "list_name": Param(
        "New prospect list", type="string", minLength=3, maxLength=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$",
        title="List name", section="The list",
        description="Name of the list in the CRM, e.g. 'DACH decision makers Q3'. Letters, digits, spaces, - _ .",
    ),
    "markets": _multi("Markets", SETTINGS.markets,
                      "Which markets to include. Leave empty for all markets."),
    "personas": _multi("Personas", SETTINGS.personas,
                       "Which kinds of people, by their role in a buying decision (from the job title). "
                       "Leave empty for everyone."),
    "countries": _multi("Countries", {c: c for c in SETTINGS.countries},
                        "Only people in these countries (ISO codes). Leave empty for all countries."),
    "min_score": Param(
        SETTINGS.qualify_at, type="integer", minimum=SETTINGS.qualify_at, maximum=100,
        title="Minimum score", section="Who goes on the list",
        description=f"Lead score from 0 to 100. Below {SETTINGS.qualify_at} a lead is not qualified, "
                    "so the form does not accept lower values.",
    ),
    "tier": Param("any", type="string", enum=list(TIERS), values_display=TIERS, title="Tier",
                  section="Who goes on the list",
                  description="Tier A are the best-fitting leads. 'B or better' includes A and B."),
    "crm_target": Param(
        REBUILD.crm_targets[0], type="string", enum=REBUILD.crm_targets,
        values_display={t: crm_labels()[t] for t in REBUILD.crm_targets}, title="CRM", section="The list",
        description="The CRM the list is written to. Only CRMs your admin has set up are offered.",
    ),
    "dry_run": Param(True, type="boolean", title="Dry run (plan only, write nothing)", section="The list",
                     description="Ticked: only count what would happen and show the report. "
                                 "Untick to write to the CRM."),
    "include_already_pushed": Param(
        False, type="boolean", title="Include people already in the CRM", section="The list",
        description="Ticked: people the CRM already has are on the list too (unchanged ones are not re-sent). "
                    "Unticked: only people new to this CRM.",
    ),
}


# Imports of the pipeline happen inside the tasks: the DAG processor re-parses this file every few seconds
# and must not load pandas, SQLAlchemy or the pipeline to do it.


def _cfg():  # noqa: ANN202 - a Config
    from leadpipe.airflow_app.log_masking import mask_url_secrets  # parse time: see above
    from leadpipe.pipeline.settings import load_config  # parse time: see above

    cfg = load_config()
    mask_url_secrets(cfg.warehouse_url, cfg.runs_url)  # a password in these URLs never reaches the task log
    return cfg


def _folder() -> Path:
    from leadpipe.pipeline.context import run_folder  # parse time: see above

    return run_folder(_cfg(), get_current_context()["run_id"]) / "rebuild"


def _report(planned: dict) -> Path:
    """The run's report (choices, plan, approval, CRM result): written by the `report` task, and by the write
    task itself when it fails after saving its result (the report task then does not run)."""
    from leadpipe.pipeline.rebuild import load_plan  # parse time: see above
    from leadpipe.pipeline.report import write_rebuild_report  # parse time: see above

    folder = Path(planned["folder"])
    plan_data, _ = load_plan(folder)
    crm_file = folder / "crm_result.json"
    crm = json.loads(crm_file.read_text()) if crm_file.exists() else None
    if planned["dry_run"]:
        approval = "dry run: nothing was written"
    elif not planned["needs_approval"]:
        approval = f"not needed: {planned['counts']['writes']} writes, approval above {REBUILD.approval_above}"
    else:
        approval = "approved in the Airflow UI" if crm else "rejected in the Airflow UI: nothing was written"
    return write_rebuild_report(folder, plan_data, crm, approval)


@dag(
    dag_id="rebuild_prospect_list",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["leadpipe", "sales-ops"],
    doc_md=__doc__,
    default_args=default_args(retries=2),
    params=PARAMS,
)
def rebuild_prospect_list() -> None:
    @task
    def plan(params: dict) -> dict:
        """Select the segment and count creates / updates / skips / suppressions; writes nothing."""
        from leadpipe.pipeline.list_preview import write_list_preview  # parse time: see above
        from leadpipe.pipeline.rebuild import Segment, plan_list  # parse time: see above

        cfg = _cfg()
        result = plan_list(cfg, _folder(), Segment.from_params(dict(params)))
        write_list_preview(_folder(), {m.name: m.label for m in cfg.markets})
        c = result["counts"]
        print(f"plan for '{params['list_name']}': {c['create']} creates, {c['update']} updates, "
              f"{c['skip']} skips, {c['suppressed']} suppressions ({c['in_segment']} people in the segment)")
        return {"folder": str(_folder()), "counts": c, "needs_approval": result["needs_approval"],
                "dry_run": bool(params["dry_run"])}

    @task.branch
    def gate(planned: dict) -> str:
        """Dry run: stop. Large list: ask a person. Otherwise: write."""
        if planned["dry_run"]:
            return "dry_run_no_write"
        return "approve_crm_write" if planned["needs_approval"] else "no_approval_needed"

    approve = ApprovalOperator(
        task_id="approve_crm_write",
        subject="Write the prospect list '{{ params.list_name }}' to {{ params.crm_target }}?",
        body=(
            "The list is larger than the configured approval size "
            f"({REBUILD.approval_above} writes).\n\n"
            "* creates: **{{ ti.xcom_pull(task_ids='plan')['counts']['create'] }}**\n"
            "* updates: **{{ ti.xcom_pull(task_ids='plan')['counts']['update'] }}**\n"
            "* unchanged (not sent): {{ ti.xcom_pull(task_ids='plan')['counts']['skip'] }}\n"
            "* suppressed (never sent): {{ ti.xcom_pull(task_ids='plan')['counts']['suppressed'] }}\n\n"
            f"[See who is on the list]({PREVIEW_URL}) (names, scores, tiers, CRM action; who is left out and why;"
            " CSV and Excel downloads).\n\n"
            "Approve to write, Reject to stop without writing."
        ),
        retries=0,
    )

    @task.branch(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def choose_crm(params: dict) -> str:
        """Runs after an approval or when none is needed; skipped on a dry run or a rejection.

        One write task per offered CRM, each in its CRM's pool, so a rebuild queues with the nightly push
        and other rebuilds for the same CRM account (leadpipe.airflow_app.pools).
        """
        return f"write_to_{params['crm_target']}"

    def write_to(target: str):  # noqa: ANN202 - an Airflow task
        @task(task_id=f"write_to_{target}", pool=crm_pool(target))
        def write() -> dict:
            """Write the plan to the CRM and keep the named list in sync (leadpipe.pipeline.rebuild.write_list).

            The plan is pulled, not passed: as an argument it would make `plan` an upstream task.
            """
            from leadpipe.pipeline.rebuild import not_synced, write_list  # parse time: see above

            ctx = get_current_context()
            planned = ctx["ti"].xcom_pull(task_ids="plan")
            crm = write_list(_cfg(), ctx["run_id"], Path(planned["folder"]))
            problems = not_synced(crm)
            if problems:  # saved first, like call_lists_daily; the report task does not run after a failed write
                print(f"rebuild report: {_report(planned)}")
                raise AirflowFailException("list not synced to the CRM (the records written are recorded; the "
                                           "report is in the run's Reports tab): " + " | ".join(problems))
            return crm

        return write()

    @task(trigger_rule=TriggerRule.NONE_FAILED, retries=0)
    def report(planned: dict) -> str:
        path = _report(planned)
        print(f"rebuild report: {path}")
        return str(path)

    planned = plan()
    branch = gate(planned)
    no_approval = EmptyOperator(task_id="no_approval_needed")
    dry_run = EmptyOperator(task_id="dry_run_no_write")
    chosen = choose_crm()
    written = [write_to(target) for target in REBUILD.crm_targets]
    branch >> [approve, no_approval, dry_run]
    [approve, no_approval] >> chosen
    chosen >> written
    reported = report(planned)
    written >> reported
    dry_run >> reported


rebuild_prospect_list()

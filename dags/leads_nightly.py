"""leads_nightly: purchased lists and web forms in, a deduplicated, qualified prospect list in the CRM out.

Wiring only: every task calls one stage function from `leadpipe.pipeline.stages.STAGES`, the ordered list
`leadpipe run` follows too.
Group `prepare`: ingest mapped per configured source, big sources cut into batches (airflow.batch_rows)
that are normalised as mapped tasks on any worker, then validate mapped per source; one bad source does
not stop the others. Then one task group per stage over all sources: resolve people (dedupe), qualify
(the CRM feedback pull, then segment, score, suppress), deliver (push, then publish the `leadpipe.prospect_list` asset when the
list changed, with counts) and report (summary.json and report.html, run whatever happened upstream so
every row's outcome is counted), then the retention teardown deletes old run folders' files.

Schedule and deadline come from `airflow:` in config/leadpipe.yaml. Retries back off exponentially;
a busy or unreachable service is retried, bad credentials or config fail at once.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import (
    Asset,
    AsyncCallback,
    DeadlineAlert,
    DeadlineReference,
    TaskGroup,
    TriggerRule,
    dag,
    get_current_context,
    task,
)
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from leadpipe.airflow_app.policies import default_args
from leadpipe.airflow_app.pools import crm_pool
from leadpipe.pipeline.dag_settings import read_dag_settings

DAG_SETTINGS = read_dag_settings()  # reads the YAML only: no database, no network, no pandas
SETTINGS = DAG_SETTINGS.airflow
PROSPECT_LIST = Asset(name="leadpipe.prospect_list")
# Airflow 3.3.2's in-process runner (`airflow dags test`, dag.test()) crashes when a run with a deadline
# succeeds (DagRun.update_state looks the alerts up by id and gets their serialized form), so `make run`
# and the in-process tests set LEADPIPE_NO_DEADLINE=1; the scheduler handles deadlines normally.
LATE_RUN_ALERT = None if os.environ.get("LEADPIPE_NO_DEADLINE") == "1" else DeadlineAlert(
    reference=DeadlineReference.DAGRUN_QUEUED_AT,
    interval=timedelta(minutes=SETTINGS.nightly_deadline_minutes),
    callback=AsyncCallback("leadpipe.airflow_app.policies.run_is_late",
                           kwargs={"dag_id": "leads_nightly", "allowed": f"{SETTINGS.nightly_deadline_minutes} minutes"}),
)


def _stage(name: str):  # noqa: ANN202 - the stage function
    """The stage function named `name` in the pipeline's one ordered list (leadpipe.pipeline.stages.STAGES).

    Imported inside the task: the DAG processor re-parses this file every few seconds and must not load
    pandas, SQLAlchemy or the stages to do it.
    """
    from leadpipe.pipeline.stages import STAGE  # parse time: see above

    return STAGE[name]


def _run(name: str, *args, part: str = ""):  # noqa: ANN002, ANN202 - the stage's result
    """Run stage `name` in this task's run. A failure (other than a batch a check stopped, which notes its own
    reason) is noted for the run summary, so summary.json says the run failed and in which step; a later
    successful try of the same task takes the note back."""
    from leadpipe.pipeline.context import BatchRejected  # parse time: see _stage

    ctx = _ctx()
    step = f"{name}.{part}" if part else name
    try:
        result = _stage(name)(ctx, *args)
    except BatchRejected:
        raise
    except Exception as exc:
        ctx.note("stage_errors", step, f"{type(exc).__name__}, see the task's log")
        raise
    ctx.forget_note("stage_errors", step)
    return result


# Airflow stores no XCom for a task that returns None, and a downstream task pulling it then logs
# "[error] XCom not found" (airflow.sdk.api.client) although nothing is wrong. A task whose result is "no file"
# returns NOTHING instead, and the receiving task turns it back into None.
NOTHING = ""


def _out(value):  # noqa: ANN001, ANN202
    return NOTHING if value is None else value


def _in(value):  # noqa: ANN001, ANN202
    return None if value == NOTHING else value


def _all(values) -> list:  # noqa: ANN001
    """Every result of a mapped upstream task, in one request. Iterating Airflow's lazy XCom sequence reads
    item after item until one is missing, and that last miss logs "[error] XCom not found" in every run."""
    return [] if values is None else [_in(v) for v in values[:]]


def _ctx():  # noqa: ANN202 - a RunContext
    """This task's run: the full config (validated here, not at parse time) and Airflow's run id."""
    from leadpipe.airflow_app.log_masking import mask_url_secrets  # parse time: see _stage
    from leadpipe.pipeline.context import RunContext  # parse time: see _stage
    from leadpipe.pipeline.settings import load_config  # parse time: see _stage

    cfg = load_config()
    mask_url_secrets(cfg.warehouse_url, cfg.runs_url)  # a password in these URLs never reaches the task log
    return RunContext(cfg, get_current_context()["run_id"])


def _label(source_name: str) -> str:
    """Show the source's name instead of a bare map index in the UI."""
    get_current_context()["source_name"] = source_name
    return source_name


def _gate(name: str, *args, part: str = ""):  # noqa: ANN002, ANN202
    """Run a stage that may stop a batch: bad data does not get better by retrying, so fail without retries."""
    from leadpipe.pipeline.context import BatchRejected  # parse time: see _stage

    try:
        return _run(name, *args, part=part)
    except BatchRejected as exc:
        raise AirflowFailException(str(exc)) from None


@dag(
    dag_id="leads_nightly",
    schedule=SETTINGS.nightly_schedule,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["leadpipe", "nightly"],
    doc_md=__doc__,
    default_args=default_args(),
    deadline=LATE_RUN_ALERT,
)
def leads_nightly() -> None:
    @task
    def start() -> list[str]:
        return _run("start")

    # prepare: ingest each source, cut big sources into batches, normalise the batches on any worker,
    # validate each source's batches together (GX once per source; the volume check sees the whole batch).
    @task(map_index_template="{{ source_name }}")
    def ingest(source_name: str) -> str:  # NOTHING: no file
        return _out(_run("ingest", _label(source_name), part=source_name))

    @task(trigger_rule=TriggerRule.ALL_DONE)  # a source that failed does not stop the others
    def plan_batches(ingested: list[str | None]) -> list[dict]:
        return _run("plan_batches", _all(ingested))

    @task(map_index_template="{{ batch_label }}")
    def normalise(batch: dict) -> str:
        from leadpipe.pipeline.normalise import batch_label  # parse time: see _stage

        get_current_context()["batch_label"] = batch_label(batch)
        return _run("normalise", batch, part=f"{batch['source']}.{batch['batch']}")

    @task(map_index_template="{{ source_name }}", trigger_rule=TriggerRule.ALL_DONE)
    def validate(source_name: str, planned: list[dict], normalised: list[str]) -> str:  # NOTHING: no file
        return _out(_gate("validate", _label(source_name), _all(planned), _all(normalised), part=source_name))

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def dedupe() -> list[int]:
        """Load the batch and its candidate people, fit the model once; returns the partitions to score."""
        return _run("dedupe")

    @task(map_index_template="partition {{ partition }}")
    def score_pairs(partition: int) -> str:  # NOTHING: no file
        """One partition of the candidate pairs (a hash of the pair), compared on whichever worker is free."""
        get_current_context()["partition"] = partition
        return _out(_run("score_pairs", partition, part=str(partition)))

    @task
    def cluster_people(paths: list[str | None]) -> str:  # NOTHING: no file
        """All partitions' pairs -> the same clusters, person ids and golden records as one process gives."""
        return _out(_run("cluster_people", _all(paths)))

    @task(execution_timeout=DAG_SETTINGS.enrich_timeout)
    def enrich(path: str | None) -> str:  # NOTHING: no file
        """Company websites -> empty company fields; a no-op unless enrichment.web.enabled.

        The stage stops itself at `enrichment.web.run_budget_seconds` (sites not reached are recorded as
        skipped); Airflow's execution_timeout, a little later, only catches what that cannot.
        """
        return _out(_run("enrich", _in(path)))

    # one CRM's tasks queue for its pool; a CRM that cannot be read is noted for the summary, not raised
    @task(pool=crm_pool(DAG_SETTINGS.sink_type))
    def crm_feedback() -> str:
        """What the CRM reported back since the last pull (opt-outs, bounces, do-not-call, status, owner):
        into the warehouse before qualify, which suppresses and scores with it."""
        return _run("crm_feedback")

    @task
    def qualify(path: str | None) -> str:  # NOTHING: no file
        return _out(_run("qualify", _in(path)))

    @task
    def validate_prospects(path: str | None) -> str:  # NOTHING: no file
        """The last gate before any CRM write: a critical failure stops the push, with the reason."""
        return _out(_gate("validate_prospects", _in(path)))

    @task(pool=crm_pool(DAG_SETTINGS.sink_type))  # one CRM's tasks queue for its pool (leadpipe.airflow_app.pools)
    def push(path: str | None) -> dict:
        return _run("push", _in(path))

    @task(outlets=[PROSPECT_LIST], retries=0)
    def publish_prospect_list(counts: dict) -> dict:
        """Tell other DAGs (schedule=[PROSPECT_LIST]) that the list changed; skipped when nothing did."""
        changed = counts.get("create", 0) + counts.get("update", 0)
        if not changed:
            raise AirflowSkipException("prospect list unchanged: no asset event")
        extra = {"run_id": get_current_context()["run_id"], "created": counts.get("create", 0), "updated": counts.get("update", 0),
                 "unchanged": counts.get("skip", 0), "failed": counts.get("failed", 0)}
        get_current_context()["outlet_events"][PROSPECT_LIST].extra = extra
        return extra

    @task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def summarise() -> dict:
        from leadpipe.pipeline.funnel import format_funnel  # parse time: see _stage

        summary = _stage("summarise")(_ctx())
        print(format_funnel(summary, for_logs=True))  # the task log: row numbers, never the values
        print(f"  run report: {summary['outputs'].get('report_html')}")
        if summary["status"] == "failed":
            raise AirflowFailException("the run failed: " + "; ".join(summary["reasons_for_logs"]))
        return {"summary_path": summary["summary_path"], "outcomes": summary["outcomes"],
                "report_html": summary["outputs"].get("report_html")}

    @task
    def retention() -> dict:
        """Housekeeping, not a stage: delete the files of run folders older than `retention.run_files_days`
        (summary.json and report.html stay; this run is never touched). A teardown, so it runs whatever
        happened upstream and its result never decides the run's state; a problem is logged, not raised."""
        from leadpipe.pipeline.retention import prune_run_files  # parse time: see _stage

        try:
            return prune_run_files(_ctx().cfg, get_current_context()["run_id"]).as_json()
        except Exception as exc:  # noqa: BLE001 - old run files can wait a night; the run's outcome cannot
            print(f"retention skipped: {type(exc).__name__}: {exc}")
            return {"error": str(exc)}

    # One group per stage; prefix_group_id=False keeps task ids short ("dedupe", not "resolve_people.dedupe").
    # To add a task to a stage, chain it inside the group: e.g. `people = enrich(dedupe())`.
    sources = start()
    with TaskGroup("prepare") as prepared:
        planned = plan_batches(ingest.expand(source_name=sources))
        normalised = normalise.expand(batch=planned)
        validate.partial(planned=planned, normalised=normalised).expand(source_name=sources)
    with TaskGroup("resolve_people", prefix_group_id=False) as resolve_people:
        people = enrich(cluster_people(score_pairs.expand(partition=dedupe())))
    with TaskGroup("qualify_leads", prefix_group_id=False) as qualify_leads:
        qualified = qualify(people)
        crm_feedback() >> qualified
        prospects = validate_prospects(qualified)
    with TaskGroup("deliver_to_crm", prefix_group_id=False) as deliver_to_crm:
        publish_prospect_list(push(prospects))
    with TaskGroup("report_run", prefix_group_id=False) as report_run:
        summarise() >> retention().as_teardown()  # after the report; never the run's state (see retention)
    prepared >> resolve_people >> qualify_leads >> deliver_to_crm >> report_run


leads_nightly()

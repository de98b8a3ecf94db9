"""leads_nightly: purchased lists and web forms in, a deduplicated, qualified prospect list in the CRM out.

Wiring only: every task calls one function of `leadpipe.stages`, which the CLI and the tests call too.
One mapped group per configured source (ingest -> normalise -> validate), so one bad source does not
stop the others; then dedupe, qualify (segment, score, suppress) and push over all sources; then the
run summary, which runs whatever happened upstream so every row's outcome is counted.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import TriggerRule, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowFailException


def _cfg():  # noqa: ANN202 - loaded inside tasks only: no config or DB work at parse time
    from leadpipe.config import load_config

    return load_config()


def _run_id() -> str:
    return get_current_context()["run_id"]


def _label(source_name: str) -> str:
    """Show the source's name instead of a bare map index in the UI."""
    get_current_context()["source_name"] = source_name
    return source_name


@dag(
    dag_id="leads_nightly",
    schedule="0 2 * * *",
    catchup=False,
    max_active_runs=1,
    tags=["leadpipe", "nightly"],
    doc_md=__doc__,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True},
)
def leads_nightly() -> None:
    @task
    def start() -> list[str]:
        from leadpipe import stages

        return stages.start(_cfg(), _run_id())

    @task_group(group_id="prepare")
    def prepare(source_name: str):  # noqa: ANN202
        @task(map_index_template="{{ source_name }}")
        def ingest(source_name: str) -> str | None:
            from leadpipe import stages

            return stages.ingest_source(_cfg(), _run_id(), _label(source_name))

        @task(map_index_template="{{ source_name }}")
        def normalise(path: str | None, source_name: str) -> str | None:
            from leadpipe import stages

            return stages.normalise_batch(_cfg(), _run_id(), path, _label(source_name))

        @task(map_index_template="{{ source_name }}")
        def validate(path: str | None, source_name: str) -> str | None:
            from leadpipe import stages

            try:
                return stages.validate_batch(_cfg(), _run_id(), path, _label(source_name))
            except stages.BatchRejected as exc:  # bad data does not get better by retrying
                raise AirflowFailException(str(exc)) from None

        return validate(normalise(ingest(source_name), source_name), source_name)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def dedupe() -> str | None:
        from leadpipe import stages

        return stages.dedupe(_cfg(), _run_id())

    @task
    def qualify(path: str | None) -> str | None:
        from leadpipe import stages

        return stages.qualify(_cfg(), _run_id(), path)

    @task
    def push(path: str | None) -> dict:
        from leadpipe import stages

        return stages.push(_cfg(), _run_id(), path)

    @task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def summarise() -> dict:
        from leadpipe import stages
        from leadpipe.funnel import format_funnel

        summary = stages.summarise(_cfg(), _run_id())
        print(format_funnel(summary))  # noqa: T201 - the funnel belongs in the task log
        if summary["source_errors"] or summary["rejected_batches"]:
            raise AirflowFailException("some sources had problems; see the summary above")
        return {"summary_path": summary["summary_path"], "outcomes": summary["outcomes"]}

    sources = start()
    prepared = prepare.expand(source_name=sources)
    resolved = dedupe()
    prepared >> resolved
    push(qualify(resolved)) >> summarise()


leads_nightly()

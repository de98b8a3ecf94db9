"""What operators and sales-ops rely on in the DAG files: schedule, retries, tags, the rebuild form's schema,
the retry policy's decisions, and no work at parse time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"
DAG_FILES = sorted(DAGS.glob("*.py"))


@pytest.fixture(scope="module")
def dags() -> dict:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags


@pytest.fixture(scope="module")
def cfg():
    from leadpipe.pipeline.settings import load_config

    return load_config()


def test_nightly_schedule_comes_from_config_without_catchup(dags: dict, cfg, tmp_path: Path) -> None:
    dag = dags["leads_nightly"]
    assert dag.timetable.expression == cfg.airflow.nightly_schedule == "0 2 * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    # Another cron line in the config file changes the schedule on the next parse.
    text = (Path(__file__).resolve().parents[1] / "config" / "leadpipe.yaml").read_text()
    (tmp_path / "c.yaml").write_text(text.replace('nightly_schedule: "0 2 * * *"', 'nightly_schedule: "30 3 * * 1-5"'))
    code = (f"import importlib.util as u; s=u.spec_from_file_location('d', {str(DAGS / 'leads_nightly.py')!r}); "
            "m=u.module_from_spec(s); s.loader.exec_module(m); print(m.leads_nightly().timetable.expression)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "LEADPIPE_CONFIG": str(tmp_path / "c.yaml")})
    assert out.stdout.strip().splitlines()[-1] == "30 3 * * 1-5"


def test_nightly_has_a_deadline_and_publishes_the_prospect_list(dags: dict, cfg) -> None:
    dag = dags["leads_nightly"]
    alerts = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
    assert alerts[0].interval == timedelta(minutes=cfg.airflow.nightly_deadline_minutes)
    assert alerts[0].callback.path == "leadpipe.airflow_app.policies.run_is_late"
    outlets = dag.get_task("publish_prospect_list").outlets
    assert [a.name for a in outlets] == ["leadpipe.prospect_list"]


def test_nightly_stages_are_task_groups_in_order(dags: dict) -> None:
    dag = dags["leads_nightly"]
    groups = {t.task_id: t.task_group.group_id for t in dag.tasks}
    assert groups["dedupe"] == "resolve_people" and groups["qualify"] == "qualify_leads"
    assert groups["push"] == groups["publish_prospect_list"] == "deliver_to_crm"
    assert groups["summarise"] == "report_run" and groups["prepare.ingest"] == "prepare"
    # qualify takes the resolved people and, before deciding, what the CRMs reported back (crm_feedback)
    assert dag.get_task("qualify").upstream_task_ids == {"enrich", "crm_feedback"}
    assert groups["enrich"] == "resolve_people" and groups["crm_feedback"] == "qualify_leads"
    # the prospects gate sits between qualify and push: nothing reaches a CRM without passing it
    assert dag.get_task("validate_prospects").upstream_task_ids == {"qualify"}
    assert groups["validate_prospects"] == "qualify_leads"
    assert dag.get_task("push").upstream_task_ids == {"validate_prospects"}
    assert "prepare.validate" in dag.get_task("dedupe").upstream_task_ids
    assert dag.get_task("summarise").trigger_rule == "all_done"
    assert dag.get_task("prepare.ingest").map_index_template == "{{ source_name }}"


def test_nightly_dedupe_scores_partitions_on_mapped_tasks_then_merges(dags: dict) -> None:
    """Issue #10: the pairs are scored by one mapped task per partition, then one task clusters them all."""
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dags["leads_nightly"]
    score = dag.get_task("score_pairs")
    assert isinstance(score, MappedOperator)
    assert score.upstream_task_ids == {"dedupe"}
    assert dag.get_task("cluster_people").upstream_task_ids == {"score_pairs"}
    assert dag.get_task("enrich").upstream_task_ids == {"cluster_people"}
    assert {score.task_group.group_id, dag.get_task("cluster_people").task_group.group_id} == {"resolve_people"}


@pytest.mark.parametrize("dag_id", ["leads_nightly", "rebuild_prospect_list", "call_lists_daily"])
def test_retries_back_off_exponentially_with_a_policy(dags: dict, dag_id: str) -> None:
    from leadpipe.airflow_app.policies import HttpAwareRetryPolicy

    dag = dags[dag_id]
    assert "leadpipe" in dag.tags
    no_retry = {"summarise", "publish_prospect_list", "approve_crm_write", "report", "gate",
                "no_approval_needed", "dry_run_no_write"}
    for t in dag.tasks:
        if t.task_id in no_retry:
            continue
        assert t.retries >= 2, t.task_id
        assert t.retry_exponential_backoff == 2.0 and t.max_retry_delay == timedelta(minutes=30), t.task_id
        assert isinstance(t.retry_policy, HttpAwareRetryPolicy), t.task_id
    if dag_id != "call_lists_daily":
        assert dag.get_task("approve_crm_write" if dag_id != "leads_nightly" else "summarise").retries == 0


def test_call_lists_run_every_working_morning_from_config_and_offer_a_rebuild(dags: dict, cfg) -> None:
    dag = dags["call_lists_daily"]
    assert dag.timetable.expression == cfg.airflow.call_lists_schedule == "0 6 * * 1-5"
    assert dag.catchup is False and dag.max_active_runs == 1 and "sales-ops" in dag.tags
    assert [t.task_id for t in dag.tasks] == ["build_call_lists"]
    params = dag.params
    assert params["rebuild"] is False and params["dry_run"] is False  # a scheduled run builds and records
    assert params.get_param("rebuild").schema["type"] == "boolean"


def test_rebuild_writes_only_after_approval_or_when_none_is_needed(dags: dict) -> None:
    dag = dags["rebuild_prospect_list"]
    assert dag.get_task("gate").downstream_task_ids == {"approve_crm_write", "no_approval_needed", "dry_run_no_write"}
    # Only these two may let the write run: a successful `plan` upstream would make a dry run write.
    assert dag.get_task("choose_crm").upstream_task_ids == {"approve_crm_write", "no_approval_needed"}
    assert dag.get_task("choose_crm").trigger_rule == "none_failed_min_one_success"
    from leadpipe.pipeline.dag_settings import read_dag_settings

    writes = {t.task_id for t in dag.tasks if t.task_id.startswith("write_to_")}
    assert writes == {f"write_to_{t}" for t in read_dag_settings().airflow.rebuild.crm_targets}
    for w in writes:  # only the CRM chosen in the form is written to, and only after the gate above
        assert dag.get_task(w).upstream_task_ids == {"choose_crm"}
    assert dag.get_task("report").trigger_rule == "none_failed"


def test_crm_calling_tasks_queue_in_their_crm_pool(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every task that calls a CRM names that CRM's pool, so overlapping runs share one budget."""
    from airflow.dag_processing.dagbag import DagBag

    from leadpipe.pipeline.settings import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text().replace("crm_targets: [local]", "crm_targets: [local, hubspot, salesforce]")
    text = text.replace("sink:\n  type: local\n", "sink:\n  type: hubspot\n")
    assert "type: hubspot" in text and "crm_targets: [local, hubspot, salesforce]" in text
    (tmp_path / "cfg.yaml").write_text(text)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(tmp_path / "cfg.yaml"))
    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags"))
    assert not bag.import_errors
    rebuild, nightly = bag.dags["rebuild_prospect_list"], bag.dags["leads_nightly"]
    assert rebuild.get_task("write_to_hubspot").pool == "crm_hubspot"
    assert rebuild.get_task("write_to_salesforce").pool == "crm_salesforce"
    assert rebuild.get_task("write_to_local").pool == "default_pool"  # the warehouse is no CRM
    assert nightly.get_task("push").pool == "crm_hubspot"
    assert nightly.get_task("crm_feedback").pool == "crm_hubspot"  # the nightly pull reads the same CRM account
    assert bag.dags["call_lists_daily"].get_task("build_call_lists").pool == "crm_hubspot"  # syncs owners' lists


def _http_error(status: int):
    import requests

    resp = requests.Response()
    resp.status_code = status
    return requests.HTTPError(f"{status}", response=resp)


@pytest.mark.parametrize(("exc", "action"), [
    (lambda: _http_error(429), "retry"),
    (lambda: _http_error(503), "retry"),
    (lambda: _http_error(401), "fail"),
    (lambda: _http_error(403), "fail"),
    (lambda: __import__("leadpipe.pipeline.settings").pipeline.settings.ConfigError("bad key"), "fail"),
    (lambda: __import__("connectors.sinks.base").sinks.base.SinkAuthError("token expired"), "fail"),
    (lambda: ConnectionResetError("reset by peer"), "retry"),
    (lambda: __import__("requests").exceptions.ConnectTimeout("slow"), "retry"),
    (lambda: ValueError("a bug"), "default"),
])
def test_retry_policy_retries_busy_services_and_fails_fast_on_auth_and_config(exc, action: str) -> None:
    from leadpipe.airflow_app.policies import retry_policy

    assert retry_policy().evaluate(exc(), try_number=1, max_tries=4).action.value == action


def test_rebuild_form_offers_the_configured_choices(dags: dict, cfg) -> None:
    params = dags["rebuild_prospect_list"].params
    markets = params.get_param("markets").schema
    assert markets["items"]["enum"] == [m.name for m in cfg.markets]
    assert markets["values_display"]["dach_mid_market"] == "DACH mid-market"
    personas = params.get_param("personas").schema
    assert personas["items"]["enum"] == [p.name for p in cfg.personas]
    assert personas["values_display"]["Economic Buyer"] == "Economic Buyer (owner, c-level, vp)"
    assert params.get_param("crm_target").schema["enum"] == cfg.airflow.rebuild.crm_targets
    assert set(params.get_param("countries").schema["items"]["enum"]) == {"DE", "AT", "CH", "GB", "IE", "US", "CA",
                                                                        "NL", "BE", "LU", "FR", "ES", "PT"}
    for name in ("list_name", "markets", "personas", "countries", "min_score", "tier", "crm_target", "dry_run",
                 "include_already_pushed"):
        p = params.get_param(name)
        assert p.description and len(p.description) > 20, name
        assert p.schema.get("title"), name
    assert params.get_param("dry_run").value is True  # the safe default


GOOD = {"list_name": "DACH decision makers Q3", "markets": ["dach_mid_market"], "personas": ["Economic Buyer"],
        "countries": None, "min_score": 50, "tier": "B", "crm_target": "local", "dry_run": True,
        "include_already_pushed": False}


@pytest.mark.parametrize(("field", "bad"), [
    ("markets", ["atlantis"]),
    ("personas", ["Interns"]),
    ("countries", ["XX"]),
    ("min_score", 10),  # below qualify_at
    ("min_score", 101),
    ("tier", "Z"),
    ("crm_target", "pipedrive"),
    ("list_name", "<script>"),
    ("list_name", ""),
    ("dry_run", "yes"),
])
def test_rebuild_form_rejects_bad_choices(dags: dict, field: str, bad: object) -> None:
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    params = dags["rebuild_prospect_list"].params

    def conf(**change: object) -> ParamsDict:
        d = ParamsDict({k: params.get_param(k) for k in params})
        d.update({**GOOD, **change})
        return d

    assert conf().validate()["markets"] == ["dach_mid_market"]
    with pytest.raises(ParamValidationError, match=field):
        conf(**{field: bad}).validate()


PARSE = """
import importlib.util, json, sys, time
t0 = time.perf_counter(); import airflow.sdk; t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location("d", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
t2 = time.perf_counter()
heavy = [n for n in ("pandas", "great_expectations", "rapidfuzz", "leadpipe.pipeline.stages", "leadpipe.pipeline.rebuild",
                     "leadpipe.pipeline.report", "pyarrow") if n in sys.modules]
print(json.dumps({"airflow_import": t1 - t0, "parse": t2 - t1, "heavy": heavy}))
"""


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_fast_without_touching_data(path: Path, tmp_path: Path) -> None:
    """No warehouse, no heavy imports at parse time: point the warehouse at a path that must not appear."""
    env = {**os.environ, "LEADPIPE_HOME": str(tmp_path / "home"),
           "LEADPIPE_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'must_not_exist.db'}"}
    out = subprocess.run([sys.executable, "-c", PARSE, str(path)], capture_output=True, text=True, env=env,
                         check=True)
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    assert stats["heavy"] == []
    assert stats["parse"] < 1.0, stats
    assert not (tmp_path / "must_not_exist.db").exists() and not (tmp_path / "home").exists()

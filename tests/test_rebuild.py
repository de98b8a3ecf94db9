"""List rebuild from the warehouse: segment filters, suppression, the CRM plan, the write and the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.rebuild_seed import seed_warehouse


@pytest.fixture
def seeded(home: Path) -> Path:
    seed_warehouse(home)
    return home


def _seg(**kw):
    from leadpipe.pipeline.rebuild import Segment

    return Segment(**{"list_name": "test list", "min_score": 40, "dry_run": False, **kw})


def _plan(home: Path, **kw) -> dict:
    from leadpipe.pipeline.rebuild import plan_list
    from leadpipe.pipeline.settings import load_config

    return plan_list(load_config(), home / "rb", _seg(**kw))


def test_market_and_persona_pick_the_right_people(seeded: Path) -> None:
    result = _plan(seeded, markets=["dach_mid_market"], personas=["Economic Buyer"])
    c = result["counts"]
    # DACH decision makers with score >= 40: ceo, vp, dnc (on the list), form (no consent last night)
    assert c["in_segment"] == 4
    assert c["suppressed"] == 2 and c["create"] == 2 and c["update"] == 0 and c["skip"] == 0
    assert set(result["suppression_reasons"]) == {"email on do-not-contact list do_not_contact.csv",
                                                  "web form lead without email consent"}
    assert result["needs_approval"] is False  # 2 writes, config says approval above 500


def test_empty_choices_mean_everyone_qualified(seeded: Path) -> None:
    c = _plan(seeded)["counts"]
    assert c["people_in_warehouse"] == 9
    assert c["in_segment"] == 8 and c["no_email"] == 1 and c["suppressed"] == 2 and c["create"] == 5


def test_tier_and_countries_narrow_the_list(seeded: Path) -> None:
    assert _plan(seeded, tier="A")["counts"]["create"] == 3  # ceo, vp, us ceo
    assert _plan(seeded, tier="B")["counts"]["create"] == 5  # plus manager (58) and UK director (60)
    assert _plan(seeded, countries=["AT", "GB"])["counts"]["create"] == 2
    assert _plan(seeded, min_score=71)["counts"]["create"] == 2  # ceo 85, vp 72


def test_write_lands_in_local_sink_and_next_plan_knows_it(seeded: Path) -> None:
    from leadpipe.pipeline.rebuild import write_list
    from leadpipe.pipeline.settings import load_config
    from leadpipe.store.warehouse import engine_for, prospects, push_ledger

    cfg = load_config()
    _plan(seeded, markets=["dach_mid_market"], personas=["Economic Buyer"])
    crm = write_list(cfg, "rebuild_1", seeded / "rb")
    assert crm["written"] == 2 and crm["failed"] == 0
    with engine_for(cfg.warehouse_url).connect() as conn:
        assert set(conn.execute(select(prospects.c.person_id)).scalars()) == {"p-dach-ceo", "p-dach-vp"}
        assert set(conn.execute(select(push_ledger.c.person_id)).scalars()) == {"p-dach-ceo", "p-dach-vp"}
    members = (seeded / "rb" / "list_members.csv").read_text().splitlines()
    assert members[0] == "list_name,person_id,action" and len(members) == 3

    again = _plan(seeded, markets=["dach_mid_market"], personas=["Economic Buyer"])["counts"]
    assert again["already_pushed_left_out"] == 2 and again["create"] == 0
    both = _plan(seeded, markets=["dach_mid_market"], personas=["Economic Buyer"],
                 include_already_pushed=True)["counts"]
    assert both["skip"] == 2 and both["create"] == 0 and both["list_size"] == 2


def test_a_rebuilt_list_sends_the_stored_channel_readiness(seeded: Path) -> None:
    from leadpipe.pipeline.rebuild import write_list
    from leadpipe.pipeline.settings import load_config
    from leadpipe.store.warehouse import engine_for, people, prospects

    cfg = load_config()
    stored = {"email": {"sendable": False, "reason": "unsubscribed from email per hubspot since 2026-11-30"},
              "phone": {"callable": True, "reason": "mobile; no national DNC registry covers this number",
                        "line_type": "mobile", "timezone": "Europe/Berlin"},
              "linkedin": {"ready": True, "url": "https://www.linkedin.com/in/anna-ceo", "reason": "profile URL on record"},
              "preferred": {"channel": "phone", "reason": "asked for phone in the form"}}
    with engine_for(cfg.warehouse_url).begin() as conn:
        conn.execute(people.update().where(people.c.person_id == "p-dach-ceo").values(channels=stored))
    _plan(seeded, markets=["dach_mid_market"], personas=["Economic Buyer"])
    write_list(cfg, "rebuild_1", seeded / "rb")
    with engine_for(cfg.warehouse_url).connect() as conn:
        got = {r["person_id"]: r for r in conn.execute(select(prospects)).mappings()}
    ceo, vp = got["p-dach-ceo"], got["p-dach-vp"]
    assert (ceo["email_sendable"], ceo["email_reason"]) == (False, stored["email"]["reason"])
    assert (ceo["phone_callable"], ceo["phone_line_type"], ceo["phone_timezone"]) == (True, "mobile", "Europe/Berlin")
    assert (ceo["linkedin_url"], ceo["preferred_channel"]) == ("https://www.linkedin.com/in/anna-ceo", "phone")
    assert vp["email_sendable"] is None  # decided before channel readiness existed: nothing is made up


def test_large_list_needs_approval(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadpipe.pipeline.settings import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text().replace("approval_above: 500", "approval_above: 3")
    assert "approval_above: 3" in text
    (tmp_path / "cfg.yaml").write_text(text)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(tmp_path / "cfg.yaml"))
    assert _plan(seeded)["needs_approval"] is True  # 5 creates > 3
    assert _plan(seeded, tier="A")["needs_approval"] is False  # 3 creates


def test_choices_the_config_does_not_offer_are_refused(seeded: Path) -> None:
    from leadpipe.pipeline.rebuild import RebuildError

    with pytest.raises(RebuildError, match="unknown market"):
        _plan(seeded, markets=["atlantis"])
    with pytest.raises(RebuildError, match="CRM target 'hubspot' is not offered"):
        _plan(seeded, crm_target="hubspot")


def test_rebuild_report_shows_plan_and_escapes_names(seeded: Path) -> None:
    from leadpipe.pipeline.report import write_rebuild_report

    result = _plan(seeded, markets=["dach_mid_market"], list_name="Q3 <b>DACH</b>")
    html = write_rebuild_report(seeded / "rb", result, None, "dry run: nothing was written").read_text()
    assert "Plan: 3 creates, 0 updates, 0 skips, 2 suppressions." in html  # ceo, vp, manager
    assert "Q3 &lt;b&gt;DACH&lt;/b&gt;" in html and "<b>DACH</b>" not in html
    assert "<svg" in html and "<script" not in html


@pytest.mark.slow
def test_small_list_is_written_without_approval_by_the_dag(seeded: Path, airflow_db: None) -> None:
    """Whole DAG in-process: 2 writes are below approval_above (500), so no one is asked."""
    from airflow.dag_processing.dagbag import DagBag

    from leadpipe.pipeline.settings import load_config
    from leadpipe.store.warehouse import engine_for, prospects

    dag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags")).dags["rebuild_prospect_list"]
    run = dag.test(run_conf={"list_name": "DACH buyers", "markets": ["dach_mid_market"],
                             "personas": ["Economic Buyer"], "dry_run": False})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["approve_crm_write"] == "skipped" and states["dry_run_no_write"] == "skipped"
    assert states["choose_crm"] == "success" and states["write_to_local"] == "success"
    assert states["report"] == "success"
    with engine_for(load_config().warehouse_url).connect() as conn:
        assert set(conn.execute(select(prospects.c.person_id)).scalars()) == {"p-dach-ceo", "p-dach-vp"}

"""A qualification config change re-decides everyone in the warehouse on the next run, with or without input.

The expectation comes from run 1's own stored scores: after lowering the threshold, exactly the people who
scored between the new and the old threshold (and were neither suppressed nor without email) must become
prospects and reach the local CRM, although run 2 ingests nothing.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from leadpipe.cli import main
from leadpipe.pipeline.funnel import format_funnel
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, outcomes, people, prospects, qualify_runs, requalifications
from tests.homes import write_config
from tests.pipeline_checks import assert_ledger_adds_up


def _config(home: Path, **scoring: object) -> Path:
    return write_config(home / "leadpipe.yaml", lambda data: data["scoring"].update(scoring))


def test_a_lower_threshold_requalifies_people_not_in_the_next_runs_input(demo_home: Path) -> None:
    cfg = load_config(_config(demo_home))
    first = run_pipeline(cfg, "run-1")
    assert_ledger_adds_up(first)
    engine = engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        before = {r.person_id: r for r in conn.execute(select(people.c.person_id, people.c.email, people.c.score,
                                                              people.c.tier, people.c.compliance))}
        in_crm_1 = {r[0] for r in conn.execute(select(prospects.c.person_id))}
    between = {pid for pid, r in before.items()
               if 30 <= r.score < 40 and not (r.compliance or {}).get("suppressed") and r.email}
    assert between, "the demo data must have people scoring 30-39 for this test to mean anything"
    assert not between & in_crm_1

    # sales-ops lower the bar; no new file arrives
    cfg = load_config(_config(demo_home, qualify_at=30, tiers={"A": 75, "B": 60, "C": 30}))
    second = run_pipeline(cfg, "run-2")
    assert second["raw_rows"] == 0 and second["outcomes"]["pushed"] == 0  # no raw row of run 2: no outcome
    assert_ledger_adds_up(second)
    with engine.connect() as conn:
        after = dict(conn.execute(select(people.c.person_id, people.c.tier)).all())
        in_crm_2 = {r[0] for r in conn.execute(select(prospects.c.person_id))}
        changes = {r.person_id: r for r in conn.execute(select(requalifications).where(
            requalifications.c.run_id == "run-2"))}
        run_2_outcomes = conn.execute(select(outcomes).where(outcomes.c.run_id == "run-2")).all()
    assert run_2_outcomes == []
    assert all(after[pid] == "C" for pid in between)  # tiers changed for people run 2 never saw
    assert between <= in_crm_2 and in_crm_1 <= in_crm_2  # newly qualified reached the sink, nobody was removed
    newly = {pid for pid, c in changes.items() if c.change == "newly_qualified"}
    assert newly == between
    assert all(changes[pid].old_tier is None and changes[pid].new_tier == "C" for pid in between)
    assert all(changes[pid].push_result.startswith("created in local CRM") for pid in between)
    assert second["requalification"]["newly_qualified"] == len(between)
    assert second["requalification"]["push"]["created"] == len(between)
    # the funnel and the report count them on their own line: not "pushed 0"
    assert second["funnel"]["pushed_requalified"] == len(between)
    funnel = format_funnel(second)
    assert re.search(r"-> pushed to the CRM\s+0\n", funnel)
    assert re.search(rf"-> pushed after re-qualification\s+{len(between):,}\n", funnel)
    assert f"re-qualified after a config change: {second['requalification']['people']:,} people " \
           f"({len(between):,} newly qualified" in funnel
    report = " ".join(Path(second["outputs"]["report_html"]).read_text(encoding="utf-8").split())
    assert re.search(rf"pushed after re-qualification</text>.{{0,200}}>{len(between):,}</text>", report)
    assert f"pushed after re-qualification: {len(between):,};" in report
    assert f"{len(between):,} of them pushed to the CRM" in report
    with open(second["outputs"]["crm_import_csv"], encoding="utf-8") as fh:
        csv_people = {r["person_id"] for r in csv.DictReader(fh)}
    assert between <= csv_people

    some = min(between)
    shown = CliRunner().invoke(main, ["--config", str(demo_home / "leadpipe.yaml"), "explain", before[some].email])
    assert shown.exit_code == 0, shown.output
    assert "re-qualified in run run-2 (config changed): newly qualified" in shown.output
    assert f"score {before[some].score} -> {before[some].score}, tier - -> C; created in local CRM" in shown.output

    # the same config again: nothing is re-decided
    third = run_pipeline(cfg, "run-3")
    assert third["requalification"] == {"people": 0, "config_changed": False}


def test_a_higher_threshold_records_newly_disqualified_people_but_leaves_them_in_the_crm(demo_home: Path) -> None:
    cfg = load_config(_config(demo_home))
    run_pipeline(cfg, "run-1")
    engine = engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        pushed = dict(conn.execute(select(prospects.c.person_id, prospects.c.score)).all())
    dropped = {pid for pid, score in pushed.items() if score < 50}
    assert dropped

    cfg = load_config(_config(demo_home, qualify_at=50, tiers={"A": 75, "B": 60, "C": 50}))
    second = run_pipeline(cfg, "run-2")
    with engine.connect() as conn:
        changes = {r.person_id: r.change for r in conn.execute(select(requalifications).where(
            requalifications.c.run_id == "run-2"))}
        still = {r[0] for r in conn.execute(select(prospects.c.person_id))}
        fp = dict(conn.execute(select(qualify_runs.c.run_id, qualify_runs.c.config_fingerprint)).all())
    assert {pid for pid, c in changes.items() if c == "newly_disqualified"} == dropped
    assert dropped <= still  # they stay in the CRM; the change is recorded and reported
    assert second["requalification"]["newly_disqualified"] == len(dropped)
    assert fp["run-1"] != fp["run-2"]

"""The data-quality gates in the flow: raw batch (columns, volume vs history), normalised leads, prospects
before push; what they do to the run (stop, quarantine, record) and `leadpipe validate FILE`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from expectations.gx_runner import run_suite
from expectations.prospects import CrmFields, build_prospects_suite, crm_fields
from leadpipe.cli import main
from leadpipe.pipeline import stages
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import ConfigError, load_config
from leadpipe.store import ledger
from leadpipe.store.warehouse import (
    engine_for,
    outcomes,
    prospects,
    quarantine,
    raw_rows,
    source_files,
    validation_results,
)
from tests.pipeline_checks import assert_ledger_adds_up

APOLLO_HEADER = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City",
                 "State", "Country", "# Employees", "Industry"]
CONFIG = """
sources:
  - name: vendor_x
    path: "{home}/inputs/vendor_x*.csv"
    preset: apollo
suppression:
  do_not_contact_files: ["{home}/inputs/do_not_contact.csv"]
markets:
  - {name: dach, label: DACH, countries: [DE, AT, CH]}
scoring:
  market_points: {dach: 25}
  seniority_points: {c_level: 30}
"""


FIRST = ("Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas")
LAST = ("Berg", "Fischer", "Hoffmann", "Keller", "Lang", "Maier", "Neumann", "Otto", "Peters", "Roth", "Schulz",
        "Vogel", "Wagner", "Zimmer")


def person(i: int, email: str | None = None, first: str | None = None) -> list[str]:
    """Person i of up to 140 distinct ones, a qualifying apollo row: CEO in DACH with a work email and a
    phone scores 25 + 30 + 10 + 5 = 70 with CONFIG."""
    given, family = FIRST[i % len(FIRST)], LAST[i // len(FIRST)]
    company = f"{family} {given} Systeme"
    domain = f"{family.lower()}-{given.lower()}.de"
    return [first or given, family, "CEO", company, email or f"{given.lower()}.{family.lower()}@{domain}",
            f"+49 30 {5550000 + i}", f"https://{domain}", "Berlin", "", "DE", "200", "Software"]


def write_list(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(APOLLO_HEADER)
        w.writerows(rows)
    return path


def setup_home(home: Path, extra_config: str = "", blocked: tuple[str, ...] = ()) -> Path:
    (home / "inputs").mkdir(parents=True, exist_ok=True)
    (home / "inputs" / "do_not_contact.csv").write_text("email\n" + "".join(f"{e}\n" for e in blocked))
    cfg_path = home / "leadpipe.yaml"
    cfg_path.write_text(CONFIG + extra_config, encoding="utf-8")
    return cfg_path


def stored_batch(cfg, run_id: str, rows: list[list[str]], source: str = "vendor_x") -> str:
    """Store rows the way ingest does (raw_rows, source_files, the mapped batch file), normalise them with the
    real normaliser, and return the normalised path: the input validate_batch gets in a run."""
    from connectors.sources.presets import PRESETS

    stages.start(stages.RunContext(cfg, run_id))
    engine = engine_for(cfg.warehouse_url)
    with engine.begin() as conn:
        ids = [conn.execute(insert(raw_rows).values(
            run_id=run_id, source=source, source_file=f"{run_id}.csv", source_row=n,
            payload=dict(zip(APOLLO_HEADER, row, strict=True)), ingested_at=ledger.now())).inserted_primary_key[0]
            for n, row in enumerate(rows, start=1)]
        conn.execute(insert(source_files).values(
            source=source, path=f"/in/{run_id}.csv", fingerprint=run_id, size_bytes=1, rows=len(rows), run_id=run_id,
            ingested_at=ledger.now()))
    mapping = PRESETS["apollo"]
    frame = pd.DataFrame({f: [r[APOLLO_HEADER.index(h)] for r in rows] for f, h in mapping.items()
                          if h in APOLLO_HEADER}, dtype="string")  # this list has no revenue column
    frame["raw_row_id"] = pd.array(ids, dtype="int64")
    frame["source"], frame["source_file"], frame["source_kind"] = source, f"{run_id}.csv", "purchased"
    frame["source_row"] = pd.array(range(1, len(rows) + 1), dtype="int64")
    mapped = stages.run_folder(cfg, run_id) / "ingested" / f"{source}.parquet"
    mapped.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(mapped, index=False)
    ctx = stages.RunContext(cfg, run_id)
    return [stages.normalise_part(ctx, spec) for spec in stages.plan_batches(ctx, [str(mapped)])]


def results_of(cfg, run_id: str) -> dict[str, object]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        return {r.suite: r for r in conn.execute(select(validation_results).where(validation_results.c.run_id == run_id))}


def quarantined(cfg, run_id: str) -> dict[int, object]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        return {r.raw_row_id: r for r in conn.execute(select(quarantine).where(quarantine.c.run_id == run_id))}


# --- raw batch: volume against the source's history ------------------------------------------------


def test_a_90_percent_volume_drop_fails_the_critical_check(home: Path, warehouse_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)  # the history query on SQLite and PostgreSQL
    cfg = load_config(setup_home(home))
    for run in ("hist-1", "hist-2", "hist-3"):
        stored_batch(cfg, run, [person(i) for i in range(100)])
    path = stored_batch(cfg, "now", [person(i) for i in range(10)])

    with pytest.raises(stages.BatchRejected) as err:
        stages.validate_batch(stages.RunContext(cfg, "now"), path, "vendor_x")
    message = str(err.value)
    assert "source vendor_x: batch of 10 rows stopped before any CRM write" in message
    assert "the batch has only 10 rows, fewer than the 20 expected" in message  # 20% of the usual 100
    assert "vendor_x usually sends about 100 rows (median of the last 3 runs: 100, 100, 100)" in message
    raw = results_of(cfg, "now")["raw_batch:vendor_x"]
    assert raw.success is False and raw.source == "vendor_x" and raw.statistics["rows"] == 10
    assert any("only 10 rows" in f for f in raw.failures)
    q = quarantined(cfg, "now")
    assert len(q) == 10 and {r.check_name for r in q.values()} == {"batch stopped"}
    assert not (stages.run_folder(cfg, "now") / "validated" / "vendor_x.parquet").exists()


def test_usual_volume_passes_and_volume_is_only_judged_with_enough_history(home: Path) -> None:
    cfg = load_config(setup_home(home))
    for run in ("hist-1", "hist-2"):
        stored_batch(cfg, run, [person(i) for i in range(100)])
    # two earlier runs are fewer than min_history_runs (3): a small batch is not judged on volume yet
    small = stages.validate_batch(stages.RunContext(cfg, "small"), stored_batch(cfg, "small", [person(i) for i in range(10)]), "vendor_x")
    assert len(pd.read_parquet(small)) == 10
    # now three earlier runs (100, 100, 10; median 100): 90 rows are within the usual size
    usual = stages.validate_batch(stages.RunContext(cfg, "usual"), stored_batch(cfg, "usual", [person(i) for i in range(90)]), "vendor_x")
    assert len(pd.read_parquet(usual)) == 90
    assert results_of(cfg, "usual")["raw_batch:vendor_x"].success is True


def test_volume_ratio_is_configurable_per_source(home: Path) -> None:
    extra = "validation:\n  sources:\n    vendor_x: {min_volume_ratio: 0.05}\n"
    cfg = load_config(setup_home(home, extra))
    assert cfg.validation.for_source("vendor_x").min_volume_ratio == 0.05
    for run in ("hist-1", "hist-2", "hist-3"):
        stored_batch(cfg, run, [person(i) for i in range(100)])
    out = stages.validate_batch(stages.RunContext(cfg, "now"), stored_batch(cfg, "now", [person(i) for i in range(10)]), "vendor_x")
    assert len(pd.read_parquet(out)) == 10


def test_a_required_column_the_mapping_left_empty_stops_the_batch(home: Path) -> None:
    cfg = load_config(setup_home(home))
    rows = [person(i) for i in range(5)]
    for row in rows:
        row[APOLLO_HEADER.index("Email")] = ""  # e.g. the vendor renamed its email column
    with pytest.raises(stages.BatchRejected, match="no row has an email: the list has no email column, or the "
                                                   "header mapping points at the wrong one"):
        stages.validate_batch(stages.RunContext(cfg, "run"), stored_batch(cfg, "run", rows), "vendor_x")


def test_unknown_source_in_validation_overrides_is_refused(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"validation.sources names unknown source\(s\) \['vendor_y'\]"):
        load_config(setup_home(home, "validation:\n  sources:\n    vendor_y: {min_valid_email_share: 0.5}\n"))
    with pytest.raises(ConfigError, match="min_volume_ratio"):
        load_config(setup_home(home, "validation:\n  sources:\n    vendor_x: {min_volume_ratio: 2}\n"))


# --- row-level failures: quarantine naming the expectation, counted by the ledger ------------------


def test_row_failure_lands_in_quarantine_with_the_expectation_and_the_ledger_counts_it(
        home: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    cfg = load_config(setup_home(home))
    rows = [person(i) for i in range(20)]
    rows[4][0] = "asdf"  # a placeholder first name: data row 5
    out = stages.validate_batch(stages.RunContext(cfg, "run"), stored_batch(cfg, "run", rows), "vendor_x")
    assert len(pd.read_parquet(out)) == 19
    [(raw_row_id, q)] = quarantined(cfg, "run").items()
    assert (q.source_file, q.source_row, q.field) == ("run.csv", 5, "first_name")
    assert q.check_name == "expect_column_values_to_not_match_regex(first_name)"
    with engine_for(cfg.warehouse_url).connect() as conn:
        [outcome] = conn.execute(select(outcomes).where(outcomes.c.raw_row_id == raw_row_id)).all()
    assert outcome.outcome == "quarantined"
    assert outcome.reason == q.reason == "the first name 'asdf' in row 6 of run.csv is a placeholder, not a real name"
    counts = ledger.outcome_counts(engine_for(cfg.warehouse_url), "run")["vendor_x"]
    assert counts["raw_rows"] == 20 and counts["quarantined"] == 1


# --- whole runs --------------------------------------------------------------------------------------


def test_clean_list_passes_every_gate_and_data_docs_exist(home: Path) -> None:
    cfg = load_config(setup_home(home))
    write_list(home / "inputs" / "vendor_x_1.csv", [person(i) for i in range(30)])
    summary = run_pipeline(cfg, "clean")
    assert_ledger_adds_up(summary)
    assert summary["rejected_batches"] == {} and summary["outcomes"]["quarantined"] == 0
    saved = json.loads(Path(summary["summary_path"]).read_text())
    assert saved["status"] == "succeeded" and saved["reasons"] == [] == saved["reasons_for_logs"]
    assert summary["funnel"]["pushed"] == 30
    suites = results_of(cfg, "clean")
    assert {s: r.success for s, r in suites.items()} == {
        "raw_batch:vendor_x": True, "normalised_leads:vendor_x": True,
        "prospects_before_push:prospects_before_push": True}
    for gate in ("vendor_x", "prospects_before_push"):
        index = Path(summary["data_docs"][gate])
        assert index.name == "index.html" and index.is_file()
        assert str(stages.run_folder(cfg, "clean")) in str(index)
    site = (Path(summary["data_docs"]["vendor_x"]).parent / "validations").rglob("*.html")
    assert len(list(site)) >= 2  # one page per suite run: raw batch and normalised leads


def test_list_with_30_percent_invalid_emails_stops_before_push_and_says_why(home: Path) -> None:
    cfg = load_config(setup_home(home))
    rows = [person(i) for i in range(70)] + [person(100 + i, email=f"not-an-email-{i}") for i in range(30)]
    write_list(home / "inputs" / "vendor_x_1.csv", rows)
    summary = run_pipeline(cfg, "bad")
    assert_ledger_adds_up(summary)
    [why] = summary["rejected_batches"]["vendor_x"]
    saved = json.loads(Path(summary["summary_path"]).read_text())
    assert saved["status"] == "failed"
    assert saved["reasons"] == [f"vendor_x: the batch was stopped before any CRM write: {why}"]
    assert why.startswith("only 70% of the 100 emails are valid addresses (at least 90% needed): 30 rows have an "
                          "email that is not a valid address (e.g. rows 72-76 of vendor_x_1.csv: 'not-an-email-0'")
    assert summary["outcomes"]["quarantined"] == 100 and summary["funnel"]["pushed"] == 0
    with engine_for(cfg.warehouse_url).connect() as conn:
        assert conn.execute(select(prospects)).all() == []
    assert not (stages.run_folder(cfg, "bad") / "crm_import.csv").exists()
    assert results_of(cfg, "bad")["normalised_leads:vendor_x"].failures == [why]


def test_the_same_list_passes_where_the_source_allows_more_invalid_emails(home: Path) -> None:
    cfg = load_config(setup_home(home, "validation:\n  sources:\n    vendor_x: {min_valid_email_share: 0.6}\n"))
    rows = [person(i) for i in range(70)] + [person(100 + i, email=f"not-an-email-{i}") for i in range(30)]
    write_list(home / "inputs" / "vendor_x_1.csv", rows)
    summary = run_pipeline(cfg, "lenient")
    assert summary["rejected_batches"] == {}
    assert summary["outcomes"]["quarantined"] == 30  # the invalid emails only, as rows
    assert summary["funnel"]["pushed"] == 70


def test_a_suppressed_person_reaching_the_push_stops_it_before_any_crm_write(home: Path) -> None:
    """Should suppression upstream ever let a blocked person through, the last gate stops the whole push."""
    cfg = load_config(setup_home(home, blocked=("b@x.de",)))
    path, ids = stored_prospects(cfg, "leak", emails=["a@x.de", "b@x.de", "c@x.de"])
    with pytest.raises(stages.BatchRejected) as err:
        stages.validate_prospects(stages.RunContext(cfg, "leak"), path)
    message = str(err.value)
    assert message.startswith("prospects_before_push: push of 3 prospects stopped before any CRM write")
    assert "1 prospect is on the do-not-contact list by email; nothing may reach the CRM (row 3 of f.csv)" in message
    assert "b@x.de" not in message  # the exception goes to the task log: row numbers, not the value
    q = quarantined(cfg, "leak")
    assert sorted(q) == sorted(ids) and {r.check_name for r in q.values()} == {"push stopped"}
    assert not (stages.run_folder(cfg, "leak") / "prospects_validated.parquet").exists()
    notes = json.loads((stages.run_folder(cfg, "leak") / "rejected_batches" / "prospects_before_push.json").read_text())
    # the run summary's reason shows the value (its readers may see the data)
    assert notes["messages"] == ["1 prospect is on the do-not-contact list by email; nothing may reach the CRM "
                                 "(row 3 of f.csv: 'b@x.de')"]


def stored_prospects(cfg, run_id: str, emails: list[str], scores: list[int] | None = None):
    """A qualify output (one prospect per email) whose primary rows exist in raw_rows, as after dedupe."""
    stages.start(stages.RunContext(cfg, run_id))
    with engine_for(cfg.warehouse_url).begin() as conn:
        ids = [conn.execute(insert(raw_rows).values(run_id=run_id, source="vendor_x", source_file="f.csv",
                                                    source_row=n, payload={}, ingested_at=ledger.now())
                            ).inserted_primary_key[0] for n in range(1, len(emails) + 1)]
    df = pd.DataFrame({"person_id": [f"p{n}" for n in range(len(emails))], "primary_raw_row_id": ids,
                       "email": emails, "score": scores or [70] * len(emails), "first_name": "A", "company": "X"})
    path = stages.run_folder(cfg, run_id) / "prospects.parquet"
    df.to_parquet(path, index=False)
    return str(path), ids


def test_prospects_gate_holds_back_only_failing_prospects(home: Path) -> None:
    cfg = load_config(setup_home(home))
    run_id = "gate"
    path, ids = stored_prospects(cfg, run_id, emails=["a@x.de", "b@x.de", "b@x.de", "d@x.de", "e@x.de"],
                                 scores=[70, 70, 70, 999, 70])  # 999: beyond the most points possible (85 here)
    out = pd.read_parquet(stages.validate_prospects(stages.RunContext(cfg, run_id), path))
    assert out["person_id"].tolist() == ["p0", "p4"]
    q = quarantined(cfg, run_id)
    assert q[ids[1]].check_name == q[ids[2]].check_name == "expect_column_values_to_be_unique(email)"
    assert q[ids[3]].check_name == "expect_column_values_to_be_between(score)" and q[ids[3]].field is None
    assert q[ids[3]].source_file == "f.csv" and q[ids[3]].source_row == 4


def test_fields_the_crm_mapping_requires_follow_the_sink() -> None:
    from connectors.sinks.settings import SinkSettings
    from leadpipe.pipeline.push import declared_capabilities

    local = declared_capabilities(SinkSettings())
    assert crm_fields(local.writable_fields, local.required_fields).required == ("person_id", "email", "score")
    fields = crm_fields({"company", "email"}, ("email", "company"))  # what a sink declares, passed in as data
    assert fields == CrmFields(columns=("email", "company"), required=("email", "company"))
    frame = pd.DataFrame({"raw_row_id": [1, 2], "email": ["a@x.de", "b@x.de"], "company": ["X", " "],
                          "score": [50, 50]})
    result = run_suite(frame, build_prospects_suite(fields, score_min=40, score_max=100))
    assert result.row_failures == {2: ["expect_column_values_to_not_be_null(company)"]}
    missing = run_suite(frame.drop(columns="company"), build_prospects_suite(fields, score_min=40, score_max=100))
    assert "there is no company column (check the source's preset or header mapping)" in missing.critical_failures


def test_volume_warning_is_recorded_in_the_warehouse_and_summary(home: Path) -> None:
    cfg = load_config(setup_home(home, "validation:\n  max_volume_ratio: 2\n"))
    for run in ("hist-1", "hist-2", "hist-3"):
        stored_batch(cfg, run, [person(i) for i in range(10)])
    stages.validate_batch(stages.RunContext(cfg, "big"), stored_batch(cfg, "big", [person(i) for i in range(50)]), "vendor_x")
    raw = results_of(cfg, "big")["raw_batch:vendor_x"]
    said = "the batch has 50 rows, more than the 20 expected: a backfill or a different list? Worth a look"
    assert raw.failures == [] and raw.warnings == [said]
    notes = json.loads((stages.run_folder(cfg, "big") / "validation_warnings" / "vendor_x.json").read_text())
    assert notes["messages"] == [f"columns and size: {said}"]


# --- leadpipe validate FILE ---------------------------------------------------------------------------


def test_validate_command_reports_a_bad_list_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    rows = [person(i) for i in range(7)] + [person(10 + i, email=f"broken-{i}") for i in range(3)]
    rows[1][0] = "Test"
    bad = write_list(tmp_path / "new_vendor.csv", rows)
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1, result.output
    assert "preset apollo (detected from the headers)" in result.output
    assert ("stops the list: only 70% of the 10 emails are valid addresses (at least 90% needed): 3 rows have an "
            "email that is not a valid address (rows 9-11 of new_vendor.csv: 'broken-0', 'broken-1', 'broken-2')"
            in result.output)
    assert "quarantine: 1 row has a placeholder first name (row 3 of new_vendor.csv: 'Test')" in result.output
    assert "would STOP this list" in result.output
    assert list(home.iterdir()) == []  # no warehouse, no run folder


def test_validate_command_passes_a_clean_list_and_builds_docs_on_request(home: Path, tmp_path: Path) -> None:
    good = write_list(tmp_path / "clean.csv", [person(i) for i in range(12)])
    result = CliRunner().invoke(main, ["validate", str(good), "--docs", str(tmp_path / "docs"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["stopped"] is False and report["rows"] == 12
    assert [s["suite"] for s in report["suites"]] == ["columns and size", "lead values"]
    assert [s["verdict"] for s in report["suites"]] == ["passed", "passed"]
    assert all(s["passed"] for s in report["suites"])
    assert Path(report["docs_path"]).is_file()
    assert list(home.iterdir()) == []


def test_validate_command_uses_a_sources_thresholds_and_lists_unreadable_rows(home: Path, tmp_path: Path) -> None:
    cfg_path = setup_home(home, "validation:\n  sources:\n    vendor_x: {min_valid_email_share: 0.6}\n")
    rows = [person(i) for i in range(7)] + [person(10 + i, email=f"broken-{i}") for i in range(3)]
    bad = write_list(tmp_path / "new_vendor.csv", rows)
    with bad.open("a", encoding="utf-8") as fh:
        fh.write("Short,Row\n")  # data row 11, file line 12
    strict = CliRunner().invoke(main, ["--config", str(cfg_path), "validate", str(bad)])
    assert strict.exit_code == 1, strict.output
    assert "11 data rows, 1 unreadable" in strict.output
    assert "unreadable: new_vendor.csv line 12: row has 2 fields but the header has 12" in strict.output
    lenient = CliRunner().invoke(main, ["--config", str(cfg_path), "validate", str(bad), "--source", "vendor_x"])
    assert lenient.exit_code == 0, lenient.output
    assert ("quarantine: 3 rows have an email that is not a valid address (rows 9-11 of new_vendor.csv: "
            "'broken-0', 'broken-1', 'broken-2')") in lenient.output
    assert "lead values: passed, 3 rows quarantined" in lenient.output
    assert "7 rows continue, 3 quarantined, 1 unreadable" in lenient.output
    unknown = CliRunner().invoke(main, ["--config", str(cfg_path), "validate", str(bad), "--source", "nope"])
    assert unknown.exit_code != 0 and "no source named 'nope'" in unknown.output


def test_a_vendor_whose_weekly_list_shrinks_by_90_percent_is_stopped_in_the_run(home: Path) -> None:
    """Through real runs: three weekly files of 100 people, then one of 10; history comes from ingest."""
    cfg = load_config(setup_home(home))
    for week in range(3):
        write_list(home / "inputs" / f"vendor_x_week{week}.csv", [person(i) for i in range(100)][week:])
        assert run_pipeline(cfg, f"week-{week}")["rejected_batches"] == {}
    write_list(home / "inputs" / "vendor_x_week3.csv", [person(i) for i in range(10)])
    summary = run_pipeline(cfg, "week-3")
    assert_ledger_adds_up(summary)
    [why] = summary["rejected_batches"]["vendor_x"]
    assert "the batch has only 10 rows, fewer than the 20 expected: the export looks truncated or wrong" in why
    assert "vendor_x usually sends about 99 rows (median of the last 3 runs: 98, 99, 100)" in why
    assert summary["outcomes"]["quarantined"] == 10 and summary["funnel"]["pushed"] == 0
    # the same plain sentence as the run's status in summary.json, the report and the CLI
    stored = json.loads((Path(summary["outputs"]["run_folder"]) / "summary.json").read_text(encoding="utf-8"))
    assert stored["status"] == "failed"
    [reason] = stored["reasons"]
    assert reason.startswith("vendor_x: the batch was stopped before any CRM write: ") and why in reason
    assert "the batch has only 10 rows, fewer than the 20 expected" in reason
    page = " ".join(Path(summary["outputs"]["report_html"]).read_text(encoding="utf-8").split())
    assert "The run failed:" in page and "the batch has only 10 rows, fewer than the 20 expected: the export looks " \
        "truncated or wrong" in page
    shown = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "funnel", "week-3"])
    assert "  status: FAILED" in shown.output and f"  why: {reason}" in shown.output

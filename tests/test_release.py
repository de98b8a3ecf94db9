"""`leadpipe release SOURCE@RUN_ID`: a batch stopped by a critical check, judged again under today's thresholds.

A vendor list with 70% valid emails is stopped by the 90% rule; after the threshold is relaxed to 60% for that
vendor, release records it and the next run carries its rows on to people and the CRM, with the ledger of
both runs adding up. Refusals (empty, source alone, unknown, already released) change nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from leadpipe.cli import main
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import batch_releases, engine_for, outcomes, quarantine
from tests.homes import write_config

HEADER = "First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,# Employees,Industry\n"


def _row(i: int, valid: bool = True) -> str:
    email = f"ann{i}@firm{i}.de" if valid else f"ann{i} at firm{i}"
    return (f"Ann{i},Lee{i},CTO,Firm{i} GmbH,{email},+49 30 555{i:04d},firm{i}.de,Berlin,BE,DE,{100 + i},"
            "Computer Software\n")


def _setup(home: Path, overrides: dict | None = None) -> Path:
    def edit(data: dict) -> None:
        data["sources"] = [
            {"name": "vendor", "type": "file", "kind": "purchased", "path": "{home}/inputs/vendor/*.csv",
             "preset": "apollo"},
            {"name": "other", "type": "file", "kind": "purchased", "path": "{home}/inputs/other/*.csv",
             "preset": "apollo"}]
        data["suppression"]["do_not_contact_files"] = []
        data["suppression"].pop("national_dnc_registry", None)
        data["validation"]["sources"] = overrides or {}

    for folder in ("vendor", "other"):
        (home / "inputs" / folder).mkdir(parents=True, exist_ok=True)
    return write_config(home / "leadpipe.yaml", edit)


def _release(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "release", *args])


def _releases(url: str) -> list:
    with engine_for(url).connect() as conn:
        return conn.execute(select(batch_releases)).all()


@pytest.fixture
def stopped(home: Path) -> Path:
    """Run r1: vendor's list (7 of 10 emails valid) and other's (5 of 10) are both stopped."""
    config = _setup(home)
    (home / "inputs" / "vendor" / "list.csv").write_text(
        HEADER + "".join(_row(i, valid=i < 7) for i in range(10)))
    (home / "inputs" / "other" / "list.csv").write_text(
        HEADER + "".join(_row(100 + i, valid=i < 5) for i in range(10)))
    summary = run_pipeline(load_config(config), "r1")
    assert set(summary["rejected_batches"]) == {"vendor", "other"}
    return config


def test_empty_ambiguous_and_unknown_ids_are_refused(stopped: Path) -> None:
    url = load_config(stopped).warehouse_url
    for args, says in [((), "name the batch to release as SOURCE@RUN_ID"), (("",), "SOURCE@RUN_ID"),
                       (("  ",), "SOURCE@RUN_ID"),
                       (("vendor",), "'vendor' is not a batch id: name one batch exactly as SOURCE@RUN_ID"),
                       (("vendor@r",), "no stopped batch is named 'vendor@r'"),
                       (("VENDOR@r1",), "no stopped batch is named 'VENDOR@r1'"),
                       (("vendor@r1 ",), None)]:
        result = _release(stopped, *args, "--dry-run") if args == ("vendor@r1 ",) else _release(stopped, *args)
        if says is None:  # surrounding blanks are not part of the id: this one is exact
            assert result.exit_code == 1 and "vendor@r1 still fails today's checks" in result.output
            continue
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output
        assert "vendor@r1  (10 rows, stopped)" in result.output  # the stopped batches are listed
        assert "Traceback" not in result.output
    assert _releases(url) == []


def test_a_batch_that_still_fails_says_why_and_stays_stopped(stopped: Path) -> None:
    result = _release(stopped, "vendor@r1")
    assert result.exit_code == 1
    assert "vendor@r1 still fails today's checks and stays stopped (10 rows)" in result.output
    assert "email" in result.output and "Nothing was changed" in result.output
    assert _releases(load_config(stopped).warehouse_url) == []


def test_released_under_a_relaxed_threshold_the_next_run_carries_it_on(home: Path, stopped: Path) -> None:
    _setup(home, {"vendor": {"min_valid_email_share": 0.6}})
    cfg = load_config(stopped)
    dry = _release(stopped, "vendor@r1", "--dry-run")
    assert dry.exit_code == 0 and "Dry run: nothing was changed" in dry.output
    assert _releases(cfg.warehouse_url) == []

    done = _release(stopped, "vendor@r1")
    assert done.exit_code == 0, done.output
    assert "vendor@r1 released: its 10 rows pass today's checks" in done.output
    [rel] = _releases(cfg.warehouse_url)
    assert (rel.source, rel.run_id, rel.rows, rel.carried_run_id) == ("vendor", "r1", 10, None)
    again = _release(stopped, "vendor@r1")
    assert again.exit_code == 2 and "was released already" in again.output
    still = _release(stopped, "other@r1")  # 50% valid: below vendor-only relaxation, other untouched
    assert still.exit_code == 1

    summary = run_pipeline(cfg, "r2")  # summarise raises LedgerMismatch unless outcomes add up
    assert summary["raw_rows"] == 0 and summary["released_rows"] == 10
    assert summary["by_source"]["vendor"]["released"] == 10
    assert "vendor" not in summary["rejected_batches"] and "other" not in summary["rejected_batches"]
    assert summary["funnel"]["pushed"] >= 7 - 1  # the valid leads reach the CRM (a duplicate may merge)
    engine = engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        r2 = dict(conn.execute(select(outcomes.c.outcome, func.count()).where(outcomes.c.run_id == "r2")
                               .group_by(outcomes.c.outcome)).all())
        r1_stops = conn.execute(select(func.count()).select_from(quarantine).where(
            quarantine.c.run_id == "r1", quarantine.c.check_name == "batch stopped")).scalar_one()
    assert sum(r2.values()) == 10 and r2.get("quarantined", 0) == 3  # the 3 bad emails, row by row now
    assert r1_stops == 20  # r1's record of the stop is kept, for both sources
    [rel] = _releases(cfg.warehouse_url)
    assert rel.carried_run_id == "r2"
    assert "released vendor" in CliRunner().invoke(main, ["--config", str(stopped), "funnel", "r2"]).output
    r3 = run_pipeline(cfg, "r3")  # carried on once only
    assert r3["released_rows"] == 0

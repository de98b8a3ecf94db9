"""A grown export is ingested for its new rows only, and unchanged people are not sent to the CRM again.

Form dumps and cumulative vendor files come back with their old rows in them. Rows already stored from the
same source and file name (by content) are skipped and counted as 'already ingested'; a row edited in place
is new; the ledger still adds up (summarise raises LedgerMismatch otherwise).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from leadpipe.pipeline import stages
from leadpipe.pipeline.funnel import format_funnel
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import Config, load_config
from leadpipe.store.warehouse import engine_for, outcomes, push_plans, raw_rows, source_files
from tests.homes import write_config

HEADER = "First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,# Employees,Industry\n"
TITLES = ("CTO", "VP Engineering", "Head of IT", "Chief Executive Officer", "Director of Operations")


def _row(i: int, title: str | None = None) -> str:
    return (f"Ann{i},Lee{i},{title or TITLES[i % len(TITLES)]},Firm{i} GmbH,ann{i}@firm{i}.de,"
            f"+49 30 555{i:04d},firm{i}.de,Berlin,BE,DE,{50 + i % 400},Computer Software\n")


def _setup(home: Path) -> Path:
    def edit(data: dict) -> None:
        data["sources"] = [{"name": "vendor", "type": "file", "kind": "purchased",
                            "path": "{home}/inputs/vendor/*.csv", "preset": "apollo"}]
        data["suppression"]["do_not_contact_files"] = []
        data["suppression"].pop("national_dnc_registry", None)

    (home / "inputs" / "vendor").mkdir(parents=True)
    write_config(home / "leadpipe.yaml", edit)
    return home / "inputs" / "vendor"


def _actions(engine: Engine, run_id: str) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(push_plans.c.action, func.count()).where(push_plans.c.run_id == run_id)
                                 .group_by(push_plans.c.action)).all())


def test_a_grown_file_ingests_only_its_new_rows_and_pushes_no_unchanged_person(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _setup(home)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
    cfg = load_config()
    export = inputs / "form_dump.csv"
    export.write_text(HEADER + "".join(_row(i) for i in range(700)))
    first = run_pipeline(cfg, "r1")
    assert first["raw_rows"] == 700 and not first["source_errors"] and not first["rejected_batches"]
    assert first["funnel"]["pushed"] > 0

    export.write_text(HEADER + "".join(_row(i) for i in range(710)))  # the same export, 10 rows longer
    second = run_pipeline(cfg, "r2")
    engine = engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(select(raw_rows.c.source_row, raw_rows.c.payload).where(raw_rows.c.run_id == "r2")
                            .order_by(raw_rows.c.source_row)).all()
        [(stored, skipped)] = conn.execute(select(source_files.c.rows, source_files.c.rows_already_ingested)
                                           .where(source_files.c.run_id == "r2")).all()
        total = conn.execute(select(func.count()).select_from(raw_rows)).scalar_one()
    assert [r.source_row for r in rows] == list(range(701, 711))
    assert [r.payload["Email"] for r in rows] == [f"ann{i}@firm{i}.de" for i in range(700, 710)]
    assert (stored, skipped, total) == (10, 700, 710)
    assert second["raw_rows"] == 10 and second["already_ingested"] == 700
    assert second["by_source"]["vendor"]["already_ingested"] == 700
    assert second["funnel"]["already_ingested"] == {"vendor": 700}
    assert "skipped  vendor" in format_funnel(second) and "700" in format_funnel(second)
    report = Path(second["outputs"]["report_html"]).read_text(encoding="utf-8")
    assert "already ingested (skipped)</th></tr></thead>" in report  # the by-source table's last column
    [vendor_row] = [r for r in report.split("<tr>") if r.startswith("<td>vendor</td>")]
    assert vendor_row.startswith('<td>vendor</td><td class="n">10</td>')
    assert vendor_row.split("</tr>")[0].endswith('<td class="n">700</td>')  # 700 rows skipped, shown
    # no CRM update for anyone who was there before: only the new people are planned at all
    actions = _actions(engine, "r2")
    assert actions.get("update", 0) == 0, actions
    assert sum(actions.values()) <= 10
    csv = pd.read_csv(Path(second["outputs"]["run_folder"]) / "crm_import.csv", dtype=str)
    assert set(csv["email"]) <= {f"ann{i}@firm{i}.de" for i in range(700, 710)}


def _ingest(cfg: Config, run_id: str) -> pd.DataFrame | None:
    stages.start(stages.RunContext(cfg, run_id))
    out = stages.ingest_source(stages.RunContext(cfg, run_id), "vendor")
    return pd.read_parquet(out) if out else None


def test_an_edited_row_is_new_and_a_moved_row_is_not(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _setup(home)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
    cfg = load_config()
    export = inputs / "dump.csv"
    export.write_text(HEADER + _row(1) + _row(2) + _row(3))
    assert len(_ingest(cfg, "r1")) == 3
    # row 2 edited in place (new title), row 3 moved to the top, row 1 unchanged, one row added
    export.write_text(HEADER + _row(3) + _row(1) + _row(2, title="Chief Revenue Officer") + _row(4))
    df = _ingest(cfg, "r2")
    assert list(df["email"]) == ["ann2@firm2.de", "ann4@firm4.de"]
    assert list(df["job_title"]) == ["Chief Revenue Officer", TITLES[4]]
    assert list(df["source_row"]) == [3, 4]


def test_identical_rows_count_copy_by_copy_and_other_files_are_not_affected(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _setup(home)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
    cfg = load_config()
    (inputs / "a.csv").write_text(HEADER + _row(1) + _row(1))  # the same submission twice
    assert len(_ingest(cfg, "r1")) == 2
    (inputs / "a.csv").write_text(HEADER + _row(1) + _row(1) + _row(1))  # and once more
    (inputs / "b.csv").write_text(HEADER + _row(1) + _row(1) + _row(1) + _row(2))  # another file: rows its own
    shutil.copy(inputs / "b.csv", inputs / "c.csv")  # a byte-identical copy is the same file version
    df = _ingest(cfg, "r2")
    assert sorted(df["source_file"]) == ["a.csv", "b.csv", "b.csv", "b.csv", "b.csv"]
    assert list(df.loc[df["source_file"] == "a.csv", "source_row"]) == [3]


def test_a_file_with_only_known_rows_ingests_nothing_and_says_so(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _setup(home)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
    cfg = load_config()
    (inputs / "a.csv").write_text(HEADER + _row(1) + _row(2))
    run_pipeline(cfg, "r1")
    (inputs / "a.csv").write_text(HEADER + _row(2) + _row(1))  # re-sorted: new bytes, nothing new
    summary = run_pipeline(cfg, "r2")
    assert summary["raw_rows"] == 0 and summary["already_ingested"] == 2
    assert summary["by_source"]["vendor"] == {**summary["by_source"]["vendor"], "raw_rows": 0,
                                              "already_ingested": 2}
    with engine_for(cfg.warehouse_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(outcomes)
                            .where(outcomes.c.run_id == "r2")).scalar_one() == 0


def test_the_same_people_again_in_another_file_are_not_sent_to_the_crm_again(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Push idempotency: rows that merge into people whose data did not change plan no CRM update."""
    inputs = _setup(home)
    monkeypatch.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
    cfg = load_config()
    (inputs / "monday.csv").write_text(HEADER + "".join(_row(i) for i in range(60)))
    first = run_pipeline(cfg, "r1")
    assert first["funnel"]["pushed"] > 0
    (inputs / "tuesday.csv").write_text(HEADER + "".join(_row(i) for i in range(60)) + "\n")  # bought again
    second = run_pipeline(cfg, "r2")
    assert second["raw_rows"] == 60 and second["already_ingested"] == 0  # another file: its rows are new
    actions = _actions(engine_for(cfg.warehouse_url), "r2")
    assert actions.get("create", 0) == 0 and actions.get("update", 0) == 0, actions
    assert second["funnel"]["pushed"] == 0

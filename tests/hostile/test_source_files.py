"""Hostile source files and paths: each either works or fails by name, and never silently.

One pipeline run (module fixture) over a good Apollo list plus one source per hostile case (files in
tests/data/hostile/, paths made here). Every test checks its case's message or result, that the good source
and the other units of a mixed folder still went through, and that the ledger adds up: every raw row of
every source ends in exactly one outcome.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from leadpipe.cli import main
from leadpipe.core.schema import OUTCOMES
from leadpipe.pipeline import stages
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, outcomes, raw_rows, source_files

DATA = Path(__file__).resolve().parents[1] / "data" / "hostile"
APOLLO_HEADER = "First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,# Employees,Industry\n"


def apollo_rows(n: int, start: int = 0) -> str:
    return "".join(f"Ann{i},Lee{i},CTO,Firm{i} GmbH,ann{i}@firm{i}.de,+49 30 555{i:04d},firm{i}.de,Berlin,BE,DE,120,"
                   "Software\n" for i in range(start, start + n))


def source(name: str, path: str, **extra: str) -> dict:
    return {"name": name, "type": "file", "kind": "purchased", "path": path, **extra}


SOURCES = [
    source("good_apollo", "{home}/inputs/apollo/*.csv", preset="apollo"),
    source("missing_file", "{home}/inputs/hostile/no_such_list.csv"),
    source("missing_folder", "{home}/inputs/no_such_folder/"),
    source("missing_glob_folder", "{home}/inputs/typo_folder/*.csv"),
    source("empty_glob", "{home}/inputs/later/vendor_*.csv"),
    source("header_only", "{home}/inputs/hostile/header_only.csv"),
    source("random_bytes", "{home}/inputs/hostile/random_bytes.csv"),
    source("cp850", "{home}/inputs/hostile/excel_msdos_cp850.csv"),
    source("preamble", "{home}/inputs/hostile/vendor_preamble.csv"),
    source("seamless", "{home}/inputs/hostile/seamless_repeated_names.csv", preset="seamless_ai"),
    source("two_phones", "{home}/inputs/hostile/two_phone_columns.csv"),
    source("mixed", "{home}/inputs/mixed/"),  # a good file next to two bad ones
]


@dataclass
class Run:
    home: Path
    summary: dict

    def ingested(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.home / "runs" / "hostile-1" / "ingested" / f"{name}.parquet")

    def stored_files(self) -> set[tuple[str, str]]:
        with engine_for(f"sqlite:///{self.home / 'warehouse.db'}").connect() as conn:
            return {(s, Path(p).name) for s, p in conn.execute(select(source_files.c.source, source_files.c.path))}


def make_home(home: Path) -> Path:
    inputs = home / "inputs"
    for folder in ("apollo", "hostile", "later", "mixed"):
        (inputs / folder).mkdir(parents=True)
    (inputs / "apollo" / "apollo_1.csv").write_text(APOLLO_HEADER + apollo_rows(5))
    for f in DATA.glob("*.csv"):
        shutil.copy(f, inputs / "hostile" / f.name)
    (inputs / "mixed" / "good.csv").write_text(APOLLO_HEADER + apollo_rows(3, start=100))
    shutil.copy(DATA / "header_only.csv", inputs / "mixed" / "empty_export.csv")
    shutil.copy(DATA / "random_bytes.csv", inputs / "mixed" / "garbage.csv")
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "leadpipe.yaml").read_text())
    data["sources"] = SOURCES
    data["suppression"]["do_not_contact_files"] = []
    data["validation"]["sources"] = {s["name"]: {"min_valid_email_share": 0.0} for s in SOURCES}
    (home / "leadpipe.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return home


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    home = make_home(tmp_path_factory.mktemp("hostile") / "home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEADPIPE_HOME", str(home))
        mp.delenv("LEADPIPE_WAREHOUSE_URL", raising=False)
        mp.setenv("LEADPIPE_CONFIG", str(home / "leadpipe.yaml"))
        summary = run_pipeline(load_config(home / "leadpipe.yaml"), "hostile-1")
        yield Run(home, summary)


def assert_others_went_on(run: Run) -> None:
    """The good source and the good file of the mixed folder were ingested; every row has one outcome."""
    rows_in = run.summary["funnel"]["rows_in"]
    assert rows_in["good_apollo"] == 5
    assert rows_in["mixed"] == 3
    for name, counts in run.summary["by_source"].items():
        assert sum(counts[o] for o in OUTCOMES) == counts["raw_rows"], name


def errors(run: Run, name: str) -> list[str]:
    return run.summary["source_errors"].get(name, [])


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(("name", "says"), [
    ("missing_file", "no_such_list.csv' does not exist (no such file or folder); check the path"),
    ("missing_folder", "no_such_folder' does not exist (no such file or folder); check the path"),
    ("missing_glob_folder", "typo_folder' of path"),
])
def test_a_missing_path_is_a_source_error_and_fails_the_run(run: Run, name: str, says: str) -> None:
    [message] = errors(run, name)
    assert says in message
    assert name not in run.summary["funnel"]["rows_in"] or run.summary["funnel"]["rows_in"][name] == 0
    report = (run.home / "runs" / "hostile-1" / "report.html").read_text()
    assert name in report and "does not exist" in report
    with engine_for(f"sqlite:///{run.home / 'warehouse.db'}").connect() as conn:
        from leadpipe.store.warehouse import runs

        assert conn.execute(select(runs.c.status).where(runs.c.run_id == "hostile-1")).scalar_one() == "failed"
    assert_others_went_on(run)


def test_a_glob_matching_nothing_is_a_warning_not_an_error(run: Run) -> None:
    assert errors(run, "empty_glob") == []
    [warning] = run.summary["source_warnings"]["empty_glob"]
    assert "no file matches" in warning and "vendor_*.csv" in warning
    report = (run.home / "runs" / "hostile-1" / "report.html").read_text()
    warnings = report.split("Source warnings (the run did not fail for these):")[1].split("</ul>")[0]
    assert "<b>empty_glob</b>: no file matches" in warnings and "vendor_*.csv" in warnings
    assert "no_such_list.csv" not in warnings  # a missing path is an error, not among the warnings
    assert_others_went_on(run)


def test_leadpipe_run_with_a_typo_in_a_path_exits_1_and_says_which(home: Path) -> None:
    """The issue's first case as the user meets it: `leadpipe run` used to exit 0 with 0 rows and say nothing."""
    inputs = home / "inputs"
    (inputs / "apollo").mkdir(parents=True)
    (inputs / "apollo" / "apollo_1.csv").write_text(APOLLO_HEADER + apollo_rows(4))
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "leadpipe.yaml").read_text())
    data["sources"] = [source("good_apollo", "{home}/inputs/apollo/*.csv", preset="apollo"),
                       source("typo", "{home}/inputs/apolo/leads.csv", preset="apollo"),
                       source("later", "{home}/inputs/apollo/vendor_*.csv", preset="apollo")]
    data["suppression"]["do_not_contact_files"] = []
    (home / "leadpipe.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "run", "--run-id", "typo-1"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "  status: FAILED" in result.output
    [why] = [line for line in result.output.splitlines() if line.startswith("  why: ")]
    assert why.startswith("  why: typo could not be read: ") and "inputs/apolo/leads.csv' does not exist" in why
    assert "no file matches" in result.output and "vendor_*.csv" in result.output  # the glob: a warning line
    summary = json.loads((home / "runs" / "typo-1" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["funnel"]["rows_in"]["good_apollo"] == 4  # the others went on
    assert list(summary["source_warnings"]) == ["later"]


# ------------------------------------------------------------------ files failing as a whole


@pytest.mark.parametrize(("name", "file", "says"), [
    ("header_only", "header_only.csv",
     "header_only.csv: a header row (line 1: First Name, Last Name, Email, Company) but no data rows"),
    ("random_bytes", "random_bytes.csv", "random_bytes.csv: not readable as text: it is not UTF-8"),
])
def test_header_only_and_random_bytes_fail_whole_and_are_not_recorded(run: Run, name: str, file: str,
                                                                       says: str) -> None:
    [message] = errors(run, name)
    assert message.startswith(says)
    mixed = errors(run, "mixed")  # the same bytes inside a folder: named, and the folder's good file went on
    assert any(m.startswith(says.replace(file, "empty_export.csv" if name == "header_only" else "garbage.csv"))
               for m in mixed)
    stored = run.stored_files()
    assert (name, file) not in stored  # not recorded as ingested: the next run tries it again
    assert ("mixed", "good.csv") in stored and ("mixed", "garbage.csv") not in stored
    assert_others_went_on(run)


def test_a_fixed_header_only_file_is_ingested_by_the_next_run_and_bytes_fail_again(home: Path) -> None:
    make_home(home)
    cfg = load_config(home / "leadpipe.yaml")
    stages.start(stages.RunContext(cfg, "r1"))
    assert stages.ingest_source(stages.RunContext(cfg, "r1"), "header_only") is None
    [message] = stages.RunContext(cfg, "r1").notes("source_errors")["header_only"]
    assert "no data rows" in message
    with (home / "inputs" / "hostile" / "header_only.csv").open("a") as fh:
        fh.write("Ann,Lee,ann@lee.de,Lee GmbH\r\n")
    assert stages.ingest_source(stages.RunContext(cfg, "r1"), "random_bytes") is None
    stages.start(stages.RunContext(cfg, "r2"))
    df = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r2"), "header_only"))
    assert list(df["email"]) == ["ann@lee.de"]
    # the unchanged undecodable file is tried again and fails again by name: never skipped as "seen"
    assert stages.ingest_source(stages.RunContext(cfg, "r2"), "random_bytes") is None
    [again] = stages.RunContext(cfg, "r2").notes("source_errors")["random_bytes"]
    assert again.startswith("random_bytes.csv: not readable as text")
    assert list(stages.RunContext(cfg, "r2").notes("source_errors")) == ["random_bytes"]


# ------------------------------------------------------------------ files that must read right


def test_excel_ms_dos_csv_reads_as_cp850(run: Run) -> None:
    assert errors(run, "cp850") == []
    df = run.ingested("cp850")
    assert list(df["first_name"]) == ["Sören", "Jürgen"]
    assert list(df["last_name"]) == ["Jäger", "Weiß"]
    assert list(df["job_title"]) == ["Geschäftsführerin", "Leiter Einkauf"]
    with engine_for(f"sqlite:///{run.home / 'warehouse.db'}").connect() as conn:
        ceo = conn.execute(select(outcomes.c.outcome).join(raw_rows, raw_rows.c.id == outcomes.c.raw_row_id)
                           .where(raw_rows.c.source == "cp850", raw_rows.c.source_row == 1)).scalar_one()
    assert ceo == "pushed"  # read as Latin-1 the managing director's title was not recognised: disqualified
    assert_others_went_on(run)


def test_a_vendor_preamble_is_skipped_and_the_header_found(run: Run) -> None:
    assert errors(run, "preamble") == []
    df = run.ingested("preamble")
    assert list(df["email"]) == ["ana.silva@lisboa-log.pt", "tom.berg@nordictools.se"]
    assert list(df["job_title"]) == ["Head of Operations", "CTO"]
    assert list(df["source_row"]) == [1, 2]
    with engine_for(f"sqlite:///{run.home / 'warehouse.db'}").connect() as conn:
        payload = conn.execute(select(raw_rows.c.payload).where(raw_rows.c.source == "preamble")
                               .order_by(raw_rows.c.id)).scalars().first()
    assert list(payload)[:3] == ["First Name", "Last Name", "Job Title"]
    assert_others_went_on(run)


def test_repeated_name_columns_are_kept_and_read_as_one(run: Run) -> None:
    assert errors(run, "seamless") == []
    df = run.ingested("seamless")
    assert list(df["first_name"]) == ["Jane", "Max"] and list(df["last_name"]) == ["Doe", "Roth"]
    assert list(df["email"]) == ["jane.doe@acme-gmbh.de", "max.roth@rothbau.de"]
    with engine_for(f"sqlite:///{run.home / 'warehouse.db'}").connect() as conn:
        payload = conn.execute(select(raw_rows.c.payload).where(raw_rows.c.source == "seamless")
                               .order_by(raw_rows.c.id)).scalars().first()
    assert payload["First Name"] == payload["First Name (2)"] == "Jane"  # every column kept
    assert_others_went_on(run)


def test_a_second_phone_column_backs_up_an_empty_first(run: Run) -> None:
    assert errors(run, "two_phones") == []
    df = run.ingested("two_phones")
    assert list(df["phone"]) == ["+49 30 5550100", "+49 170 9876543"]
    assert_others_went_on(run)


def test_connectors_check_names_a_missing_path_and_shows_repeated_columns(run: Run,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPIPE_HOME", str(run.home))
    cfg_arg = ["--config", str(run.home / "leadpipe.yaml")]
    runner = CliRunner()
    missing = runner.invoke(main, [*cfg_arg, "connectors", "check", "missing_file"])
    assert missing.exit_code == 1
    assert "no_such_list.csv' does not exist" in missing.output
    assert "no problems found" not in missing.output

    empty = runner.invoke(main, [*cfg_arg, "connectors", "check", "empty_glob"])
    assert empty.exit_code == 0, empty.output
    assert "WARNING: no file matches" in empty.output

    header_only = runner.invoke(main, [*cfg_arg, "connectors", "check", "header_only"])
    assert header_only.exit_code == 1 and "no data rows" in header_only.output

    seamless = runner.invoke(main, [*cfg_arg, "connectors", "check", "seamless"])
    assert seamless.exit_code == 0, seamless.output
    assert "First Name (2) = First Name" in seamless.output
    assert "kept raw only" not in seamless.output or "First Name (2)" not in seamless.output.split("kept raw only")[1]

    phones = runner.invoke(main, [*cfg_arg, "connectors", "check", "two_phones"])
    assert "phone          <- 'Phone (2)'" in phones.output and "when 'Phone' is empty" in phones.output

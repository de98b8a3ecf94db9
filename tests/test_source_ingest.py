"""ingest_source: append-only storage with lineage, atomic units, quarantine, state after store, CLI check."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from leadpipe.cli import main
from leadpipe.pipeline import stages
from leadpipe.pipeline.settings import ConfigError, load_config
from leadpipe.store.warehouse import engine_for, outcomes, quarantine, raw_rows, source_files

HEADER = "First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,# Employees,Industry\n"


def _row(i: int) -> str:
    return f"Ann{i},Lee{i},CTO,Firm{i} GmbH,ann{i}@firm{i}.de,+49 30 555{i:04d},firm{i}.de,Berlin,BE,DE,120,Software\n"


def _setup(home: Path, sources: list[dict] | None = None):  # noqa: ANN202
    inputs = home / "inputs"
    inputs.mkdir(exist_ok=True)
    sources = sources or [{"name": "apollo", "type": "file", "path": "{home}/inputs/apollo*.csv", "preset": "apollo"}]
    (home / "leadpipe.yaml").write_text(yaml.safe_dump({"sources": sources}))
    return load_config(home / "leadpipe.yaml"), inputs


def test_rows_stored_with_lineage_and_output_has_canonical_string_columns(home: Path) -> None:
    cfg, inputs = _setup(home)
    (inputs / "apollo_1.csv").write_text(HEADER + _row(1) + _row(2) + "broken,row\n" + _row(3))
    stages.start(stages.RunContext(cfg, "r1"))
    df = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r1"), "apollo"))
    assert list(df["email"]) == ["ann1@firm1.de", "ann2@firm2.de", "ann3@firm3.de"]
    assert list(df["source_row"]) == [1, 2, 4]
    assert set(df["source_file"]) == {"apollo_1.csv"} and set(df["source_kind"]) == {"purchased"}
    for col in ("email", "first_name", "employees", "phone"):
        assert pd.api.types.is_string_dtype(df[col]), col
    engine = engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        stored = conn.execute(select(raw_rows).order_by(raw_rows.c.id)).all()
        [q] = conn.execute(select(quarantine)).all()
        [o] = conn.execute(select(outcomes)).all()
    assert [r.source_row for r in stored] == [1, 2, 3, 4]
    assert stored[0].payload["Corporate Phone"] == "+49 30 5550001"
    assert (q.source_file, q.source_row, q.raw_row_id) == ("apollo_1.csv", 3, stored[2].id)
    assert q.reason == "apollo_1.csv line 4: row has 2 fields but the header has 12"
    assert o.outcome == "quarantined" and o.raw_row_id == stored[2].id
    assert set(df["raw_row_id"]) == {stored[0].id, stored[1].id, stored[3].id}


def test_rerun_ingests_nothing_and_a_changed_file_comes_again(home: Path) -> None:
    cfg, inputs = _setup(home)
    f = inputs / "apollo_1.csv"
    f.write_text(HEADER + _row(1))
    stages.start(stages.RunContext(cfg, "r1"))
    assert stages.ingest_source(stages.RunContext(cfg, "r1"), "apollo") is not None
    stages.start(stages.RunContext(cfg, "r2"))
    assert stages.ingest_source(stages.RunContext(cfg, "r2"), "apollo") is None
    f.write_text(HEADER + _row(1) + _row(2))
    stages.start(stages.RunContext(cfg, "r3"))
    df = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r3"), "apollo"))
    assert list(df["email"]) == ["ann2@firm2.de"]  # the new version's new row (row 1 was stored by r1)
    with engine_for(cfg.warehouse_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(source_files)).scalar_one() == 2


def test_a_unit_failing_midway_stores_nothing_and_is_read_again(home: Path) -> None:
    cfg, inputs = _setup(home, [{"name": "apollo", "type": "file", "path": "{home}/inputs/apollo*.csv",
                                 "preset": "apollo", "encoding": "utf-8"}])
    good = HEADER + "".join(_row(i) for i in range(6000))
    (inputs / "apollo_big.csv").write_bytes(good.encode() + "Zoë,Müller,CEO,X,z@x.de,,,,,,,\n".encode("cp1252"))
    (inputs / "apollo_ok.csv").write_text(HEADER + _row(7))
    stages.start(stages.RunContext(cfg, "r1"))
    df = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r1"), "apollo"))
    assert list(df["source_file"].unique()) == ["apollo_ok.csv"]  # the other unit went on
    [msg] = stages.RunContext(cfg, "r1").notes("source_errors")["apollo"]
    assert msg.startswith("apollo_big.csv: not readable as utf-8")
    with engine_for(cfg.warehouse_url).connect() as conn:
        files = set(conn.execute(select(raw_rows.c.source_file).distinct()).scalars())
        seen = set(conn.execute(select(source_files.c.path)).scalars())
    assert files == {"apollo_ok.csv"}  # none of the 6000 rows read before the failure were kept
    assert not any(p.endswith("apollo_big.csv") for p in seen)  # so the next run tries it again


def test_a_retried_task_rebuilds_its_output_from_what_it_stored(home: Path) -> None:
    cfg, inputs = _setup(home)
    (inputs / "apollo_1.csv").write_text(HEADER + _row(1) + _row(2))
    stages.start(stages.RunContext(cfg, "r1"))
    first = stages.ingest_source(stages.RunContext(cfg, "r1"), "apollo")
    Path(first).unlink()  # the first try died after storing
    again = pd.read_parquet(stages.ingest_source(stages.RunContext(cfg, "r1"), "apollo"))
    assert list(again["email"]) == ["ann1@firm1.de", "ann2@firm2.de"]


def test_a_file_without_any_lead_columns_is_refused_by_name(home: Path) -> None:
    cfg, inputs = _setup(home)
    (inputs / "apollo_x.csv").write_text("Colour,Size\nred,XL\n")
    stages.start(stages.RunContext(cfg, "r1"))
    assert stages.ingest_source(stages.RunContext(cfg, "r1"), "apollo") is None
    [msg] = stages.RunContext(cfg, "r1").notes("source_errors")["apollo"]
    assert msg.startswith("apollo_x.csv: no column for any of email") and "Colour, Size" in msg


def test_the_ledger_adds_up_with_quarantined_rows(demo_home: Path) -> None:
    from leadpipe.pipeline.run import run_pipeline

    inputs = demo_home / "inputs" / "demo"
    (inputs / "vendor_apollo_extra.csv").write_text(HEADER + _row(1) + "short,row\n" + _row(2))
    (inputs / "vendor_zoominfo_empty.csv").write_text("")
    summary = run_pipeline(load_config(), "run-ledger")  # summarise raises LedgerMismatch if it does not add up
    counts = summary["by_source"]["vendor_apollo"]
    assert counts["quarantined"] >= 1
    assert sum(counts[o] for o in ("pushed", "merged", "suppressed", "disqualified", "quarantined")) \
        == counts["raw_rows"]
    assert summary["source_errors"]["vendor_zoominfo"] == ["vendor_zoominfo_empty.csv: the file is empty"]


def test_config_typo_in_type_names_the_key_and_allowed_values(home: Path) -> None:
    (home / "bad.yaml").write_text(yaml.safe_dump({"sources": [{"name": "x", "type": "fiel", "path": "a.csv"}]}))
    with pytest.raises(ConfigError) as err:
        load_config(home / "bad.yaml")
    assert "sources.0.type: 'fiel' is not a connector type; allowed: file, forms, sql" in str(err.value)
    (home / "bad2.yaml").write_text(yaml.safe_dump({"sources": [{"name": "x", "type": "sql", "connection": "c"}]}))
    with pytest.raises(ConfigError, match="a sql source needs exactly one of 'table' or 'query'"):
        load_config(home / "bad2.yaml")


def test_cli_lists_connectors_and_checks_a_source_without_writing(home: Path) -> None:
    _, inputs = _setup(home, [
        {"name": "apollo", "type": "file", "path": "{home}/inputs/apollo*.csv", "preset": "apollo"},
        {"name": "odd", "type": "file", "path": "{home}/inputs/odd*.csv"},
    ])
    (inputs / "apollo_1.csv").write_text(HEADER + _row(1) + "bad\n")
    (inputs / "odd_1.csv").write_text("E-mail Address;Vorname;Favourite Colour\na@x.de;Ann;red\n")
    runner = CliRunner()
    cfg_arg = ["--config", str(home / "leadpipe.yaml")]
    listed = runner.invoke(main, [*cfg_arg, "connectors", "list"])
    assert listed.exit_code == 0
    assert "type file" in listed.output and "type sql" in listed.output and "type forms" in listed.output
    assert "source apollo" in listed.output

    odd = runner.invoke(main, [*cfg_arg, "connectors", "check", "odd"])
    assert odd.exit_code == 0, odd.output
    assert "email          <- 'E-mail Address'" in odd.output and "first_name" in odd.output
    assert "kept raw only: Favourite Colour" in odd.output

    bad = runner.invoke(main, [*cfg_arg, "connectors", "check", "apollo"])
    assert bad.exit_code == 1
    assert "apollo_1.csv line 3: row has 1 fields but the header has 12" in bad.output
    assert not (home / "warehouse.db").exists()  # a check stores nothing

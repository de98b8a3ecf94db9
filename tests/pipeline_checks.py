"""Assertions shared by the in-process and the Airflow end-to-end tests, computed from the inputs themselves."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

from sqlalchemy import func, select

from leadpipe.core.schema import OUTCOMES
from leadpipe.store.warehouse import engine_for, membership, prospects, raw_rows

DEMO_FILES = {"vendor_apollo": "vendor_apollo.csv", "vendor_zoominfo": "vendor_zoominfo.csv",
              "web_forms": "web_forms.csv"}


def count_data_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def assert_ledger_adds_up(summary: dict) -> None:
    assert sum(summary["outcomes"][o] for o in OUTCOMES) == summary["raw_rows"]
    for source, counts in summary["by_source"].items():
        assert sum(counts[o] for o in OUTCOMES) == counts["raw_rows"], source


def assert_demo_funnel(summary: dict, home: Path) -> None:
    """The first run over the demo inputs: every row counted, pushed == what the sink holds."""
    inputs = home / "inputs" / "demo"
    expected_in = {src: count_data_rows(inputs / name) for src, name in DEMO_FILES.items()}
    f = summary["funnel"]
    assert f["rows_in"] == expected_in
    assert summary["raw_rows"] == sum(expected_in.values())
    assert_ledger_adds_up(summary)
    assert summary["source_errors"] == {} and summary["rejected_batches"] == {}
    assert f["valid"] == summary["raw_rows"] - summary["outcomes"]["quarantined"]
    assert 0 < f["pushed"] <= f["qualified"] < f["unique_people"] < f["valid"]
    assert summary["outcomes"]["merged"] == f["valid"] - f["unique_people"]

    engine = engine_for(f"sqlite:///{home / 'warehouse.db'}")
    with engine.connect() as conn:
        emails = [r[0] for r in conn.execute(select(prospects.c.email))]
        assert conn.execute(select(func.count()).select_from(raw_rows)).scalar() == summary["raw_rows"]
    assert len(emails) == f["pushed"] == len(set(emails))
    with open(summary["outputs"]["crm_import_csv"], encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == f["pushed"]
    with (inputs / "do_not_contact.csv").open(encoding="utf-8") as fh:
        blocked = {r["email"] for r in csv.DictReader(fh)}
    assert blocked and not blocked & {e.lower() for e in emails}
    assert summary["outcomes"]["suppressed"] >= len(blocked)
    assert json.loads((Path(summary["outputs"]["run_folder"]) / "summary.json").read_text())["raw_rows"] \
        == summary["raw_rows"]


def dedupe_quality(home: Path) -> tuple[float, float]:
    """Pairwise precision and recall of the warehouse's membership against the generator's ground truth."""
    with (home / "inputs" / "demo" / "ground_truth.csv").open(encoding="utf-8") as fh:
        truth = {(r["file"], int(r["row"])): r["person"] for r in csv.DictReader(fh)}
    engine = engine_for(f"sqlite:///{home / 'warehouse.db'}")
    with engine.connect() as conn:
        found = {(f, n): p for f, n, p in conn.execute(
            select(raw_rows.c.source_file, raw_rows.c.source_row, membership.c.person_id)
            .join(membership, membership.c.raw_row_id == raw_rows.c.id))}
    keys = sorted(found)
    pairs_found = {(a, b) for a, b in itertools.combinations(keys, 2) if found[a] == found[b]}
    pairs_true = {(a, b) for a, b in itertools.combinations(keys, 2) if truth[a] == truth[b]}
    tp = len(pairs_found & pairs_true)
    return tp / max(len(pairs_found), 1), tp / max(len(pairs_true), 1)

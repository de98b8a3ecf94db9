"""The whole pipeline in-process (`leadpipe run`): funnel, ledger, idempotent re-runs, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from leadpipe.cli import main
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, membership, people, quarantine
from tests.homes import demo_home_at, write_config
from tests.pipeline_checks import assert_demo_funnel, assert_ledger_adds_up, dedupe_quality


def test_demo_run_funnel_and_second_run_pushes_nothing(demo_home: Path) -> None:
    cfg = load_config()
    first = run_pipeline(cfg, "run-1")
    assert_demo_funnel(first, demo_home)
    precision, recall = dedupe_quality(demo_home)
    assert precision >= 0.95 and recall >= 0.8, (precision, recall)

    second = run_pipeline(cfg, "run-2")
    assert second["raw_rows"] == 0 and second["funnel"]["pushed"] == 0


def test_a_new_list_updates_known_people_and_adds_new_ones(demo_home: Path) -> None:
    cfg = load_config()
    run_pipeline(cfg, "run-1")
    with (demo_home / "inputs" / "demo" / "do_not_contact.csv").open(encoding="utf-8") as fh:
        blocked = next(csv.DictReader(fh))["email"]
    extra = demo_home / "inputs" / "demo" / "vendor_apollo_2.csv"
    header = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City",
              "State", "Country", "# Employees", "Industry"]
    with extra.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow(["Greta", "Lindqvist", "VP Sales", "Nordlicht Software GmbH", "greta.lindqvist@nordlicht.de",
                    "+49 30 901820", "https://nordlicht.de", "Berlin", "Berlin", "Germany", "250", "Software"])
        w.writerow(["Re", "Bought", "CEO", "Somewhere GmbH", blocked.upper(), "", "", "", "", "DE", "300", ""])
    summary = run_pipeline(cfg, "run-2")
    assert summary["raw_rows"] == 2
    assert_ledger_adds_up(summary)
    assert summary["funnel"]["pushed"] == 1  # the new VP; the re-bought unsubscribed person stays out
    assert summary["by_source"]["vendor_apollo"]["suppressed"] == 1

    result = CliRunner().invoke(main, ["explain", blocked])
    assert result.exit_code == 0, result.output
    assert "suppressed - email on do-not-contact list do_not_contact.csv" in result.output
    assert "vendor_apollo: row 3 of vendor_apollo_2.csv" in result.output  # data row 2 under the header row


def test_broken_rows_are_quarantined_with_file_line_and_check(home: Path) -> None:
    inputs = home / "inputs" / "demo"
    inputs.mkdir(parents=True)
    (inputs / "do_not_contact.csv").write_text("email\n", encoding="utf-8")
    rows = ["First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,# Employees,Industry"]
    for i in range(20):
        rows.append(f"Person{i},Good,CTO,Acme GmbH,person{i}@acme-gmbh.de,,acme-gmbh.de,Berlin,,DE,100,Software")
    rows.append("Short,Row,CTO")  # data row 21, file line 22
    rows.append("Test,Test,CTO,Acme GmbH,test.test@acme-gmbh.de,,,,,DE,100,")  # placeholder name, row 22
    (inputs / "vendor_apollo_broken.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = run_pipeline(load_config(), "run-broken")
    assert summary["raw_rows"] == 22
    assert_ledger_adds_up(summary)
    assert summary["outcomes"]["quarantined"] == 2
    with engine_for(load_config().warehouse_url).connect() as conn:
        q = {r.source_row: r for r in conn.execute(select(quarantine))}
    assert q[21].check_name == "ingest.parse"
    assert "vendor_apollo_broken.csv line 22: row has 3 fields but the header has 12" in q[21].reason
    assert q[22].source_file == "vendor_apollo_broken.csv"
    assert q[22].reason == ("the first name 'Test' in row 23 of vendor_apollo_broken.csv is a placeholder, not a real "
                            "name; the last name 'Test' in row 23 of vendor_apollo_broken.csv is a placeholder, not a "
                            "real name")


def test_a_list_with_30_percent_bad_emails_stops_before_push_others_go_on(demo_home: Path) -> None:
    rows = ["First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,# Employees,Industry"]
    for i in range(70):
        rows.append(f"Ann{i},Bauer,CEO,Bauer AG,ann{i}@bauer-ag.de,,,,,DE,100,")
    for i in range(30):
        rows.append(f"Bob{i},Bauer,CEO,Bauer AG,not-an-email-{i},,,,,DE,100,")
    (demo_home / "inputs" / "demo" / "vendor_apollo.csv").unlink()  # this source's batch is the bad list alone
    (demo_home / "inputs" / "demo" / "vendor_apollo_bad.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = run_pipeline(load_config(), "run-bad")
    assert_ledger_adds_up(summary)
    [why] = summary["rejected_batches"]["vendor_apollo"]
    assert "email" in why and "70" in why  # names the check and the observed share
    assert summary["by_source"]["vendor_apollo"]["quarantined"] == summary["by_source"]["vendor_apollo"]["raw_rows"]
    assert summary["by_source"]["vendor_apollo"]["pushed"] == 0
    assert summary["by_source"]["vendor_zoominfo"]["pushed"] > 0


def test_results_do_not_depend_on_the_order_sources_are_ingested(demo_inputs: Path, tmp_path: Path,
                                                                 monkeypatch) -> None:  # noqa: ANN001
    """Mapped ingest tasks on a cluster commit in any order: people and outcomes must not change with it."""
    from leadpipe.store.warehouse import outcomes, raw_rows

    def run(order: str) -> dict:
        demo_home_at(tmp_path / order, demo_inputs, monkeypatch)

        def edit(data: dict) -> None:
            if order == "reversed":
                data["sources"] = list(reversed(data["sources"]))

        cfg = load_config(write_config(tmp_path / f"{order}.yaml", edit))
        run_pipeline(cfg, "run-1")
        with engine_for(cfg.warehouse_url).connect() as conn:
            return {(r.source, r.source_file, r.source_row): (r.outcome, r.person_id) for r in conn.execute(
                select(raw_rows.c.source, raw_rows.c.source_file, raw_rows.c.source_row, outcomes.c.outcome,
                       outcomes.c.person_id).join(outcomes, outcomes.c.raw_row_id == raw_rows.c.id))}

    forward, backward = run("forward"), run("reversed")
    assert len(forward) > 500
    differ = {k: (forward[k], backward.get(k)) for k in forward if forward[k] != backward.get(k)}
    assert not differ, f"{len(differ)} rows differ, e.g. {list(differ.items())[:3]}"


def test_a_known_person_bought_again_joins_their_person_on_sqlite_and_postgresql(
        demo_home: Path, warehouse_url: str, monkeypatch) -> None:
    """Re-buying someone already in the warehouse updates their golden record in place.

    PostgreSQL enforces the membership -> people foreign key that SQLite does not: rewriting a known
    person must not orphan their earlier rows' membership.
    """
    monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", warehouse_url)
    cfg = load_config()
    run_pipeline(cfg, "run-1")
    apollo = demo_home / "inputs" / "demo" / "vendor_apollo.csv"
    with apollo.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        known = next(r for r in reader if "@" in (r.get("Email") or ""))
    with engine_for(cfg.warehouse_url).connect() as conn:
        before = conn.execute(select(people.c.person_id).where(people.c.email == known["Email"].strip().lower())).all()
    assert len(before) == 1
    again = dict(known, Title="Chief Revenue Officer")
    with (demo_home / "inputs" / "demo" / "vendor_apollo_again.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerow(again)

    summary = run_pipeline(cfg, "run-2")

    assert summary["raw_rows"] == 1
    assert_ledger_adds_up(summary)
    with engine_for(cfg.warehouse_url).connect() as conn:
        after = conn.execute(select(people.c.person_id).where(people.c.email == known["Email"].strip().lower())).all()
        rows = conn.execute(select(membership.c.raw_row_id).where(membership.c.person_id == before[0][0])).all()
    assert after == before  # same person id, no second person
    assert len(rows) >= 2  # the first purchase and this one both belong to them

"""Suppression, erasure, scoring and routing through the real pipeline (local CRM sink, real warehouse).

Small hand-made purchased lists so every person's fate is known: a control person proves that the same
profile without a block does reach the CRM, so the "never reaches a sink" checks can fail.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import MetaData, Text, cast, func, select

from leadpipe.cli import main
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, outcomes, people, prospects, raw_rows
from tests.homes import one_purchased_list, write_config
from tests.pipeline_checks import assert_ledger_adds_up

HEADER = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
          "Country", "# Employees", "Industry"]
# (first, last, title, company, email, phone, website, state, country, employees)
CONTROL = ("Harriet", "Vandermolen", "CEO", "Lakeshore Analytics Inc", "harriet@lakeshore-analytics.com",
           "+1 312 555 0142", "https://lakeshore-analytics.com", "IL", "United States", "400")
BLOCKED_EMAIL = ("Ignatius", "Pemberton", "Chief Revenue Officer", "Ridgeway Logistics", "ignatius@ridgeway-log.com",
                 "+1 312 555 0143", "https://ridgeway-log.com", "IL", "United States", "300")
BLOCKED_DOMAIN = ("Cordelia", "Ashworth", "VP Sales", "Rival Software Corp", "cordelia@rivalsoft.com",
                  "+1 312 555 0144", "https://rivalsoft.com", "IL", "United States", "900")
BLOCKED_PHONE = ("Bartholomew", "Quill", "Founder", "Quill Ventures", "bart@quillventures.com",
                 "+1 312 555 0145", "https://quillventures.com", "IL", "United States", "120")
DNC_REGISTERED = ("Rosalind", "Fairweather", "VP Marketing", "Fairweather Media", "rosalind@fairweather-media.com",
                  "+1 212 555 0177", "https://fairweather-media.com", "NY", "United States", "250")
FORGET_ME = ("Zebulon", "Quixotely", "Chief Technology Officer", "Orchard Robotics", "zebulon@orchard-robotics.com",
             "+1 415 555 0190", "https://orchard-robotics.com", "CA", "United States", "600")
PEOPLE = [CONTROL, BLOCKED_EMAIL, BLOCKED_DOMAIN, BLOCKED_PHONE, DNC_REGISTERED, FORGET_ME]


def _write_list(path: Path, rows: list[tuple], shout: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for first, last, title, company, email, phone, site, state, country, emp in rows:
            if shout:  # a re-bought list writes things differently
                email, phone = email.upper(), phone.replace("+1 ", "(").replace(" 555", ") 555")
            w.writerow([first, last, title, company, email, phone, site, "", state, country, emp, "Software"])


@pytest.fixture
def setup(home: Path) -> Path:
    """Config: one purchased-list source, our do-not-contact file and a fresh DNC registry extract."""
    inputs = home / "inputs" / "i7"
    inputs.mkdir(parents=True)
    (inputs / "dnc.csv").write_text(
        "email,domain,phone,list_reason\n"
        "ignatius@ridgeway-log.com,,,unsubscribed\n"
        ",rivalsoft.com,,competitor\n"
        ",,+1 312-555-0145,asked not to be called\n", encoding="utf-8")
    (inputs / "registry.txt").write_text("212,5550177\n2125550100\n", encoding="utf-8")
    return write_config(home / "leadpipe.yaml", lambda data: one_purchased_list(data, "i7", registry_age_days=3))


def _sink_emails(cfg, run_id: str) -> set[str]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        in_crm = {r[0].lower() for r in conn.execute(select(prospects.c.email))}
    crm_csv = cfg.runs_dir / run_id / "crm_import.csv"
    if crm_csv.exists():
        with crm_csv.open(encoding="utf-8") as fh:
            in_crm |= {r["email"].lower() for r in csv.DictReader(fh)}
    return in_crm


def _all_text(url: str) -> str:
    """Every value of every table in the warehouse, lower-cased, JSON unescaped: what a DPO would grep."""
    engine = engine_for(url)
    meta = MetaData()
    meta.reflect(bind=engine)
    chunks = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(*[cast(c, Text) for c in table.columns])):
                for value in row:
                    if value is not None:
                        text = str(value)
                        try:
                            text = json.dumps(json.loads(text), ensure_ascii=False)
                        except ValueError:
                            pass
                        chunks.append(text.lower())
    return "\n".join(chunks)


def test_suppressed_email_domain_and_phone_never_reach_the_crm_even_when_rebought(setup: Path) -> None:
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_1.csv", PEOPLE)
    first = run_pipeline(cfg, "run-1")
    assert_ledger_adds_up(first)
    in_crm = _sink_emails(cfg, "run-1")
    assert CONTROL[4] in in_crm and DNC_REGISTERED[4] in in_crm  # the same profile without a block gets through
    for blocked in (BLOCKED_EMAIL, BLOCKED_DOMAIN, BLOCKED_PHONE):
        assert blocked[4] not in in_crm
    engine = engine_for(cfg.warehouse_url)
    with engine.connect() as conn:
        reasons = sorted(r[0] for r in conn.execute(select(outcomes.c.reason).where(
            outcomes.c.run_id == "run-1", outcomes.c.outcome == "suppressed")))
    assert reasons == ["domain rivalsoft.com on do-not-contact list dnc.csv",
                       "email on do-not-contact list dnc.csv", "phone on do-not-contact list dnc.csv"]

    # A later purchased list re-sells the same people, spelled differently: they stay out.
    _write_list(cfg.home / "inputs" / "i7" / "list_2.csv", [BLOCKED_EMAIL, BLOCKED_DOMAIN, BLOCKED_PHONE], shout=True)
    second = run_pipeline(cfg, "run-2")
    assert_ledger_adds_up(second)
    assert second["outcomes"]["suppressed"] == 3 and second["outcomes"]["pushed"] == 0
    for blocked in (BLOCKED_EMAIL, BLOCKED_DOMAIN, BLOCKED_PHONE):
        assert blocked[4] not in _sink_emails(cfg, "run-2")


def test_a_dnc_registered_or_stale_phone_is_withheld_but_the_person_is_pushed(setup: Path) -> None:
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_1.csv", [CONTROL, DNC_REGISTERED])
    run_pipeline(cfg, "run-1")
    with (cfg.runs_dir / "run-1" / "crm_import.csv").open(encoding="utf-8") as fh:
        phones = {r["email"]: r["phone"].lstrip("'") for r in csv.DictReader(fh)}  # "'+1..": formula-safe cell
    assert phones[CONTROL[4]] == "+13125550142"
    assert phones[DNC_REGISTERED[4]] == ""  # on the national registry: not for calling

    data = yaml.safe_load(setup.read_text(encoding="utf-8"))
    data["suppression"]["national_dnc_registry"]["downloaded_on"] = (
        datetime.now(UTC).date() - timedelta(days=32)).isoformat()
    setup.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_2.csv", [CONTROL])  # re-bought: re-checked with a stale scrub
    run_pipeline(cfg, "run-2")
    with engine_for(cfg.warehouse_url).connect() as conn:
        phone, compliance = conn.execute(select(prospects.c.phone, people.c.compliance)
                                         .join(people, people.c.person_id == prospects.c.person_id)
                                         .where(prospects.c.email == CONTROL[4])).one()
    assert phone is None
    assert compliance["dnc_status"] == "stale" and compliance["phone_callable"] is False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_forget_erases_everything_reports_crm_records_and_blocks_reingest(
        setup: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "postgresql":
        monkeypatch.setenv("LEADPIPE_WAREHOUSE_URL", request.getfixturevalue("pg_url"))
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_1.csv", [CONTROL, FORGET_ME])
    run_pipeline(cfg, "run-1")
    email, first, last = FORGET_ME[4], FORGET_ME[0].lower(), FORGET_ME[1].lower()
    assert email in _sink_emails(cfg, "run-1")
    before = _all_text(cfg.warehouse_url)
    assert email in before and last in before  # the scan does find them while they are there
    with engine_for(cfg.warehouse_url).connect() as conn:
        crm_id = conn.execute(select(func.min(prospects.c.person_id)).where(prospects.c.email == email)).scalar()

    result = CliRunner().invoke(main, ["--config", str(setup), "forget", email.upper()])
    assert result.exit_code == 0, result.output
    assert f"local: {crm_id}" in result.output  # the CRM record to delete
    after = _all_text(cfg.warehouse_url)
    for needle in (email, first, last, "415 555 0190", "+14155550190"):
        assert needle not in after, needle
    assert CONTROL[4] in after  # only this person was erased
    run_files = sorted((cfg.runs_dir / "run-1").glob("**/*.parquet")) + [cfg.runs_dir / "run-1" / "crm_import.csv"]
    for path in run_files:  # the run folder's copies go too
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        assert not frame.astype(str).apply(lambda col: col.str.lower().str.contains(email, regex=False)).any().any()

    # The same person comes back in a later purchased list: suppressed, not pushed, and erased again.
    _write_list(cfg.home / "inputs" / "i7" / "list_2.csv", [FORGET_ME], shout=True)
    again = run_pipeline(cfg, "run-2")
    assert_ledger_adds_up(again)
    assert again["outcomes"]["suppressed"] == 1 and again["outcomes"]["pushed"] == 0
    assert email not in _sink_emails(cfg, "run-2")
    after_rebuy = _all_text(cfg.warehouse_url)
    for needle in (email, first, last):
        assert needle not in after_rebuy, needle
    with engine_for(cfg.warehouse_url).connect() as conn:
        reason = conn.execute(select(outcomes.c.reason).where(outcomes.c.run_id == "run-2")).scalar()
        payloads = [r[0] for r in conn.execute(select(raw_rows.c.payload).where(raw_rows.c.run_id == "run-2"))]
    assert reason.startswith("erased on request")
    assert payloads and all("erased" in p for p in payloads)


def test_a_score_change_in_config_changes_tiers_on_the_next_run(setup: Path) -> None:
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_1.csv", [CONTROL])
    run_pipeline(cfg, "run-1")
    with engine_for(cfg.warehouse_url).connect() as conn:
        tier_1 = conn.execute(select(prospects.c.tier).where(prospects.c.email == CONTROL[4])).scalar()
    # CEO 30 + North America 15 + Economic Buyer 10 + size 5 + work email 10 + phone 5 + title/company 4 = 79
    assert tier_1 == "A"  # A starts at 75 in the shipped config

    data = yaml.safe_load(setup.read_text(encoding="utf-8"))
    data["scoring"]["market_points"]["north_america"] = 5  # sales-ops now values North America less
    setup.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_2.csv", [CONTROL], shout=True)  # the person is bought again
    summary = run_pipeline(cfg, "run-2")
    with engine_for(cfg.warehouse_url).connect() as conn:
        tier_2, score_2, breakdown = conn.execute(
            select(prospects.c.tier, prospects.c.score, people.c.score_breakdown)
            .join(people, people.c.person_id == prospects.c.person_id)
            .where(prospects.c.email == CONTROL[4])).one()
    assert (score_2, tier_2) == (69, "B")
    assert {"rule": "market north_america", "points": 5, "kind": "fit"} in breakdown["parts"]
    assert summary["outcomes"]["pushed"] == 1  # the tier change is an update for the CRM


def test_explain_shows_the_score_breakdown_and_the_suppression_reason(setup: Path) -> None:
    cfg = load_config(setup)
    _write_list(cfg.home / "inputs" / "i7" / "list_1.csv", [CONTROL, BLOCKED_DOMAIN])
    run_pipeline(cfg, "run-1")
    runner = CliRunner()
    shown = runner.invoke(main, ["--config", str(setup), "explain", BLOCKED_DOMAIN[4]])
    assert shown.exit_code == 0, shown.output
    assert "suppressed: domain rivalsoft.com on do-not-contact list dnc.csv" in shown.output
    assert "fit    seniority vp" in shown.output
    ok = runner.invoke(main, ["--config", str(setup), "explain", CONTROL[4]])
    assert "suppressed: no" in ok.output
    assert "persona: Economic Buyer" in ok.output
    assert "owner: james.carter@example.com" in ok.output  # IL is not US West: North America team
    assert "fit    seniority c_level" in ok.output and "+   30" in ok.output

"""Consent evidence names the row that carries the consent (a web form submission), never the person's latest
row; a re-bought purchased list without consent data changes neither the evidence nor the CRM plan.

Expected rows are read from the demo's own web_forms.csv, not from the pipeline's output.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from sqlalchemy import select

from leadpipe.cli import main
from leadpipe.pipeline.context import run_folder
from leadpipe.pipeline.push_preview import preview_push
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import Config, load_config
from leadpipe.store.warehouse import engine_for, people, prospects

YES = {"yes", "true", "1", "y"}


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _consent_rows(inputs: Path) -> dict[str, int]:
    """email -> the data row (1-based) of the one web form submission in which that person gave consent."""
    rows = [(n, r) for n, r in enumerate(_csv(inputs / "web_forms.csv"), start=1)]
    seen: dict[str, list[int]] = {}
    for n, r in rows:
        seen.setdefault(r["email"].strip().lower(), []).append(n)
    return {r["email"].strip().lower(): n for n, r in rows
            if r["consent_email"].strip().lower() in YES and len(seen[r["email"].strip().lower()]) == 1}


def _compliance(cfg: Config) -> dict[str, tuple]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        return {r.email: ((r.compliance or {}).get("lawful_basis"), (r.compliance or {}).get("consent_evidence"))
                for r in conn.execute(select(people.c.email, people.c.compliance))}


def test_evidence_names_the_web_form_row_and_survives_a_rebought_list(demo_home: Path) -> None:
    cfg = load_config()
    inputs = demo_home / "inputs" / "demo"
    run_pipeline(cfg, "run-1")
    consent_at = _consent_rows(inputs)
    with engine_for(cfg.warehouse_url).connect() as conn:
        found = conn.execute(select(people.c.email, people.c.lead_source, people.c.compliance)
                             .where(people.c.email.in_(sorted(consent_at)))).all()
    # people whose newest row is a purchased list but whose consent came from a form: the case that went wrong
    bought_later = {r.email: r for r in found if r.lead_source != "web_forms"}
    assert len(bought_later) >= 3, "the demo should have form consents of people bought again later"
    for email, r in bought_later.items():
        assert r.compliance["lawful_basis"] == "consent", email
        assert f"web_forms (web_forms.csv row {consent_at[email]})" in r.compliance["consent_evidence"], email
        assert r.lead_source not in r.compliance["consent_evidence"]
    email = min(bought_later)
    shown = CliRunner().invoke(main, ["explain", email])
    assert f"consent (form web_forms (web_forms.csv row {consent_at[email]})" in shown.output, shown.output

    # The same people sold again by their vendor, in a list with no consent columns at all.
    before, crm_before = _compliance(cfg), _crm_fields(cfg)
    for vendor, email_col in (("vendor_apollo", "Email"), ("vendor_zoominfo", "Email Address")):
        rows = [r for r in _csv(inputs / f"{vendor}.csv") if r[email_col].strip().lower() in bought_later]
        assert not any("consent" in h.lower() for h in (rows[0] if rows else {}))
        with (inputs / f"{vendor}_rebought.csv").open("w", encoding="utf-8", newline="") as fh:
            if rows:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
    summary = run_pipeline(cfg, "run-2")
    assert summary["raw_rows"] >= len(bought_later)
    assert _compliance(cfg) == before
    assert _crm_fields(cfg) == crm_before
    plan = preview_push(cfg, "run-2").plan
    mine = [p for p in plan if (p.record.get("email") or "") in bought_later]
    assert mine and all(p.action == "skip" for p in mine), [(p.record.get("email"), p.action) for p in mine]
    pushed = pd.read_parquet(run_folder(cfg, "run-2") / "prospects.parquet")
    again = pushed[pushed["email"].isin(list(bought_later))]
    assert set(again["lawful_basis"]) == {"consent"}
    assert all("web_forms.csv row" in e for e in again["consent_evidence"])


def _crm_fields(cfg: Config) -> dict[str, tuple]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        return {r.email: (r.lawful_basis, r.consent_evidence) for r in
                conn.execute(select(prospects.c.email, prospects.c.lawful_basis, prospects.c.consent_evidence))}

"""Channel readiness through the real pipeline: stored on the person, sent to the local sink (prospects table and
CRM-import CSV), shown by `leadpipe explain`, and fed by the CRM flags (`crm_flags_for`)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from enrichment.channels import CrmFlag, CrmFlags
from leadpipe.cli import main
from leadpipe.core.schema import CHANNEL_FIELDS
from leadpipe.pipeline import crm_flags
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, people, prospects
from tests.homes import one_purchased_list, write_config

HEADER = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
          "Country", "# Employees", "Industry", "Person Linkedin Url", "Company Linkedin Url"]
ROWS = [
    ["Harriet", "Vandermolen", "CEO", "Lakeshore Analytics Inc", "harriet@lakeshore-analytics.com",
     "+1 312 555 0142", "https://lakeshore-analytics.com", "Chicago", "IL", "United States", "400", "Software",
     "linkedin.com/in/harriet-vandermolen?trk=x", "https://www.linkedin.com/company/lakeshore"],
    ["Odile", "Marchetti", "VP Marketing", "Pinecrest Labs", "odile@pinecrest-labs.com", "+1 212 555 0150",
     "https://pinecrest-labs.com", "New York", "NY", "United States", "380", "Software",
     "javascript:alert(1)//www.linkedin.com/in/odile", "https://www.linkedin.com/company/pinecrest"],
    ["Rosalind", "Fairweather", "VP Sales", "Fairweather Media", "rosalind@fairweather-media.com",
     "+1 212 555 0177", "https://fairweather-media.com", "New York", "NY", "United States", "250", "Software",
     "", ""],
]


def _home(home: Path, registry_age_days: int) -> Path:
    inputs = home / "inputs" / "ch"
    inputs.mkdir(parents=True)
    with (inputs / "list_1.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(ROWS)
    (inputs / "registry.txt").write_text("2125550177\n", encoding="utf-8")  # Rosalind's number is registered
    (inputs / "dnc.csv").write_text("email\nnobody@example.org\n", encoding="utf-8")
    return write_config(home / "leadpipe.yaml", lambda data: one_purchased_list(data, "ch", registry_age_days))


def _prospects(cfg) -> dict[str, dict]:
    with engine_for(cfg.warehouse_url).connect() as conn:
        return {r["email"]: dict(r) for r in conn.execute(select(prospects)).mappings()}


def test_every_prospect_gets_each_channels_state_with_a_reason_in_the_crm(home: Path) -> None:
    cfg = load_config(_home(home, registry_age_days=2))
    summary = run_pipeline(cfg, "run-1")
    got = _prospects(cfg)
    harriet, odile, rosalind = (got[r[4]] for r in ROWS)
    checked = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    assert harriet["email_sendable"] is True and harriet["email_reason"].startswith("no prior consent needed in US")
    assert harriet["phone_callable"] is True and harriet["phone_timezone"] == "America/Chicago"
    assert f"not on the DNC registry (checked {checked}, 2 days ago)" in harriet["phone_reason"]
    assert harriet["phone_line_type"] == "fixed_line_or_mobile"  # NANP numbers do not tell the two apart
    assert harriet["linkedin_url"] == "https://www.linkedin.com/in/harriet-vandermolen"  # the person's, not the company's
    assert (harriet["preferred_channel"], harriet["preferred_channel_reason"]) == (
        "email", "first ready channel in channels.preferred_order (email, phone, linkedin)")
    assert odile["linkedin_url"] is None  # a javascript: URL never reaches a CRM
    assert rosalind["phone_callable"] is False
    assert rosalind["phone_reason"] == f"on the national Do-Not-Call registry (checked {checked})"
    with open(summary["outputs"]["crm_import_csv"], encoding="utf-8") as fh:
        rows = {r["email"]: r for r in csv.DictReader(fh)}
    assert all(f in rows[ROWS[0][4]] for f in CHANNEL_FIELDS)
    assert rows[ROWS[2][4]]["phone_reason"].startswith("on the national Do-Not-Call registry")


def test_a_dnc_extract_older_than_31_days_makes_every_covered_phone_not_callable(home: Path) -> None:
    cfg = load_config(_home(home, registry_age_days=40))
    run_pipeline(cfg, "run-1")
    got = _prospects(cfg)
    checked = (datetime.now(UTC).date() - timedelta(days=40)).isoformat()
    for row in ROWS:
        p = got[row[4]]
        assert p["phone_callable"] is False
        assert p["phone_reason"] == f"DNC check of {checked} is 40 days old (more than 31): re-scrub before calling"
        assert p["email_sendable"] is True  # the email channel stays open


def test_crm_flags_close_the_channels_they_name_with_source_and_date(home: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(_home(home, registry_age_days=2))
    def flags(engine, person_ids):
        ids = list(person_ids)
        with engine.connect() as conn:
            harriet = conn.execute(select(people.c.person_id).where(people.c.email == ROWS[0][4])).scalar_one()
        assert harriet in ids
        return {harriet: CrmFlags(email_opted_out=CrmFlag("hubspot", datetime(2026, 11, 30, 9, tzinfo=UTC)),
                                  do_not_call=CrmFlag("salesforce", datetime(2026, 12, 1, tzinfo=UTC)))}

    monkeypatch.setattr(crm_flags, "crm_flags_for", flags)
    run_pipeline(cfg, "run-1")
    harriet = _prospects(cfg)[ROWS[0][4]]
    assert (harriet["email_sendable"], harriet["email_reason"]) == (
        False, "unsubscribed from email per hubspot since 2026-11-30")
    assert (harriet["phone_callable"], harriet["phone_reason"]) == (False, "do-not-call per salesforce since 2026-12-01")
    assert (harriet["preferred_channel"], harriet["linkedin_url"]) == (
        "linkedin", "https://www.linkedin.com/in/harriet-vandermolen")

    out = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "explain", ROWS[0][4]])
    assert out.exit_code == 0, out.output
    text = out.output
    assert "  channels:" in text
    assert "    email:    not sendable: unsubscribed from email per hubspot since 2026-11-30" in text
    assert "    phone:    not callable: do-not-call per salesforce since 2026-12-01" in text
    assert ("    linkedin: ready: https://www.linkedin.com/in/harriet-vandermolen (profile URL on record)"
            in text)
    assert "    preferred: linkedin: first ready channel" in text
    assert "    CRM flag email opted out: per hubspot since 2026-11-30" in text


def test_explain_shows_a_callable_phone_with_its_line_type(home: Path) -> None:
    cfg = load_config(_home(home, registry_age_days=2))
    run_pipeline(cfg, "run-1")
    out = CliRunner().invoke(main, ["--config", str(home / "leadpipe.yaml"), "explain", ROWS[1][4]])
    assert out.exit_code == 0, out.output
    assert "    email:    sendable: no prior consent needed in US" in out.output
    assert "    phone:    callable: fixed line or mobile; not on the DNC registry" in out.output
    assert "(line type fixed_line_or_mobile)" in out.output
    assert "    linkedin: not ready: no LinkedIn profile URL" in out.output


def test_a_web_forms_stated_channel_becomes_the_preferred_channel_when_it_is_ready(demo_home: Path) -> None:
    """The form's "how shall we reach you" column reaches the channel decision through the pipeline: every form
    lead asked for a phone call; those with a callable phone get phone (not the configured email-first rule)."""
    forms = demo_home / "inputs" / "demo" / "web_forms.csv"
    with forms.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with forms.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*rows[0], "preferred_channel"])
        w.writeheader()
        w.writerows({**r, "preferred_channel": "Phone call"} for r in rows)
    cfg = load_config()
    run_pipeline(cfg, "run-1")
    asked = {r["email"].strip().lower() for r in rows}
    got = [p for p in _prospects(cfg).values() if p["email"].lower() in asked and p["lead_source"] == "web_forms"]
    callable_ = [p for p in got if p["phone_callable"]]
    assert callable_ and all((p["preferred_channel"], p["preferred_channel_reason"]) == (
        "phone", "asked for phone in the form") for p in callable_)
    for p in got:
        if not p["phone_callable"] and p["email_sendable"]:
            assert p["preferred_channel"] == "email"
            assert "asked for phone in the form, but phone is not ready" in p["preferred_channel_reason"]

"""What sinks receive: persona, seniority, department, tier, score, owner and the compliance facts, and a
revenue band market fed by a vendor's revenue column."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from connectors.sinks.base import FieldMapping
from connectors.sinks.hubspot.settings import CUSTOM_CONTACT_PROPS
from connectors.sinks.settings import SinkSettings
from leadpipe.core.schema import PROSPECT_FIELDS
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, prospects
from tests.homes import one_purchased_list, write_config

HEADER = ["First Name", "Last Name", "Title", "Company", "Email", "Corporate Phone", "Website", "City", "State",
          "Country", "# Employees", "Industry", "Annual Revenue"]
ROWS = [
    ["Harriet", "Vandermolen", "CEO", "Lakeshore Analytics Inc", "harriet@lakeshore-analytics.com",
     "+1 312 555 0142", "https://lakeshore-analytics.com", "Chicago", "IL", "United States", "400", "Software",
     "120000000"],
    ["Odile", "Marchetti", "VP Marketing", "Pinecrest Labs", "odile@pinecrest-labs.com", "+1 312 555 0150",
     "https://pinecrest-labs.com", "Chicago", "IL", "United States", "380", "Software", "$10M"],
]


def _setup(home: Path) -> Path:
    inputs = home / "inputs" / "pf"
    inputs.mkdir(parents=True)
    with (inputs / "list_1.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(ROWS)
    (inputs / "registry.txt").write_text("2125550100\n", encoding="utf-8")
    (inputs / "dnc.csv").write_text("email\nnobody@example.org\n", encoding="utf-8")

    def edit(data: dict) -> None:
        one_purchased_list(data, "pf", registry_age_days=2)
        data["markets"].insert(0, {"name": "us_enterprise", "label": "US enterprise", "countries": ["US"],
                                   "min_revenue": 100_000_000})

    return write_config(home / "leadpipe.yaml", edit)


def test_the_local_sink_receives_persona_owner_and_compliance_and_revenue_bands_work(home: Path) -> None:
    cfg = load_config(_setup(home))
    summary = run_pipeline(cfg, "run-1")
    assert summary["outcomes"]["pushed"] == 2
    with engine_for(cfg.warehouse_url).connect() as conn:
        rows = {r["email"]: r for r in conn.execute(select(prospects)).mappings()}
    ceo, vp = rows[ROWS[0][4]], rows[ROWS[1][4]]
    assert (ceo["market"], ceo["annual_revenue"]) == ("us_enterprise", 120e6)  # $120M fits the >= $100M band
    assert (vp["market"], vp["annual_revenue"]) == ("north_america", 10e6)  # $10M does not
    assert (ceo["seniority"], ceo["department"], ceo["persona"]) == ("c_level", "executive", "Economic Buyer")
    assert (vp["seniority"], vp["department"], vp["persona"]) == ("vp", "marketing", "Economic Buyer")
    assert {ceo["owner"], vp["owner"]} == {"james.carter@example.com", "emily.chen@example.com"}  # round-robin
    assert ceo["lawful_basis"] == "n/a" and ceo["consent_evidence"] is None  # US: no GDPR basis needed
    downloaded = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    assert (ceo["dnc_status"], ceo["dnc_checked_at"]) == ("not_registered", downloaded)
    assert ceo["tier"] and ceo["score"] >= cfg.scoring.qualify_at
    with open(summary["outputs"]["crm_import_csv"], encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == PROSPECT_FIELDS
        csv_rows = {r["email"]: r for r in reader}
    assert csv_rows[ROWS[0][4]]["persona"] == "Economic Buyer"
    assert csv_rows[ROWS[0][4]]["dnc_status"] == "not_registered"


def test_crm_mappings_send_the_qualification_and_compliance_fields() -> None:
    record = {"person_id": "p1", "email": "a@x.com", "persona": "Champion", "seniority": "director",
              "department": "sales", "owner": "anna@example.com", "lawful_basis": "legitimate_interest",
              "lia_ref": "LIA-1", "consent_evidence": None, "dnc_status": "stale", "dnc_checked_at": "2026-10-01",
              "annual_revenue": 2.5e7, "tier": "B", "score": 61}
    settings = SinkSettings()
    hubspot = FieldMapping(settings.mapping_for("hubspot")).payload(record)
    assert hubspot["lp_persona"] == "Champion" and hubspot["lp_seniority"] == "director"
    assert hubspot["lp_department"] == "sales" and hubspot["lp_owner"] == "anna@example.com"
    assert hubspot["lp_lawful_basis"] == "legitimate_interest" and hubspot["lp_dnc_status"] == "stale"
    assert hubspot["annualrevenue"] == "25000000.0"
    custom = {p for p in settings.mapping_for("hubspot").values() if p.startswith("lp_")}
    assert custom <= set(CUSTOM_CONTACT_PROPS)  # the sink creates every lp_ property it writes
    salesforce = FieldMapping(settings.mapping_for("salesforce")).payload(record)
    assert salesforce["LP_Persona__c"] == "Champion" and salesforce["LP_Seniority__c"] == "director"
    assert salesforce["LP_DNC_Checked_At__c"] == "2026-10-01" and salesforce["AnnualRevenue"] == "25000000.0"
    # HubSpot gets every prospect field; address line 2 travels inside `address` (connectors.sinks.address)
    assert set(settings.mapping_for("hubspot")) | {"address_line2"} == set(PROSPECT_FIELDS)

"""A vendor file with the person's and the company's address ends with the person's address, normalised, in the
pushed prospect and the CRM import file; `leadpipe explain` shows it."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from leadpipe.cli import main
from leadpipe.pipeline.run import run_pipeline
from leadpipe.pipeline.settings import load_config
from leadpipe.store.warehouse import engine_for, prospects

HEADER = ["First Name", "Last Name", "Job Title", "Company Name", "Email Address", "Direct Phone Number", "Website",
          "Person Street", "Person City", "Person State", "Person Zip Code", "Country", "Employees",
          "Primary Industry", "Revenue Range (in USD)", "Company Street Address", "Company City", "Company State",
          "Company Zip Code", "Company Country"]


def test_person_address_reaches_the_prospect_and_the_crm_file(home: Path) -> None:
    inputs = home / "inputs" / "demo"
    inputs.mkdir(parents=True)
    (inputs / "do_not_contact.csv").write_text("email\n", encoding="utf-8")
    with (inputs / "vendor_zoominfo_addr.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow(["Mary", "Major", "VP Sales", "Acme Inc", "mary.major@acme-inc.com", "+1 217 555 0100",
                    "https://acme-inc.com", "123 main st.", "Springfield", "Illinois", "62701", "United States",
                    "500", "Software", "$25 mil. - $50 mil.", "1 Corporate Plaza", "Chicago", "Illinois", "60601",
                    "United States"])
        w.writerow(["Greta", "Lindqvist", "Head of Sales", "Nordlicht Software GmbH", "greta@nordlicht.de",
                    "+49 30 901820", "https://nordlicht.de", "HAUPTSTR. 5", "Berlin", "Berlin", "10115", "Germany",
                    "250", "Software", "$10 mil. - $25 mil.", "Firmenallee 1", "Hamburg", "Hamburg", "20095",
                    "Germany"])
    cfg = load_config()
    summary = run_pipeline(cfg, "run-addr")
    assert summary["funnel"]["pushed"] == 2, summary
    with engine_for(cfg.warehouse_url).connect() as conn:
        got = {r.email: r for r in conn.execute(select(prospects))}
    mary, greta = got["mary.major@acme-inc.com"], got["greta@nordlicht.de"]
    assert (mary.street, mary.city, mary.state, mary.postcode) == ("123 Main Street", "Springfield", "US-IL", "62701")
    assert (greta.street, greta.city, greta.postcode) == ("Hauptstraße 5", "Berlin", "10115")
    [crm_file] = list(home.rglob("crm_import.csv"))
    with crm_file.open(encoding="utf-8") as fh:
        rows = {r["email"]: r for r in csv.DictReader(fh)}
    assert (rows["mary.major@acme-inc.com"]["street"], rows["mary.major@acme-inc.com"]["postcode"]) == \
        ("123 Main Street", "62701")
    assert rows["greta@nordlicht.de"]["street"] == "Hauptstraße 5"
    # the company's address is nowhere in the person's record
    assert not {"1 Corporate Plaza", "Chicago", "60601", "Firmenallee 1", "20095"} & \
        {v for r in rows.values() for v in r.values()}

    result = CliRunner().invoke(main, ["explain", "mary.major@acme-inc.com"])
    assert result.exit_code == 0, result.output
    assert "123 Main Street" in result.output and "62701" in result.output

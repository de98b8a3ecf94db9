"""Extraction as a pure function, on real pages written by others (see data/web_pages/README.md) and on
hand-made pages for the structured sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrichment.web.extract import extract

PAGES = Path(__file__).parent / "data" / "web_pages"
MANIFEST = {json.loads(line)["path"]: json.loads(line)["url"]
            for line in (PAGES / "manifest.jsonl").read_text().splitlines() if line.strip()}


def page(name: str) -> dict:
    return extract(MANIFEST[name], (PAGES / name).read_bytes())


# Expected values read off the pages by a person (view-source), not from this code's output.
@pytest.mark.parametrize(("name", "field", "expected"), [
    ("avantec-team.html", "name", "AVANTEC"),  # og:site_name, while <title> is "Team | AVANTEC"
    ("avantec-team.html", "emails", ["info@avantec.ch"]),
    ("avantec-team.html", "phones", ["+41444571313"]),  # "+41 (0) 44 457 13 13" in the footer
    ("avantec-team.html", "language", "de"),
    ("naturgruen-team.html", "industry", "Landscaping & Gardening"),  # a gardening firm's about page
    ("naturgruen-team.html", "tech", ["WordPress", "jQuery"]),  # generator WordPress 4.7.5, wp-content assets
    ("naturgruen-team.html", "logo", "http://www.naturgruen.ch/wp-content/uploads/2016/01/Logo_gelb2902neu2.png"),
    ("rswag-mitarbeiter.html", "name", "RSW AG"),  # title "RSW AG - Mitarbeiter"
    ("rswag-mitarbeiter.html", "logo", "https://www.rswag.ch/img/RSW_Logo.png"),
    ("mozilla.org.firefox.developer.html", "name", "Mozilla"),
    ("mozilla.org.firefox.developer.html", "social_links", {
        "facebook": "https://www.facebook.com/mozilla", "twitter": "https://twitter.com/mozilla",
        "youtube": "https://www.youtube.com/firefoxchannel"}),  # share/watch links are not profiles
    ("cnn_main_site.html", "language", "en"),
    ("cnn_main_site.html", "industry", "Media & Publishing"),
    ("yahoo_main_site.html", "phones", []),  # long digit runs in scripts and ids are not phone numbers
    ("yahoo_main_site.html", "emails", []),
])
def test_real_pages(name, field, expected):
    assert page(name)[field] == expected


def test_follow_links_prefer_legal_and_contact_pages_on_the_same_site():
    links = page("avantec-team.html")["follow_links"]
    assert links[0] == "https://www.avantec.ch/kontakt"
    assert all(link.startswith("https://www.avantec.ch/") for link in links)
    cnn = page("cnn_main_site.html")["follow_links"]
    assert not any("craigslist-contacts" in u for u in cnn)  # a news story is not the contact page


JSONLD = """<!doctype html><html lang="de-DE"><head>
<title>Startseite | Müller Maschinenbau</title>
<meta property="og:site_name" content="Mueller OG Name">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Website name"},
  {"@type": ["Organization", "Corporation"], "name": "Müller Maschinenbau GmbH",
   "legalName": "Müller Maschinenbau GmbH", "foundingDate": "1954", "vatID": "DE123456789",
   "numberOfEmployees": {"@type": "QuantitativeValue", "value": 240},
   "logo": {"@type": "ImageObject", "url": "/img/logo.svg"},
   "telephone": "+49 711 123456-0", "email": "info@mueller-maschinenbau.de",
   "sameAs": ["https://www.linkedin.com/company/mueller-maschinenbau/", "https://www.xing.com/pages/mueller"],
   "address": {"@type": "PostalAddress", "streetAddress": "Industriestr. 5", "postalCode": "70565",
               "addressLocality": "Stuttgart", "addressCountry": "DE"},
   "description": "Hersteller von Sondermaschinen: Maschinenbau und Fertigung seit 1954."}
]}
</script>
<script type="application/ld+json">{ broken json </script>
</head><body>
<h1>Maschinenbau aus Stuttgart</h1>
<p>Schreiben Sie an vertrieb@mueller-maschinenbau.de oder privat@gmail.com.</p>
<a href="https://twitter.com/intent/tweet?text=x">Teilen</a>
<a href="/impressum">Impressum</a> <a href="https://other-site.de/kontakt">Partner</a>
</body></html>"""


def test_jsonld_organization_wins_over_og_and_title():
    fields = extract("https://www.mueller-maschinenbau.de/", JSONLD)
    assert fields["name"] == "Müller Maschinenbau GmbH"
    assert fields["logo"] == "https://www.mueller-maschinenbau.de/img/logo.svg"
    assert fields["organization"] == {"legalName": "Müller Maschinenbau GmbH", "foundingDate": "1954",
                                      "vatID": "DE123456789", "numberOfEmployees": 240, "type": "Organization"}
    assert fields["address"] == {"streetAddress": "Industriestr. 5", "postalCode": "70565",
                                 "addressLocality": "Stuttgart", "addressCountry": "DE"}
    assert fields["phones"] == ["+497111234560"]
    assert fields["emails"] == ["info@mueller-maschinenbau.de", "vertrieb@mueller-maschinenbau.de"]
    assert fields["social_links"] == {"linkedin": "https://www.linkedin.com/company/mueller-maschinenbau",
                                      "xing": "https://www.xing.com/pages/mueller"}
    assert fields["language"] == "de"
    assert fields["industry"] == "Manufacturing"
    assert fields["follow_links"] == ["https://www.mueller-maschinenbau.de/impressum"]


def test_title_used_when_nothing_structured_and_industry_may_stay_empty():
    html = "<html><head><title>Home | Brightwave</title></head><body><p>Welcome to our site.</p></body></html>"
    fields = extract("https://brightwave.io/", html)
    assert fields["name"] == "Brightwave"
    assert fields["industry"] is None and fields["industry_confidence"] is None
    assert fields["description"] is None and fields["logo"] is None


def test_tech_hints_from_markup_not_from_visible_text():
    html = ("<html><head><script src='https://js.hs-scripts.com/123.js'></script>"
            "<link rel='stylesheet' href='/wp-content/themes/x/style.css'></head>"
            "<body><p>We migrate sites off Shopify (cdn.shopify.com) for clients.</p></body></html>")
    assert extract("https://agency.example/", html)["tech"] == ["HubSpot", "WordPress"]


def test_extract_pages_cli_prints_one_json_line_per_page(tmp_path):
    from leadpipe.cli import main

    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join([
        json.dumps({"url": MANIFEST["avantec-team.html"], "path": str(PAGES / "avantec-team.html")}),
        json.dumps({"url": MANIFEST["rswag-mitarbeiter.html"], "path": str(PAGES / "rswag-mitarbeiter.html")}),
    ]) + "\n")
    result = CliRunner().invoke(main, ["extract-pages", str(manifest)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(x["url"], x["name"]) for x in lines] == [("https://www.avantec.ch/team", "AVANTEC"),
                                                      ("https://www.rswag.ch/mitarbeiter", "RSW AG")]
    assert {"description", "logo", "social_links", "emails", "phones"} <= set(lines[0])


def test_extract_pages_cli_names_the_bad_line(tmp_path):
    from leadpipe.cli import main

    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"url": "https://a.example/", "path": "missing.html"}\n{"path": "x.html"}\n')
    result = CliRunner(mix_stderr=False).invoke(main, ["extract-pages", str(manifest)]) if "mix_stderr" in \
        CliRunner.__init__.__code__.co_varnames else CliRunner().invoke(main, ["extract-pages", str(manifest)])
    assert result.exit_code == 1
    assert "line 1: cannot read" in result.output + (result.stderr or "")
    assert "line 2: needs" in result.output + (result.stderr or "")

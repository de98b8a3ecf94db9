"""Company emails and phones on a page (enrichment/web/contacts.py through `extract`).

Each case copies the shape of something seen on the real pages of the evaluation set
(tests/data/contact_eval/, page ids in the comments) or, for forms that set does not contain (JSON-LD,
obfuscation, Cloudflare), on public sites' markup; the numbers and names are changed. Expected values are
written by hand (E.164 worked out from the number as printed), not read from the code's output.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from enrichment.web.contacts import decode_cloudflare
from enrichment.web.extract import extract
from enrichment.web.memo import memo_key, page_part


def page(body: str, head: str = "") -> str:
    return f"<html><head><title>Acme</title>{head}</head><body>{body}</body></html>"


# --------------------------------------------------------------------------- national numbers, tel: links


def test_national_numbers_are_read_in_the_company_country():
    # ws-bp-017: "Farmington, NM 87499 Phone: 505-326-1111 Fax: 505-326-3130 ... Durango Office 1-800-949-3720"
    html = page("<p>Farmington, NM 87499 Phone: 505-326-2222 Fax: 505-326-4444</p>"
                "<p>Cortez, CO 81321 Phone: 970-565-8888 Durango Office 1-800-949-5555</p>")
    fields = extract("https://www.woods-example.com/contact-us", html, country="US")
    assert fields["phones"] == ["+15053262222", "+19705658888", "+18009495555"]
    assert fields["fax"] == ["+15053264444"]
    assert fields["company_phone"] == "+15053262222"


def test_without_a_country_a_com_site_keeps_only_numbers_with_a_country_code():
    html = page("<p>Call (413) 233-4668 or from abroad +1 413 233 4669</p>")
    assert extract("https://www.balise-example.com/", html)["phones"] == ["+14132334669"]
    assert extract("https://www.balise-example.com/", html, country="US")["phones"] == [
        "+14132334668", "+14132334669"]


def test_cctld_gives_the_region_when_no_country_is_known():
    # ws-bp-331: "T 020 3167 4997 F 020 7629 1317" on a .co.uk site
    fields = extract("http://www.occupa-example.co.uk/", page("<p>London W1J 7BU T 020 3167 4990 F 020 7629 1310</p>"))
    assert fields["phones"] == ["+442031674990"]
    assert fields["fax"] == ["+442076291310"]


def test_tel_link_in_national_format_and_glued_postcode():
    # ws-bp-016: <a href="tel:505.326.1111">; ws-bp-008: "Springfield, MA 01105 (413) 732-8702"
    html = page("<a href='tel:505.326.2222'>Call us</a><p>Springfield, MA 01105 (413) 732-8709</p>")
    fields = extract("https://www.woods-example.com/", html, country="US")
    assert fields["phones"] == ["+15053262222", "+14137328709"]
    assert fields["company_phone"] == "+15053262222"  # the linked number is the switchboard


def test_gb_number_with_a_bracketed_trunk_zero():
    # ws-bp-095: "Call: +44 (0)1242 577104"
    fields = extract("http://www.prepress-example.co.uk/", page("<p>Call: +44 (0)1242 577100</p>"))
    assert fields["phones"] == ["+441242577100"]


# --------------------------------------------------------------------------- fax lines


@pytest.mark.parametrize(("text", "phone", "fax"), [
    # ws-bp-206: "Washington, DC 20009 202.400.3052 voice 202.299.1148 fax"
    ("Washington, DC 20009 202.400.3050 voice 202.299.1140 fax", "+12024003050", "+12022991140"),
    # ws-bp-030: "707.238.3700 (Local) ... 707.665.9184 (Fax)"
    ("Telephone: 707.238.3701 (Local) 707.665.9180 (Fax) Email", "+17072383701", "+17076659180"),
    # ws-bp-419: "Fax us on 0845 287 6475"
    ("Call us on 0161 713 2860 Fax us on 0845 287 6470", "+441617132860", "+448452876470"),
])
def test_labelled_fax_lines_are_kept_apart(text, phone, fax):
    fields = extract("http://www.example-firm.com/", page(f"<p>{text}</p>"),
                     country="GB" if "0161" in text else "US")
    assert fields["phones"] == [phone]
    assert fields["fax"] == [fax]


def test_a_fax_line_is_the_phone_only_when_the_page_shows_no_other_number():
    fields = extract("http://www.example-firm.com/", page("<p>Telefax: 0711 123456-9</p>"), country="DE")
    assert fields["fax"] == ["+497111234569"]
    assert fields["phones"] == ["+497111234569"]


# --------------------------------------------------------------------------- not phone numbers


@pytest.mark.parametrize("text", [
    "Registered in England, No: 2443078. | VAT Registration No: 927547983",  # ws-bp-081
    "Chatswood NSW 2067 ABN 67 107 751 931 PO Box 5",  # ws-bp-013 (AU)
    "Prev Next 1 2 3 4 5 6 7 8 9 10 11",  # ws-bp-017's pager
    "Supreme Spares (Mark 1 140/155/170) Pre 96",  # ws-bp-131
    "Department of Financial Institutions #0911115; CFL #6054270",  # ws-bp-030
    "Last updated: 15/04/2014",
    # the supplementary set (trafilatura's German article pages): a date with its time, a year range, a
    # date in a URL path written as text, a bare article id after "Kontakt"
    "11.09.2011 23:31 Uhr von Stefan",
    "Die Zeit vor 1938 Österreich 1918-1933 Ausschaltung",
    "https://www.modepilot.de/2015/10/28/ueber-den",
    "Impressum Kontakt 2699544 Content Management",
])
def test_identifiers_lists_sizes_and_dates_are_not_phones(text):
    country = ("AU" if "ABN" in text else "GB" if "England" in text
               else "AT" if "Österreich" in text else "DE" if re.search(r"Uhr|Kontakt|modepilot", text) else "US")
    assert extract("http://www.example-firm.com/", page(f"<p>{text}</p>"), country=country)["phones"] == []


def test_bare_digits_count_only_after_a_phone_label():
    fields = extract("https://www.alpha-tools.de/", page("<p>Tel. 07111234567</p><p>Artikel 07111234568</p>"))
    assert fields["phones"] == ["+497111234567"]


def test_a_phone_number_label_is_not_an_identifier():
    fields = extract("http://www.example-firm.in/", page("<p>Phone No: 020 6603 3330</p>"), country="IN")
    assert fields["phones"] == ["+912066033330"]


# --------------------------------------------------------------------------- emails


def test_mailto_links_are_percent_decoded_and_split():
    # ws-bp-075: href="mailto:%20info@source-tech.net"
    html = page("<a href='mailto:%20info@source-example.net'>mail</a>"
                "<a href='mailto:sales@source-example.net,support@source-example.net?subject=Hi'>x</a>")
    fields = extract("http://www.source-example.net/", html)
    assert fields["emails"] == ["info@source-example.net", "sales@source-example.net", "support@source-example.net"]
    assert fields["company_email"] == "info@source-example.net"


@pytest.mark.parametrize("written", [
    "info [at] mueller-bau [dot] de", "info(at)mueller-bau.de", "info {at} mueller-bau {dot} de",
    "info&#64;mueller-bau.de", "info&#x40;mueller-bau&#46;de",
])
def test_obfuscated_and_entity_encoded_addresses(written):
    assert extract("https://www.mueller-bau.de/impressum", page(f"<p>E-Mail: {written}</p>"))["emails"] == [
        "info@mueller-bau.de"]


def test_obfuscated_local_part_is_read_whole():
    html = page("<p>a (dot) li [at] mueller-bau [dot] de</p>")
    assert extract("https://mueller-bau.de/", html)["emails"] == ["a.li@mueller-bau.de"]


def _cloudflare(email: str, key: int = 0x5A) -> str:
    """Cloudflare's email protection as its decoder in ws-bp-127 reads it: key byte, then chars XOR key."""
    return f"{key:02x}" + "".join(f"{ord(ch) ^ key:02x}" for ch in email)


def test_cloudflare_protected_addresses():
    html = page(f"<a href='/cdn-cgi/l/email-protection#{_cloudflare('sales@acme-tools.com')}'>[email&#160;protected]</a>"
                f"<span class='__cf_email__' data-cfemail='{_cloudflare('info@acme-tools.com', 0x21)}'>x</span>")
    assert extract("https://acme-tools.com/", html)["emails"] == ["sales@acme-tools.com", "info@acme-tools.com"]
    assert decode_cloudflare("zz") is None and decode_cloudflare("00") is None


def test_other_firms_addresses_are_left_out_but_sister_domains_kept():
    # ws-bp-020 (an ombudsman's address on a building society's page), ws-bp-043 (abacusllc.com's
    # info@abacussolutions.com), ws-bp-101 (a PR agency)
    html = page("<a href='mailto:complaint.info@financial-ombudsman.org.uk'>x</a>"
                "<a href='mailto:info@abacussolutions.com'>x</a><a href='mailto:press@bateman-pr.com'>x</a>")
    assert extract("http://www.abacusllc.com/", html)["emails"] == ["info@abacussolutions.com"]


def test_a_free_mail_address_counts_only_from_a_link_and_only_without_an_own_address():
    # ws-bp-430: a hotel's mailto:...@gmail.com; ws-bp-440: a PR contact's gmail beside the hotel's own addresses
    alone = page("<a href='mailto:hiexample.hotel@gmail.com'>Email us</a> or a guest wrote fan@gmail.com")
    assert extract("http://www.example-hotel.com/", alone)["emails"] == ["hiexample.hotel@gmail.com"]
    both = page("<a href='mailto:press.person@gmail.com'>PR</a><a href='mailto:frontdesk@example-hotel.com'>x</a>")
    assert extract("http://www.example-hotel.com/", both)["emails"] == ["frontdesk@example-hotel.com"]


def test_broken_mailto_is_dropped():
    # ws-bp-395: href="mailto:accounting@prospecbio.comaccount@prospecbio.com"
    html = page("<a href='mailto:accounting@pro-example.comaccount@pro-example.com'>x</a>")
    assert extract("http://www.pro-example.com/", html)["emails"] == []


def test_company_email_prefers_a_role_address():
    html = page("<a href='mailto:jeremy@lawyer-loans.com'>Jeremy</a> <a href='mailto:info@lawyer-loans.com'>x</a>")
    fields = extract("http://www.lawyer-loans.com/", html)
    assert fields["emails"] == ["jeremy@lawyer-loans.com", "info@lawyer-loans.com"]
    assert fields["company_email"] == "info@lawyer-loans.com"


# --------------------------------------------------------------------------- structured data


JSONLD_CONTACT_POINTS = """<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "ContactPage", "name": "Kontakt",
 "mainEntity": {"@type": "Organization", "name": "Muster Reinigung GmbH", "email": "service@muster-reinigung.de",
   "contactPoint": [
     {"@type": "ContactPoint", "contactType": "customer service", "telephone": "030 1234567-0",
      "faxNumber": "030 1234567-99"},
     {"@type": "ContactPoint", "contactType": "sales", "telephone": "+49 30 7654321", "email": "vertrieb@muster-reinigung.de"}
   ]}}
</script>"""


def test_jsonld_contact_points_in_national_format():
    html = page("<p>Rufen Sie uns an.</p><a href='mailto:info@muster-reinigung.de'>x</a>", JSONLD_CONTACT_POINTS)
    fields = extract("https://www.muster-reinigung.de/kontakt", html)  # .de: read in Germany
    assert fields["phones"] == ["+493012345670", "+49307654321"]
    assert fields["fax"] == ["+4930123456799"]
    assert fields["company_phone"] == "+493012345670"
    assert fields["emails"] == ["service@muster-reinigung.de", "vertrieb@muster-reinigung.de",
                                "info@muster-reinigung.de"]
    assert fields["company_email"] == "service@muster-reinigung.de"  # stated by the organisation itself


def test_microdata_telephone_and_email():
    html = page("<div itemscope itemtype='https://schema.org/LocalBusiness'>"
                "<span itemprop='telephone'>(979) 696-0520</span>"
                "<a itemprop='email' href='mailto:info@stearns-example.com'>Mail</a>"
                "<meta itemprop='faxNumber' content='979-696-0529'></div>")
    fields = extract("http://stearns-example.com/", html, country="US")
    assert fields["phones"] == ["+19796960520"]
    assert fields["fax"] == ["+19796960529"]
    assert fields["emails"] == ["info@stearns-example.com"]


def test_json_ld_with_junk_does_not_break_the_page():
    junk = '<script type="application/ld+json">{"@type": "Organization", "telephone": {"x": 1}, "email": [1, null]}</script>'
    fields = extract("http://acme-example.com/", page("<p>Phone +1 617 555 0100</p>", junk))
    assert fields["emails"] == []


# --------------------------------------------------------------------------- memo and pipeline separation


def test_memo_key_carries_the_country_after_the_page_hash():
    body = b"<html></html>"
    plain, us = memo_key("http://a.com/", body), memo_key("http://a.com/", body, "us")
    assert us == plain + ":US" and page_part(us) == plain != us


def test_company_switchboard_is_a_company_field_never_the_persons_phone():
    from leadpipe.pipeline.enrich import company_countries, fill_from_companies

    df = pd.DataFrame({"person_id": ["p1", "p2", "p3"], "domain": ["acme.com", "acme.com", "down.com"],
                       "company": [None, None, None], "industry": [None, None, None],
                       "phone": ["+4930111111", None, None], "email": ["jo@acme.com", None, None],
                       "country": ["us", "US", "DE"]})
    known = {"acme.com": {"enrichment_status": "ok", "name": "Acme", "industry": None, "industry_confidence": None,
                          "phones": ["+16175550100"], "emails": ["info@acme.com"],
                          "company_phone": "+16175550100", "company_email": "info@acme.com"},
             "down.com": {"enrichment_status": "failed", "name": None, "industry": None,
                          "industry_confidence": None, "company_phone": "+4930999999", "company_email": None}}
    out = fill_from_companies(df, known)
    assert [None if pd.isna(v) else v for v in out["phone"]] == ["+4930111111", None, None]
    assert [None if pd.isna(v) else v for v in out["email"]] == ["jo@acme.com", None, None]
    assert [None if pd.isna(v) else v for v in out["company_phone"]] == ["+16175550100", "+16175550100", None]
    assert [None if pd.isna(v) else v for v in out["company_email"]] == ["info@acme.com", "info@acme.com", None]
    assert company_countries(df) == {"acme.com": "US", "down.com": "DE"}


def test_json_output_is_serialisable():
    fields = extract("https://www.muster-reinigung.de/kontakt", page("", JSONLD_CONTACT_POINTS))
    assert json.loads(json.dumps(fields))["company_phone"] == "+493012345670"


def test_stage_reads_national_numbers_in_the_leads_country_and_keeps_them_company_fields(home):
    """Through the enrich stage: the site's switchboard reaches the company fields and the companies table,
    read in the leads' country (a .test site has no ccTLD), while the person's own phone stays as it was."""
    import yaml

    from enrichment.web.safety import SafetyPolicy
    from leadpipe.pipeline.context import RunContext
    from leadpipe.pipeline.enrich import enrich_resolved
    from leadpipe.pipeline.enrich_store import load_companies
    from leadpipe.pipeline.settings import load_config
    from leadpipe.store.warehouse import engine_for, migrate
    from tests.web_sites import Route, SiteServer

    path = home / "cfg.yaml"
    path.write_text(yaml.safe_dump({"sources": [], "enrichment": {"web": {
        "enabled": True, "min_delay_seconds": 0.05, "jitter_seconds": 0, "schemes": ["http"], "retries": 0,
        "read_timeout_seconds": 1, "page_deadline_seconds": 2}}}))
    cfg = load_config(path)
    migrate(cfg.warehouse_url)
    people = pd.DataFrame({"person_id": ["p1", "p2"], "domain": ["acme.test", "acme.test"],
                           "company": [None, None], "industry": [None, None],
                           "phone": [None, "+16175550111"], "country": ["US", "US"]})
    src = home / "resolved.parquet"
    people.to_parquet(src, index=False)
    with SiteServer() as server:
        server.sites["acme.test"] = {"/": Route(
            b"<html><head><title>Acme</title></head><body><footer>Phone: (413) 233-4660 "
            b"Fax: (413) 233-4669 <a href='mailto:info@acme.test'>info@acme.test</a></footer></body></html>")}
        policy = SafetyPolicy(test_hosts=server.hosts("acme.test"))
        out = pd.read_parquet(enrich_resolved(RunContext(cfg, "run-1"), str(src), home / "e.parquet", policy))
    row = load_companies(engine_for(cfg.warehouse_url), ["acme.test"])["acme.test"]
    assert (row["phones"], row["fax"], row["company_phone"]) == (["+14132334660"], ["+14132334669"], "+14132334660")
    assert [None if pd.isna(v) else v for v in out["phone"]] == [None, "+16175550111"]
    assert out["company_phone"].tolist() == ["+14132334660", "+14132334660"]


def test_extract_pages_reads_the_manifest_country_and_names_a_bad_one(tmp_path):
    from leadpipe.pipeline.web_preview import extract_pages

    (tmp_path / "p.html").write_text(page("<p>Phone: 505-326-2222</p>"))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"url": "https://w-example.com/", "path": "p.html", "country": "US"}\n'
                        '{"url": "https://w-example.com/", "path": "p.html"}\n'
                        '{"url": "https://w-example.com/", "path": "p.html", "country": "United States"}\n')
    first, second, third = list(extract_pages(manifest))
    assert first.fields["phones"] == ["+15053262222"] and second.fields["phones"] == []
    assert third.fields is None and "line 3" in third.problem and "two-letter country code" in third.problem

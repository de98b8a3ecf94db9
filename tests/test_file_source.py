"""The file source: formats, encodings, fingerprints, vendor presets and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.sources.base import SourceError, SourceState
from connectors.sources.file_source import FileSource
from connectors.sources.mapping import map_headers
from connectors.testkit import ConnectorCase, check_connector


def _read_one(folder: Path, pattern: str = "*", **kw) -> list:  # noqa: ANN003
    src = FileSource("vendor", str(folder / pattern), **kw)
    [unit] = src.discover(SourceState())
    return list(src.read(unit))


def test_same_file_once_changed_file_again(tmp_path: Path) -> None:
    f = tmp_path / "list.csv"
    f.write_text("Email,Name\na@x.com,A\n", encoding="utf-8")
    src = FileSource("vendor", str(tmp_path / "*.csv"))
    [unit] = src.discover(SourceState())
    assert src.discover(SourceState(seen=frozenset({unit.fingerprint}))) == []
    f.write_text("Email,Name\na@x.com,A\nb@x.com,B\n", encoding="utf-8")
    [changed] = src.discover(SourceState(seen=frozenset({unit.fingerprint})))
    assert changed.fingerprint != unit.fingerprint


def test_bom_quoted_newlines_and_every_column_kept(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(
        '\ufeffEmail,Name,Notes\na@x.com,"Doe, Jane","line one\nline two"\n\nb@x.com,Bob,\n', encoding="utf-8")
    records = _read_one(tmp_path)
    assert [r.source_row for r in records] == [1, 2]
    assert records[0].payload == {"Email": "a@x.com", "Name": "Doe, Jane", "Notes": "line one\nline two"}
    assert all(r.error is None for r in records)


def test_windows_1252_is_detected(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_bytes("Email;Name;City\nm@x.de;Müller;Köln\n".encode("cp1252"))
    [record] = _read_one(tmp_path)
    assert record.payload == {"Email": "m@x.de", "Name": "Müller", "City": "Köln"}


def test_utf16_with_bom_and_tsv(tmp_path: Path) -> None:
    (tmp_path / "list.tsv").write_bytes("Email\tName\na@x.com\tZoë, Ann\n".encode("utf-16"))
    [record] = _read_one(tmp_path)
    assert record.payload == {"Email": "a@x.com", "Name": "Zoë, Ann"}


def test_explicit_wrong_encoding_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_bytes("Email,Name\nm@x.de,Müller\n".encode("cp1252"))
    with pytest.raises(SourceError, match=r"list.csv: not readable as utf-8"):
        _read_one(tmp_path, encoding="utf-8")


def test_xlsx_json_and_ndjson(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Email", "Phone", "Employees"])
    ws.append(["a@x.com", 4930123456, 250.0])
    wb.save(tmp_path / "list.xlsx")
    [xl] = _read_one(tmp_path, "*.xlsx")
    assert xl.payload == {"Email": "a@x.com", "Phone": "4930123456", "Employees": "250"}

    (tmp_path / "forms.json").write_text(json.dumps(
        {"submissions": [{"email": "b@x.com", "answers": {"company": "Acme"}, "consent": True}]}))
    [js] = _read_one(tmp_path, "*.json")
    assert js.payload == {"email": "b@x.com", "answers.company": "Acme", "consent": "true"}

    (tmp_path / "leads.ndjson").write_text('{"email": "c@x.com"}\n\n{"email": broken}\n[1]\n')
    rows = _read_one(tmp_path, "*.ndjson")
    assert rows[0].payload == {"email": "c@x.com"} and rows[0].error is None
    assert rows[1].error.startswith("leads.ndjson line 3: not valid JSON")
    assert rows[2].error == "leads.ndjson line 4: expected a JSON object, got list"


def test_short_and_long_rows_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text('Email,Name\na@x.com\nb@x.com,"B\nB",extra\nc@x.com,C\n')
    records = _read_one(tmp_path)
    assert records[0].error == "list.csv line 2: row has 1 fields but the header has 2"
    assert records[1].error == "list.csv line 3: row has 3 fields but the header has 2"
    assert records[1].payload["_extra_fields"] == "extra"
    assert records[2].error is None and records[2].source_row == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.csv", b"", "list.csv: the file is empty"),
        ("list.csv", b"Email,Name\r\n", "list.csv: a header row (line 1: Email, Name) but no data rows"),
        ("list.json", b"[]", "list.json: no records in the file"),
        ("list.csv", b"PK\x03\x04\x14\x00\x00\x00rest-of-a-zip", "list.csv: this is a ZIP or Excel (.xlsx) file"),
        ("list.csv", b"%PDF-1.7\n...", "this is a PDF document, not a CSV file"),
        ("list.xlsx", b"Email,Name\na@x.com,A\n", "list.xlsx: not a readable Excel .xlsx file"),
        ("list.json", b'{"email": "a@x.com"', "list.json: not valid JSON"),
    ],
)
def test_unusable_files_fail_with_the_file_name(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SourceError) as err:
        _read_one(tmp_path)
    assert message in str(err.value)


def test_folder_and_fsspec_uri(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Email\na@x.com\n")
    (tmp_path / "notes.md").write_text("not a list")
    assert [u.name for u in FileSource("v", str(tmp_path)).discover(SourceState())] == ["a.csv"]
    uri_units = FileSource("v", f"file://{tmp_path}/*.csv").discover(SourceState())
    assert [u.name for u in uri_units] == ["a.csv"]
    import fsspec

    mem = fsspec.filesystem("memory")
    mem.pipe("/bucket/lists/b.csv", b"Email\nb@x.com\n")
    src = FileSource("v", "memory://bucket/lists/*.csv")
    [unit] = src.discover(SourceState())
    assert [r.payload for r in src.read(unit)] == [{"Email": "b@x.com"}]


def test_large_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    """~60 MB of CSV read end to end must not hold the file: peak Python allocations stay far below it."""
    import tracemalloc

    path = tmp_path / "big.csv"
    line = "a{i}@example.com,Person {i},Company {i},Some long notes field " + "x" * 150 + "\n"
    with path.open("w") as fh:
        fh.write("Email,Name,Company,Notes\n")
        for i in range(300_000):
            fh.write(line.format(i=i))
    size = path.stat().st_size
    src = FileSource("v", str(path))
    [unit] = src.discover(SourceState())
    tracemalloc.start()
    n = sum(1 for _ in src.read(unit))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 300_000
    assert peak < size / 10, f"peak {peak} bytes while reading a {size} byte file"


# Vendor exports as their tools write them (hand-written header rows, one realistic record each).
VENDOR_FILES = {
    "apollo": ("First Name,Last Name,Title,Company,Email,Corporate Phone,Website,City,State,Country,"
               "# Employees,Industry,Annual Revenue,Person Linkedin Url\n"
               "Jane,Doe,VP Sales,Acme GmbH,jane@acme.de,+49 30 1234567,acme.de,Berlin,Berlin,Germany,250,"
               "Software,42000000,https://linkedin.com/in/jd\n"),
    "zoominfo": ("First Name,Last Name,Job Title,Company Name,Email Address,Direct Phone Number,Website,"
                 "Person City,Person State,Country,Employees,Primary Industry,Revenue Range (in USD),"
                 "ZoomInfo Contact ID\n"
                 "Jane,Doe,VP Sales,Acme GmbH,jane@acme.de,+49 30 1234567,acme.de,Berlin,Berlin,Germany,250,"
                 "Software,$25 mil. - $50 mil.,123\n"),
    "lusha": ("First Name,Last Name,Job Title,Company Name,Work Email,Direct Phone,Company Domain,City,State,"
              "Country,Company Size,Company Industry,LinkedIn URL\n"
              "Jane,Doe,VP Sales,Acme GmbH,jane@acme.de,+49 30 1234567,acme.de,Berlin,Berlin,Germany,250,"
              "Software,https://linkedin.com/in/jd\n"),
    "seamless_ai": ("First Name,Last Name,Title,Company,Email 1,Email 1 Validation,Contact Phone 1,Website,"
                    "Contact City,Contact State,Contact Country,Company Staff Count,Company Industry\n"
                    "Jane,Doe,VP Sales,Acme GmbH,jane@acme.de,Valid,+49 30 1234567,acme.de,Berlin,Berlin,Germany,"
                    "250,Software\n"),
    "linkedin_sales_navigator": ("First Name,Last Name,Title,Company,Email,Company Website,City,Country,Industry,"
                                 "Company Size,Profile URL\n"
                                 "Jane,Doe,VP Sales,Acme GmbH,jane@acme.de,acme.de,Berlin,Germany,Software,250,"
                                 "https://linkedin.com/in/jd\n"),
    "hubspot": ("Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Website URL,City,"
                "State/Region,Postal Code,Country/Region,Industry,Number of Employees,Annual Revenue,Create Date\n"
                "901,Jane,Doe,jane@acme.de,+49 30 1234567,Acme GmbH,VP Sales,acme.de,Berlin,Berlin,10115,Germany,"
                "Software,250,42000000,2026-01-05 10:00\n"),
}
EXPECTED = {"first_name": "Jane", "last_name": "Doe", "job_title": "VP Sales", "company": "Acme GmbH",
            "email": "jane@acme.de", "country": "Germany"}


@pytest.mark.parametrize("preset", sorted(VENDOR_FILES))
def test_vendor_presets_map_to_the_canonical_schema(tmp_path: Path, preset: str) -> None:
    (tmp_path / f"{preset}.csv").write_text(VENDOR_FILES[preset], encoding="utf-8")
    [record] = _read_one(tmp_path)
    m = map_headers(list(record.payload), preset, automap=False)
    mapped = {f: record.payload[h] for f, h in m.fields.items()}
    assert {k: mapped.get(k) for k in EXPECTED} == EXPECTED
    assert m.missing == []
    if preset != "linkedin_sales_navigator":
        assert mapped["phone"] == "+49 30 1234567"
        assert mapped["employees"] == "250"
    if preset in ("apollo", "zoominfo", "hubspot"):  # revenue, as a number or the vendor's range
        assert mapped["annual_revenue"] in ("42000000", "$25 mil. - $50 mil.")
    if preset == "apollo":  # the person's LinkedIn profile feeds the social channel (enrichment.channels)
        assert m.fields["linkedin_url"] == "Person Linkedin Url"
    extra = {"zoominfo": "ZoomInfo Contact ID", "hubspot": "Record ID"}
    if preset in extra:
        assert extra[preset] in m.unmapped  # unmapped columns stay in the raw payload only


def test_auto_mapping_and_override() -> None:
    headers = ["E-Mail Address", "Vorname", "Surname", "Organisation", "Position", "Favourite Colour"]
    auto = map_headers(headers)
    assert auto.fields == {"email": "E-Mail Address", "first_name": "Vorname", "last_name": "Surname",
                           "company": "Organisation", "job_title": "Position"}
    assert auto.unmapped == ["Favourite Colour"]
    override = map_headers(headers, overrides={"company": "Favourite Colour"})
    assert override.fields["company"] == "Favourite Colour" and override.how["company"] == "override"
    assert "Organisation" in override.unmapped
    assert map_headers(headers, automap=False).fields == {}


def test_file_source_passes_the_contract_kit(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("Email,Name\na@x.com,A\n")

    def add() -> None:
        (tmp_path / "two.ndjson").write_text('{"email": "b@x.com"}\n')

    def bad() -> None:
        (tmp_path / "three.csv").write_text("Email,Name\nc@x.com,C,too,many\n")

    check_connector(ConnectorCase(lambda: FileSource("vendor", str(tmp_path)), add, bad))

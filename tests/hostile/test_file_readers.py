"""The file readers on hostile bytes: encodings, preambles and `header_row`, repeated columns, empty files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from connectors.sources.base import SourceError, SourceState, SourceUnavailable
from connectors.sources.encodings import EncodingProbe
from connectors.sources.file_source import FileSource
from connectors.sources.headers import header_index, unique_headers
from connectors.sources.mapping import map_headers
from leadpipe.pipeline.settings import ConfigError, load_config

DATA = Path(__file__).resolve().parents[1] / "data" / "hostile"


def read(folder: Path, pattern: str = "*", **kw: object) -> list:
    src = FileSource("vendor", str(folder / pattern), **kw)
    [unit] = src.discover(SourceState())
    return list(src.read(unit))


def probe(data: bytes, block: int = 1 << 20) -> str | None:
    p = EncodingProbe()
    for i in range(0, len(data), block):
        p.feed(data[i:i + block])
    return p.encoding()


# ------------------------------------------------------------------ encodings


@pytest.mark.parametrize(("text", "encoding"), [
    ("Name;Title\nSören Jäger;Geschäftsführerin\n", "cp850"),  # Excel "CSV (MS-DOS)"
    ("Name;Title\nSören Jäger;Geschäftsleiterin\n", "cp850"),  # no ü: cp1252 would read S”ren J„ger
    ("Name;City\nMüller;Köln\n", "cp1252"),  # Excel "CSV (Comma delimited)"
    ("Name;Note\nRené Dupont;“VIP” – call\n", "cp1252"),
    ("Name;Note\nSeán O’Brien;x\n", "cp1252"),
    ("Email;Price\na@x.de;€ 100\n", "cp1252"),
    ("Имя;Город\nИван Петров;Москва\n", "cp1251"),
])
def test_code_pages_are_told_apart(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    found = probe(data)
    assert found is not None and data.decode(found) == text


def test_c1_controls_make_a_wrong_guess_so_latin_1_never_reads_cp850() -> None:
    data = "Name\nSören Jäger\n".encode("cp850")
    assert "\x94" in data.decode("latin-1")  # what the old reader stored
    assert probe(data) != "latin-1" and "\x94" not in data.decode(probe(data) or "latin-1")


def test_the_non_ascii_line_deep_in_a_big_file_decides() -> None:
    """1.5 MB of ASCII, then one cp850 line: the probe sees every block, not a sample of the start."""
    ascii_rows = "".join(f"p{i}@x.de;Person {i}\n" for i in range(80_000))
    data = ("Email;Name\n" + ascii_rows).encode() + "s@x.de;Sören Jäger\n".encode("cp850")
    assert len(data) > 1 << 20
    assert probe(data) == "cp850"


def test_existing_encodings_still_read(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes("\ufeffEmail;Name\na@x.de;Zoë\n".encode())
    (tmp_path / "u16.csv").write_bytes("Email,Name\na@x.de,Zoë\n".encode("utf-16"))
    (tmp_path / "u8.csv").write_bytes("Email,Name\na@x.de,Zoë\n".encode())
    for name in ("bom.csv", "u16.csv", "u8.csv"):
        [r] = read(tmp_path, name)
        assert r.payload == {"Email": "a@x.de", "Name": "Zoë"}, name


def test_the_ms_dos_export_reads_right(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_bytes((DATA / "excel_msdos_cp850.csv").read_bytes())
    first = read(tmp_path)[0].payload
    assert (first["First Name"], first["Last Name"], first["Title"]) == ("Sören", "Jäger", "Geschäftsführerin")


def test_random_bytes_are_not_text(tmp_path: Path) -> None:
    rng = random.Random(3)
    assert probe(bytes(rng.randrange(0x80, 0x100) for _ in range(5000))) is None
    assert probe(bytes(rng.randrange(1, 0x100) for _ in range(5000))) is None
    (tmp_path / "list.csv").write_bytes((DATA / "random_bytes.csv").read_bytes())
    with pytest.raises(SourceError, match=r"^list.csv: not readable as text"):
        read(tmp_path)


# ------------------------------------------------------------------ header row


def test_a_preamble_above_the_header_is_skipped_with_line_numbers_kept(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("Exported from LeadVault on 2026-11-01\n\nEmail;First Name;Company\n"
                                       "a@x.de;Ann;A GmbH\nb@x.de;Bob\n")
    rows = read(tmp_path)
    assert rows[0].payload == {"Email": "a@x.de", "First Name": "Ann", "Company": "A GmbH"}
    assert rows[1].error == "list.csv line 5: row has 2 fields but the header has 3"  # the file's own line


def test_header_row_setting_wins_over_detection(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("Report,Leads\nrun by,ops\nKontakt,Mail\nAnn,a@x.de\n")
    [r] = read(tmp_path, header_row=3)
    assert r.payload == {"Kontakt": "Ann", "Mail": "a@x.de"}
    with pytest.raises(SourceError, match=r"list.csv: no line 9 \(header_row\) in the file"):
        read(tmp_path, header_row=9)


def test_header_row_in_the_config_is_checked(tmp_path: Path) -> None:
    cfg = {"sources": [{"name": "v", "type": "file", "path": "a/*.csv", "header_row": 3}]}
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump(cfg))
    assert load_config(tmp_path / "ok.yaml").sources[0].settings.header_row == 3
    cfg["sources"][0]["header_row"] = 0
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="header_row"):
        load_config(tmp_path / "bad.yaml")


def test_first_row_stays_the_header_when_no_row_is_known() -> None:
    assert header_index([["Colour", "Size"], ["red", "XL"]]) == 0
    assert header_index([["Exported 2026-11-01"], [""], ["Email", "Name"], ["a@x", "A"]]) == 2
    assert header_index([[""], ["Colour", "Size"]]) == 1


def test_xlsx_preamble_repeated_headers_and_header_only(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Exported from LeadVault on 2026-11-01"])
    ws.append([])
    ws.append(["First Name", "Last Name", "Email", "Phone", "Phone"])
    ws.append(["Ann", "Lee", "ann@x.de", None, 4915123456789])
    wb.save(tmp_path / "list.xlsx")
    [r] = read(tmp_path, "list.xlsx")
    assert r.payload == {"First Name": "Ann", "Last Name": "Lee", "Email": "ann@x.de", "Phone": "",
                         "Phone (2)": "4915123456789"}
    wb = Workbook()
    wb.active.append(["Email", "Name"])
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(SourceError, match=r"empty.xlsx: a header row \(row 1: Email, Name\) but no data rows"):
        read(tmp_path, "empty.xlsx")


# ------------------------------------------------------------------ repeated columns


def test_repeated_names_get_a_free_suffix() -> None:
    assert unique_headers(["Phone", "Phone", "Phone"]) == ["Phone", "Phone (2)", "Phone (3)"]
    assert unique_headers(["Phone", "Phone (2)", "Phone"]) == ["Phone", "Phone (2)", "Phone (3)"]
    assert unique_headers([" Email ", "", "Email"]) == ["Email", "column_2", "Email (2)"]


def test_repeated_columns_are_mapped_by_content() -> None:
    headers = ["First Name", "Email", "Phone", "Phone (2)", "First Name (2)"]
    rows = [{"First Name": "Ann", "Email": "a@x.de", "Phone": "+49 30 1", "Phone (2)": "+49 151 2",
             "First Name (2)": "Ann"},
            {"First Name": "Bob", "Email": "b@x.de", "Phone": "", "Phone (2)": "+49 170 3", "First Name (2)": ""}]
    m = map_headers(headers, rows=rows)
    assert m.fields["phone"] == "Phone" and m.fallbacks == {"phone": ["Phone (2)"]}
    assert m.same_as == {"First Name (2)": "First Name"}
    assert m.unmapped == []
    assert m.column("phone", rows) == ["+49 30 1", "+49 170 3"]
    override = map_headers(headers, overrides={"phone": "Phone (2)"}, rows=rows)
    assert override.fields["phone"] == "Phone (2)" and override.fallbacks == {}
    different = [dict(rows[0], **{"First Name (2)": "Anna"})]
    assert map_headers(headers, rows=different).fallbacks["first_name"] == ["First Name (2)"]


# ------------------------------------------------------------------ paths


def test_missing_paths_fail_and_an_empty_glob_warns(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="does not exist"):
        FileSource("v", str(tmp_path / "nope.csv")).discover(SourceState())
    with pytest.raises(SourceUnavailable, match="does not exist"):
        FileSource("v", str(tmp_path / "nope")).discover(SourceState())
    with pytest.raises(SourceUnavailable, match="the folder .*nope.* does not exist"):
        FileSource("v", str(tmp_path / "nope" / "*.csv")).discover(SourceState())
    empty = FileSource("v", str(tmp_path / "*.csv"))
    assert empty.discover(SourceState()) == []
    assert empty.warnings == [f"no file matches {str(tmp_path / '*.csv')!r} (yet)"]
    (tmp_path / "leads.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SourceUnavailable, match="leads.xls: unknown file type; set 'format'"):
        FileSource("v", str(tmp_path / "leads.xls")).discover(SourceState())
    folder = FileSource("v", str(tmp_path))
    assert folder.discover(SourceState()) == []
    assert folder.warnings == ["1 file(s) of unknown type skipped: leads.xls"]


def test_an_empty_bucket_prefix_is_only_a_warning() -> None:
    src = FileSource("v", "memory://empty-bucket/lists/*.csv")
    assert src.discover(SourceState()) == []
    assert src.warnings and "no file matches" in src.warnings[0]

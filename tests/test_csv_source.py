"""The CSV file source: fingerprints, broken rows and unusable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sources.base import SourceError
from connectors.sources.csv_file import CsvFileSource


def _source(folder: Path) -> CsvFileSource:
    return CsvFileSource("vendor", str(folder / "*.csv"))


def test_same_file_once_changed_file_again(tmp_path: Path) -> None:
    f = tmp_path / "list.csv"
    f.write_text("Email,Name\na@x.com,A\n", encoding="utf-8")
    src = _source(tmp_path)
    [unit] = src.discover(set())
    assert src.discover({unit.fingerprint}) == []
    f.write_text("Email,Name\na@x.com,A\nb@x.com,B\n", encoding="utf-8")
    [changed] = src.discover({unit.fingerprint})
    assert changed.fingerprint != unit.fingerprint


def test_rows_keep_every_column_and_quoted_newlines(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(
        '\ufeffEmail,Name,Notes\na@x.com,"Doe, Jane","line one\nline two"\nb@x.com,Bob,\n', encoding="utf-8"
    )
    src = _source(tmp_path)
    records = list(src.read(src.discover(set())[0]))
    assert [r.source_row for r in records] == [1, 2]
    assert records[0].payload == {"Email": "a@x.com", "Name": "Doe, Jane", "Notes": "line one\nline two"}
    assert all(r.error is None for r in records)


def test_semicolon_files_are_detected(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("Email;Name\na@x.com;Ann\n", encoding="utf-8")
    src = _source(tmp_path)
    [record] = list(src.read(src.discover(set())[0]))
    assert record.payload == {"Email": "a@x.com", "Name": "Ann"}


def test_short_and_long_rows_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("Email,Name\na@x.com\nb@x.com,B,extra\nc@x.com,C\n", encoding="utf-8")
    src = _source(tmp_path)
    records = list(src.read(src.discover(set())[0]))
    assert records[0].error == "list.csv line 2: row has 1 fields but the header has 2"
    assert records[1].error == "list.csv line 3: row has 3 fields but the header has 2"
    assert records[1].payload["_extra_fields"] == "extra"
    assert records[2].error is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "list.csv: the file is empty"),
        (b"Email,Email\na,b\n", "header repeats column(s) ['Email']"),
        ("Email,Name\nm\xfcller@x.de,M\xfcller\n".encode("cp1252"), "not readable as utf-8-sig"),
    ],
)
def test_unusable_files_fail_with_the_file_name(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "list.csv").write_bytes(content)
    src = _source(tmp_path)
    with pytest.raises(SourceError) as err:
        list(src.read(src.discover(set())[0]))
    assert message in str(err.value)

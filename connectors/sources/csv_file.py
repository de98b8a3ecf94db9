"""CSV files from purchased lists and form exports, read from a local folder or glob.

Each file is identified by the SHA-256 of its bytes, so the same file is ingested once and a file that
changed is ingested again as a new version.
"""

from __future__ import annotations

import csv
import glob
import hashlib
from collections.abc import Iterator
from pathlib import Path

from connectors.sources.base import RawRecord, SourceError, SourceUnit

_SNIFF_BYTES = 64 * 1024


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CsvFileSource:
    def __init__(self, name: str, pattern: str, encoding: str = "utf-8-sig", delimiter: str | None = None):
        self.name = name
        self.pattern = pattern
        self.encoding = encoding
        self.delimiter = delimiter

    def discover(self, seen_fingerprints: set[str]) -> list[SourceUnit]:
        units = []
        for p in sorted(glob.glob(self.pattern)):
            path = Path(p)
            if not path.is_file():
                continue
            fp = file_fingerprint(path)
            if fp not in seen_fingerprints:
                units.append(SourceUnit(path.name, str(path), fp, path.stat().st_size))
        return units

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        path = Path(unit.locator)
        try:
            with path.open(encoding=self.encoding, newline="") as fh:
                sample = fh.read(_SNIFF_BYTES)
                if not sample.strip():
                    raise SourceError(f"{unit.name}: the file is empty")
                fh.seek(0)
                reader = csv.reader(fh, delimiter=self.delimiter or _sniff_delimiter(sample))
                header = [h.strip() for h in next(reader)]
                if len(set(header)) != len(header):
                    dupes = sorted({h for h in header if header.count(h) > 1})
                    raise SourceError(f"{unit.name}: header repeats column(s) {dupes}")
                for number, row in enumerate(reader, start=1):
                    yield _record(unit.name, number, header, row, reader.line_num)
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{unit.name}: not readable as {self.encoding} (byte {exc.start}); set 'encoding' for this source"
            ) from None
        except csv.Error as exc:
            raise SourceError(f"{unit.name}: not a readable CSV file: {exc}") from None


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _record(file_name: str, number: int, header: list[str], row: list[str], line: int) -> RawRecord:
    if len(row) == len(header):
        return RawRecord(number, dict(zip(header, row, strict=True)))
    payload = dict(zip(header, row, strict=False))
    if len(row) > len(header):
        payload["_extra_fields"] = "|".join(row[len(header):])
    return RawRecord(
        number,
        payload,
        error=f"{file_name} line {line}: row has {len(row)} fields but the header has {len(header)}",
    )


def from_config(src, cfg) -> CsvFileSource:  # noqa: ANN001 - entry point factory
    return CsvFileSource(src.name, str(cfg.resolve(src.path)), encoding=src.encoding, delimiter=src.delimiter)

"""Purchased lists and form-tool exports as files: a local folder or glob, or an object-storage URI.

Each file version is identified by the SHA-256 of its bytes, so the same file is ingested once and a file
that changed is ingested again as a new version. Paths go through fsspec, the layer under Airflow's
ObjectStoragePath, so `s3://bucket/lists/*.csv`, `gs://...` or `file:///...` work like a local glob
(the matching fsspec backend, e.g. s3fs, must be installed; credentials come from its usual environment).
The fingerprint pass also decides the text encoding, so reading never has to guess from a sample.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from connectors.sources.base import (
    RawRecord,
    SourceContext,
    SourceError,
    SourceState,
    SourceUnavailable,
    SourceUnit,
    source_prefix,
)
from connectors.sources.file_formats import EncodingProbe, format_for, read_records
from leadpipe.core.settings import HomePath, Strict

_BLOCK = 1 << 20


class FileSettings(Strict):
    """The YAML keys of a `type: file` source."""

    path: HomePath | None = Field(None, description="File, folder, glob or URI, e.g. '{home}/inputs/apollo_*.csv'.")
    format: Literal["auto", "csv", "tsv", "xlsx", "json", "ndjson"] = "auto"
    delimiter: str | None = None
    encoding: str = Field("auto", description="'auto' detects BOM / UTF-8 / Windows-1252.")
    sheet: str | None = Field(None, description="Worksheet of an .xlsx file; default the first.")

    @model_validator(mode="after")
    def _needs_path(self, info: ValidationInfo) -> FileSettings:
        if not self.path:
            raise ValueError(f"{source_prefix(info)}a file source needs 'path' (a file, folder, glob or URI)")
        return self


class FileSource:
    """Files matching `pattern`; a folder means every supported file directly inside it."""

    Settings = FileSettings

    def __init__(self, name: str, pattern: str, fmt: str = "auto", encoding: str = "auto",
                 delimiter: str | None = None, sheet: str | None = None):
        self.name = name
        self.pattern = pattern
        self.fmt = fmt
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
        self._encodings: dict[str, str] = {}  # fingerprint -> detected encoding

    @classmethod
    def from_settings(cls, name: str, settings: FileSettings, context: SourceContext) -> FileSource:
        """`settings.path` must already be absolute or a URI: the pipeline resolves `{home}` before."""
        return cls(name, settings.path or "", fmt=settings.format, encoding=settings.encoding,
                   delimiter=settings.delimiter, sheet=settings.sheet)

    def _fs(self):  # noqa: ANN202
        import fsspec  # ~30 ms; config load imports this module for its Settings only

        try:
            return fsspec.core.url_to_fs(self.pattern)
        except (ImportError, ValueError) as exc:
            raise SourceUnavailable(f"cannot open {self.pattern!r}: {exc}") from None

    def _paths(self) -> tuple[object, list[str]]:
        fs, path = self._fs()
        try:
            if any(c in path for c in "*?["):
                found = fs.glob(path)
            elif fs.isdir(path):
                found = [p for p in fs.ls(path, detail=False)]
            else:
                found = [path] if fs.exists(path) else []
            files = sorted(p for p in found if fs.isfile(p))
        except (OSError, PermissionError) as exc:
            raise SourceUnavailable(f"cannot list {self.pattern!r}: {exc}") from None
        if self.fmt == "auto":
            files = [p for p in files if format_for(p)]
        return fs, files

    def discover(self, state: SourceState) -> list[SourceUnit]:
        fs, files = self._paths()
        units = []
        for path in files:
            digest, probe = hashlib.sha256(), EncodingProbe()
            with fs.open(path, "rb") as fh:
                for block in iter(lambda: fh.read(_BLOCK), b""):
                    digest.update(block)
                    probe.feed(block)
            fp = digest.hexdigest()
            if fp in state.seen or fp in self._encodings:
                continue  # stored before, or a byte-identical copy of a file listed just now: one version
            self._encodings[fp] = probe.encoding()
            units.append(SourceUnit(PurePosixPath(path).name, fs.unstrip_protocol(path), fp, fs.size(path)))
        return units

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        import fsspec  # ~30 ms; config load imports this module for its Settings only

        fmt = self.fmt if self.fmt != "auto" else format_for(unit.name)
        if fmt is None:
            raise SourceError(f"{unit.name}: unknown file type; set 'format' for source {self.name}")
        encoding = self.encoding if self.encoding != "auto" else self._encodings.get(unit.fingerprint)
        if encoding is None:
            probe = EncodingProbe()
            with fsspec.open(unit.locator, "rb") as fh:
                for block in iter(lambda: fh.read(_BLOCK), b""):
                    probe.feed(block)
            encoding = probe.encoding()
        try:
            with fsspec.open(unit.locator, "rb") as fh:
                yield from read_records(fh, fmt, unit.name, encoding, self.delimiter, self.sheet)
        except FileNotFoundError:
            raise SourceError(f"{unit.name}: the file disappeared before it could be read") from None
        except LookupError:
            raise SourceError(f"{unit.name}: unknown encoding {encoding!r} in the source config") from None

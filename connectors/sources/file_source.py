"""Purchased lists and form-tool exports as files: a local folder or glob, or an object-storage URI.

Each file version is identified by the SHA-256 of its bytes, so the same file is ingested once and a file
that changed is ingested again as a new version. Paths go through fsspec, the layer under Airflow's
ObjectStoragePath, so `s3://bucket/lists/*.csv`, `gs://...` or `file:///...` work like a local glob
(the matching fsspec backend, e.g. s3fs, must be installed; credentials come from its usual environment).
The fingerprint pass also decides the text encoding, so reading never has to guess from a sample.

A path that names a file or folder that does not exist is a typo until proven otherwise: the source fails
(SourceUnavailable, a source error in the run summary) instead of ingesting nothing night after night. A
glob that matches nothing is normal between deliveries, so it is only a warning (`warnings` after
`discover`), as are files in a folder or glob that no reader knows by their extension.
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
from connectors.sources.encodings import EncodingProbe
from connectors.sources.file_formats import FORMATS, format_for, read_records
from leadpipe.core.settings import HomePath, Strict

_BLOCK = 1 << 20


class FileSettings(Strict):
    """The YAML keys of a `type: file` source."""

    path: HomePath | None = Field(None, description="File, folder, glob or URI, e.g. '{home}/inputs/apollo_*.csv'.")
    format: Literal["auto", "csv", "tsv", "xlsx", "json", "ndjson"] = "auto"
    delimiter: str | None = None
    encoding: str = Field("auto", description="'auto' detects BOM, UTF-8, else the code page (charset-normalizer).")
    sheet: str | None = Field(None, description="Worksheet of an .xlsx file; default the first.")
    header_row: int | None = Field(None, ge=1, description="1-based line (CSV) or row (.xlsx) of the header; "
                                   "default: found below any vendor preamble.")

    @model_validator(mode="after")
    def _needs_path(self, info: ValidationInfo) -> FileSettings:
        if not self.path:
            raise ValueError(f"{source_prefix(info)}a file source needs 'path' (a file, folder, glob or URI)")
        return self


class FileSource:
    """Files matching `pattern`; a folder means every supported file directly inside it."""

    Settings = FileSettings

    def __init__(self, name: str, pattern: str, fmt: str = "auto", encoding: str = "auto",
                 delimiter: str | None = None, sheet: str | None = None, header_row: int | None = None):
        self.name = name
        self.pattern = pattern
        self.fmt = fmt
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
        self.header_row = header_row
        self._encodings: dict[str, str | None] = {}  # fingerprint -> detected encoding (None: not text)
        self.warnings: list[str] = []  # what the last discover() noticed but did not fail on

    @classmethod
    def from_settings(cls, name: str, settings: FileSettings, context: SourceContext) -> FileSource:
        """`settings.path` must already be absolute or a URI: the pipeline resolves `{home}` before."""
        return cls(name, settings.path or "", fmt=settings.format, encoding=settings.encoding,
                   delimiter=settings.delimiter, sheet=settings.sheet, header_row=settings.header_row)

    def _fs(self):  # noqa: ANN202
        import fsspec  # ~30 ms; config load imports this module for its Settings only

        try:
            return fsspec.core.url_to_fs(self.pattern)
        except (ImportError, ValueError) as exc:
            raise SourceUnavailable(f"cannot open {self.pattern!r}: {exc}") from None

    def _paths(self) -> tuple[object, list[str]]:
        """The files to read. A named file or folder that does not exist fails the source; a glob matching
        nothing, or only files of unknown type, is a warning."""
        fs, path = self._fs()
        self.warnings = []
        try:
            if any(c in path for c in "*?["):
                folder = _glob_folder(path)
                if folder and _is_local(fs) and not fs.isdir(folder):
                    raise SourceUnavailable(f"the folder {folder!r} of path {self.pattern!r} does not exist; "
                                            "check the path in the config")
                found = fs.glob(path)
                if not found:
                    self.warnings.append(f"no file matches {self.pattern!r} (yet)")
            elif fs.isdir(path):
                found = [p for p in fs.ls(path, detail=False)]
            elif fs.exists(path):
                found = [path]
            else:
                raise SourceUnavailable(f"{self.pattern!r} does not exist (no such file or folder); "
                                        "check the path in the config")
            files = sorted(p for p in found if fs.isfile(p))
        except (OSError, PermissionError) as exc:
            raise SourceUnavailable(f"cannot list {self.pattern!r}: {exc}") from None
        if self.fmt == "auto":
            unknown = [p for p in files if not format_for(p)]
            if unknown and files == [path]:
                raise SourceUnavailable(f"{PurePosixPath(path).name}: unknown file type; set 'format' "
                                        f"(one of {', '.join(FORMATS)}) for source {self.name}")
            if unknown:
                names = ", ".join(PurePosixPath(p).name for p in unknown[:5])
                more = ", ..." if len(unknown) > 5 else ""
                self.warnings.append(f"{len(unknown)} file(s) of unknown type skipped: {names}{more}")
            files = [p for p in files if format_for(p)]
        return fs, files

    def discover(self, state: SourceState) -> list[SourceUnit]:
        fs, files = self._paths()
        units = []
        listed: set[str] = set()
        for path in files:
            digest, probe = hashlib.sha256(), EncodingProbe()
            with fs.open(path, "rb") as fh:
                for block in iter(lambda: fh.read(_BLOCK), b""):
                    digest.update(block)
                    probe.feed(block)
            fp = digest.hexdigest()
            if fp in state.seen or fp in listed:
                continue  # stored before, or a byte-identical copy of a file listed just now: one version
            listed.add(fp)
            if self.encoding == "auto" and self._fmt_of(path) != "xlsx":  # decided now: a probe holds a sample
                self._encodings[fp] = probe.encoding()
            units.append(SourceUnit(PurePosixPath(path).name, fs.unstrip_protocol(path), fp, fs.size(path)))
        return units

    def encoding_of(self, unit: SourceUnit) -> str | None:
        """The encoding `read` decodes a discovered unit with (None: not readable as text, or an .xlsx)."""
        if self.encoding != "auto":
            return self.encoding
        return self._encodings.get(unit.fingerprint)

    def fmt_of(self, unit: SourceUnit) -> str | None:
        """The format `read` reads a unit as (None: unknown)."""
        return self._fmt_of(unit.name)

    def _fmt_of(self, name: str) -> str | None:
        return self.fmt if self.fmt != "auto" else format_for(name)

    def read(self, unit: SourceUnit) -> Iterator[RawRecord]:
        import fsspec  # ~30 ms; config load imports this module for its Settings only

        fmt = self._fmt_of(unit.name)
        if fmt is None:
            raise SourceError(f"{unit.name}: unknown file type; set 'format' for source {self.name}")
        encoding: str | None = self.encoding
        if encoding == "auto" and fmt != "xlsx":
            if unit.fingerprint in self._encodings:
                encoding = self._encodings[unit.fingerprint]
            else:  # a unit this instance did not discover
                probe = EncodingProbe()
                with fsspec.open(unit.locator, "rb") as fh:
                    for block in iter(lambda: fh.read(_BLOCK), b""):
                        probe.feed(block)
                encoding = probe.encoding()
        try:
            with fsspec.open(unit.locator, "rb") as fh:
                yield from read_records(fh, fmt, unit.name, encoding, self.delimiter, self.sheet, self.header_row)
        except FileNotFoundError:
            raise SourceError(f"{unit.name}: the file disappeared before it could be read") from None
        except LookupError:
            raise SourceError(f"{unit.name}: unknown encoding {encoding!r} in the source config") from None


def _glob_folder(path: str) -> str:
    """The fixed folder part of a glob: `/in/apollo/*.csv` -> `/in/apollo`."""
    parts = path.split("/")
    fixed = []
    for part in parts[:-1]:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def _is_local(fs: object) -> bool:
    """Local disks have real folders; object stores only have key prefixes, which an empty bucket lacks."""
    protocol = getattr(fs, "protocol", "")
    return bool({"file", "local"} & set(protocol if isinstance(protocol, tuple) else (protocol,)))

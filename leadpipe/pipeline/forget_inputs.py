"""Which vendor input files still contain a person being erased (`leadpipe forget`, dry run and real run).

Input files are the user's own copies of what they bought: leadpipe never changes them, but after an erasure
the user must know which ones to delete (or ask the vendor to re-deliver without the person), or a later run
would read the person again (the ingest guard would then refuse them, but the file itself still holds them).

A row contains the person when it carries one of the plan's PERSONAL emails or phones after normalisation,
matched exactly, never as a substring: `Jan Ott <JAN.OTT@acme.de>` is `jan.ott@acme.de`, and is not
`an.ott@acme.de`. The decision is the ingest guard's own (`ErasureGuard.scrub`: the mapped email and phone
normalised as the pipeline stores them, with the row's country; every other column searched for values that
parse as an email or a phone), so this lists exactly the rows a later ingest would refuse. The guard compares
keyed hashes; here they are made with a throwaway key from the plan's values, so no secret is read.

Only sources of type `file` are looked at. A source or file that cannot be read is reported with its error;
it never fails the erasure.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.sources.base import Source, SourceState, SourceUnit, batched
from connectors.sources.mapping import record_headers
from enrichment.suppress import tombstone_digests, tombstone_value
from leadpipe.pipeline.erasure_guard import ErasureGuard
from leadpipe.pipeline.ingest import BATCH_ROWS, build_source, unit_mapping
from leadpipe.pipeline.settings import Config, SourceConfig

FILE_SOURCE = "file"


@dataclass
class InputFiles:
    """Input files still containing the person (file -> rows) and what could not be read (name -> error)."""

    files: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def find_in_input_files(cfg: Config, emails: Iterable[str], phones: Iterable[str]) -> InputFiles:
    """Every file of every `file` source with rows carrying one of these (normalised, personal) emails or
    phones exactly; reads only. Nothing to look for: nothing found."""
    guard = _guard(emails, phones)
    out = InputFiles()
    if not guard:
        return out
    for src in cfg.sources:
        if src.type != FILE_SOURCE:
            continue
        try:
            source = build_source(src, cfg)
            units = source.discover(SourceState())
        except Exception as exc:  # noqa: BLE001 - an unreadable source is reported, never fails the erasure
            out.unreadable[f"source {src.name}"] = _message(exc)
            continue
        for unit in units:
            try:
                rows = _rows_carrying(guard, src, source, unit)
            except Exception as exc:  # noqa: BLE001 - as above, for one file
                out.unreadable[_file_name(unit)] = _message(exc)
                continue
            if rows:
                out.files[_file_name(unit)] = out.files.get(_file_name(unit), 0) + rows
    return out


def _guard(emails: Iterable[str], phones: Iterable[str]) -> ErasureGuard:
    """An ingest guard that knows only these values (hashed with a key used for this one search)."""
    key = secrets.token_bytes(32)

    def digests(kind: str, values: Iterable[str]) -> frozenset[str]:
        return frozenset(d for v in values if (norm := tombstone_value(kind, v))
                         for d in tombstone_digests(kind, norm, key))

    return ErasureGuard(digests("email", emails), digests("phone", phones), key)


def _rows_carrying(guard: ErasureGuard, src: SourceConfig, source: Source, unit: SourceUnit) -> int:
    """How many of the unit's rows the guard would refuse, mapped batch by batch as ingest maps them."""
    found = 0
    for batch in batched(source.read(unit), BATCH_ROWS):
        _, flags = guard.scrub(batch, unit_mapping(src, record_headers(batch)).fields)
        found += sum(flags)
    return found


def _file_name(unit: SourceUnit) -> str:
    """The file as the user finds it: a local path without `file://`, any other location as given."""
    return unit.locator.removeprefix("file://")


def _message(exc: Exception) -> str:
    return str(exc) or type(exc).__name__

"""See which connectors exist and try one configured source on a sample, storing nothing
(`leadpipe connectors list|check`).

A check reads a few units the way ingest would, maps their headers the way ingest would, and lists every
problem the nightly run would hit: unreadable units, configured columns the file lacks, no identity column,
rows that would be quarantined. It compares with the warehouse's stored state only if the warehouse already
exists; it never creates or migrates one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy import inspect

from connectors.registry import source_factories
from connectors.sources.base import Source, SourceError, SourceState, SourceUnit
from connectors.sources.mapping import record_headers
from leadpipe.pipeline.ingest import IDENTITY_FIELDS, build_source, load_state, source_warnings, unit_mapping
from leadpipe.pipeline.settings import Config, ConfigError, SourceConfig
from leadpipe.store.warehouse import engine_for

EXAMPLE_PROBLEMS = 5


def describe_connectors(cfg: Config) -> list[str]:
    """One line per installed connector type, then one per configured source."""
    lines = [f"type {type_name:<10} {target}" for type_name, target in sorted(source_factories().items())]
    for s in cfg.sources:
        lines.append(f"source {s.name:<20} type={s.type} kind={s.kind} preset={s.preset or '-'} {s.location}")
    return lines


@dataclass(frozen=True)
class MappedField:
    field: str
    header: str
    how: str  # "override" | "preset" | "auto (score 95)"
    example: str


@dataclass
class UnitCheck:
    name: str
    read_error: str | None = None  # the unit could not be read at all
    sampled: int = 0
    columns: int = 0
    fields: list[MappedField] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    backups: dict[str, list[str]] = field(default_factory=dict)  # field -> repeated columns used when empty
    same_as: dict[str, str] = field(default_factory=dict)  # repeated column -> the column it copies
    problems: list[str] = field(default_factory=list)  # the unit's own problems (unreadable, columns)
    bad_rows: list[str] = field(default_factory=list)  # the first few unreadable records' reasons
    quarantined: int = 0  # sampled records that would be quarantined


@dataclass
class SourceCheck:
    name: str
    type: str
    units_found: int
    not_ingested: int
    units: list[UnitCheck]
    warnings: list[str] = field(default_factory=list)  # noticed, not failing: a glob matching no file yet

    @property
    def problem_count(self) -> int:
        """Each unit problem counts once, and any number of bad records in a unit counts once."""
        return sum(bool(u.read_error) + len(u.problems) + bool(u.quarantined) for u in self.units)


def check_source(cfg: Config, name: str, *, rows: int = 100, max_units: int = 3) -> SourceCheck:
    """Sample up to `max_units` units of source `name`, `rows` records each. ConfigError for an unknown name;
    SourceError (naming the source) when the source cannot even list its units."""
    src = next((s for s in cfg.sources if s.name == name), None)
    if src is None:
        raise ConfigError(f"no source named {name!r}; configured: {', '.join(s.name for s in cfg.sources)}")
    source = build_source(src, cfg)
    try:
        units = source.discover(SourceState())
    except SourceError as exc:
        raise SourceError(f"source {name}: {exc}") from exc
    warnings = source_warnings(source)
    saved = _saved_state(cfg, name)
    new = len(source.discover(saved)) if saved is not None and units else len(units)
    checked = [_check_unit(src, source, u, rows) for u in units[:max_units]]
    return SourceCheck(name, src.type, len(units), new, checked, warnings)


def _check_unit(src: SourceConfig, source: Source, unit: SourceUnit, rows: int) -> UnitCheck:
    check = UnitCheck(unit.name)
    try:
        sample = list(islice(source.read(unit), rows))
    except SourceError as exc:
        check.read_error = str(exc)
        return check
    headers = record_headers(sample)
    m = unit_mapping(src, headers, rows=[r.payload for r in sample])
    check.sampled, check.columns, check.unmapped = len(sample), len(headers), list(m.unmapped)
    check.backups, check.same_as = dict(m.fallbacks), dict(m.same_as)
    for fld, header in sorted(m.fields.items()):
        example = next((r.payload.get(header, "") for r in sample if r.payload.get(header)), "")
        check.fields.append(MappedField(fld, header, m.how[fld], example))
    if m.missing:
        check.problems.append(f"configured column(s) not in the file: {', '.join(m.missing)}")
    if not set(m.fields) & set(IDENTITY_FIELDS):
        check.problems.append(f"no column for any of {', '.join(IDENTITY_FIELDS)}; set 'preset' or 'mapping'")
    bad = [r for r in sample if r.error]
    check.bad_rows = [r.error for r in bad[:EXAMPLE_PROBLEMS]]
    check.quarantined = len(bad)
    return check


def _saved_state(cfg: Config, name: str) -> SourceState | None:
    """The stored state when the warehouse already has it; never creates or migrates anything."""
    url = cfg.warehouse_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None  # opening it would create the file
    try:
        engine = engine_for(url)
        if not {"source_files", "source_state"} <= set(inspect(engine).get_table_names()):
            return None
        return load_state(engine, name)
    except Exception:  # noqa: BLE001 - a check must work without a warehouse
        return None


def format_source_check(check: SourceCheck) -> str:
    lines = [(f"source {check.name} ({check.type}): {check.units_found} unit(s) found, "
             f"{check.not_ingested} not ingested yet")]
    lines += [f"  WARNING: {w}" for w in check.warnings]
    for u in check.units:
        lines += ["", u.name]
        if u.read_error:
            lines.append(f"  PROBLEM: {u.read_error}")
            continue
        lines.append(f"  {u.sampled} record(s) sampled, {u.columns} column(s)")
        for f in u.fields:
            lines.append(f"  {f.field:<14} <- {f.header!r:<28} {f.how:<16} e.g. {f.example[:40]!r}")
        for f in u.fields:
            lines += [f"  {f.field:<14} <- {h!r:<28} when {f.header!r} is empty" for h in u.backups.get(f.field, [])]
        if u.same_as:
            same = ", ".join(f"{h} = {b}" for h, b in u.same_as.items())
            lines.append(f"  repeated columns with the same values: {same}")
        if u.unmapped:
            lines.append(f"  kept raw only: {', '.join(u.unmapped)}")
        lines += [f"  PROBLEM: {p}" for p in u.problems + u.bad_rows]
        if u.quarantined:
            lines.append(f"  {u.quarantined} of {u.sampled} sampled record(s) would be quarantined")
    return "\n".join(lines)

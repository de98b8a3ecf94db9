"""`leadpipe connectors list|check`: see which connectors exist and try one source without storing anything."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import click

from connectors.sources.base import SourceError, SourceState


def _config(ctx: click.Context):  # noqa: ANN202
    from leadpipe.pipeline.settings import ConfigError, load_config

    try:
        return load_config(ctx.obj.get("config") if ctx.obj else None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _saved_state(cfg, name: str) -> SourceState | None:  # noqa: ANN001
    """The stored state when the warehouse already has it; never creates or migrates anything."""
    from sqlalchemy import inspect

    from leadpipe.pipeline.ingest import load_state
    from leadpipe.store.warehouse import engine_for

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


@click.group("connectors")
def connectors_command() -> None:
    """Source connectors: list the installed types and configured sources, or check one source."""


@connectors_command.command("list")
@click.pass_context
def list_connectors(ctx: click.Context) -> None:
    """Installed connector types and the sources configured with them."""
    from connectors.registry import source_factories

    for type_name, target in sorted(source_factories().items()):
        click.echo(f"type {type_name:<10} {target}")
    cfg = _config(ctx)
    for s in cfg.sources:
        click.echo(f"source {s.name:<20} type={s.type} kind={s.kind} preset={s.preset or '-'} {s.location}")


@connectors_command.command("check")
@click.argument("name")
@click.option("--rows", default=100, show_default=True, help="Records to sample per unit.")
@click.option("--units", "max_units", default=3, show_default=True, help="Units (files, windows) to sample.")
@click.pass_context
def check(ctx: click.Context, name: str, rows: int, max_units: int) -> None:
    """Read a sample of source NAME, print the mapped fields and any problems. Stores nothing."""
    from leadpipe.pipeline.ingest import IDENTITY_FIELDS, _headers, build_source, unit_mapping

    cfg = _config(ctx)
    src = next((s for s in cfg.sources if s.name == name), None)
    if src is None:
        raise click.ClickException(f"no source named {name!r}; configured: {', '.join(s.name for s in cfg.sources)}")
    source = build_source(src, cfg)
    problems = 0
    try:
        units = source.discover(SourceState())
    except SourceError as exc:
        raise click.ClickException(f"source {name}: {exc}") from None
    saved = _saved_state(cfg, name)
    new = len(source.discover(saved)) if saved is not None and units else len(units)
    click.echo(f"source {name} ({src.type}): {len(units)} unit(s) found, {new} not ingested yet")
    for unit in units[:max_units]:
        click.echo(f"\n{unit.name}")
        try:
            sample = list(islice(source.read(unit), rows))
        except SourceError as exc:
            click.echo(f"  PROBLEM: {exc}")
            problems += 1
            continue
        headers = _headers(sample)
        m = unit_mapping(src, headers)
        click.echo(f"  {len(sample)} record(s) sampled, {len(headers)} column(s)")
        for field, header in sorted(m.fields.items()):
            example = next((r.payload.get(header, "") for r in sample if r.payload.get(header)), "")
            click.echo(f"  {field:<14} <- {header!r:<28} {m.how[field]:<16} e.g. {example[:40]!r}")
        if m.unmapped:
            click.echo(f"  kept raw only: {', '.join(m.unmapped)}")
        if m.missing:
            click.echo(f"  PROBLEM: configured column(s) not in the file: {', '.join(m.missing)}")
            problems += 1
        if not set(m.fields) & set(IDENTITY_FIELDS):
            click.echo(f"  PROBLEM: no column for any of {', '.join(IDENTITY_FIELDS)}; set 'preset' or 'mapping'")
            problems += 1
        bad = [r for r in sample if r.error]
        for r in bad[:5]:
            click.echo(f"  PROBLEM: {r.error}")
        if bad:
            click.echo(f"  {len(bad)} of {len(sample)} sampled record(s) would be quarantined")
            problems += 1
    if problems:
        raise click.ClickException(f"source {name}: {problems} problem(s) found")
    click.echo("\nno problems found")

"""`leadpipe connectors list|check`: see which connectors exist and try one source without storing anything."""

from __future__ import annotations

import click

from connectors.sources.base import SourceError
from leadpipe.cli.common import echo, safe_message, settings, user_errors
from leadpipe.pipeline.source_check import check_source, describe_connectors, format_source_check


@click.group("connectors")
def connectors_command() -> None:
    """Source connectors: list the installed types and configured sources, or check one source."""


@connectors_command.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Installed connector types and the sources configured with them."""
    echo("\n".join(describe_connectors(settings(ctx))))


@connectors_command.command("check")
@click.argument("name")
@click.option("--rows", default=100, show_default=True, help="Records to sample per unit.")
@click.option("--units", "max_units", default=3, show_default=True, help="Units (files, windows) to sample.")
@click.pass_context
def check_command(ctx: click.Context, name: str, rows: int, max_units: int) -> None:
    """Read a sample of source NAME, print the mapped fields and any problems. Stores nothing."""
    cfg = settings(ctx)
    with user_errors(SourceError):
        check = check_source(cfg, name, rows=rows, max_units=max_units)
    echo(format_source_check(check))
    if check.problem_count:
        raise click.ClickException(safe_message(f"source {name}: {check.problem_count} problem(s) found"))
    echo("\nno problems found")

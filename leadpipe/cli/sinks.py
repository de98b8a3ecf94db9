"""`leadpipe sinks list|check`: which CRM sinks are installed, and whether one can be reached. Writes nothing."""

from __future__ import annotations

import click

from connectors.sinks.base import SinkError
from leadpipe.cli.common import echo, safe_message, settings
from leadpipe.pipeline.push import check_sink, installed_sinks
from leadpipe.store.warehouse import engine_for


@click.group("sinks")
def sinks_command() -> None:
    """CRM sinks: list the installed types with their capabilities, or check one's credentials."""


@sinks_command.command("list")
@click.pass_context
def list_sinks(ctx: click.Context) -> None:
    """Installed sink types (from the leadpipe.sinks entry points) and what each declares it can do."""
    configured = settings(ctx).sink.type
    for name, caps in installed_sinks().items():
        echo(f"{name}{'  (configured)' if name == configured else ''}")
        echo(f"  {caps.describe()}")


@sinks_command.command("check")
@click.argument("name", required=False)
@click.pass_context
def check_sink_command(ctx: click.Context, name: str | None) -> None:
    """Build sink NAME (default: the configured one) from the config and check its credentials; sends nothing."""
    cfg = settings(ctx)
    name = name or cfg.sink.type
    try:
        said = check_sink(cfg.sink, name, engine_for(cfg.warehouse_url), cfg.runs_dir)
    except (SinkError, ValueError, NotImplementedError) as exc:
        raise click.ClickException(safe_message(f"sink {name}: {exc}")) from None
    echo(f"sink {name}: ok - {said}")

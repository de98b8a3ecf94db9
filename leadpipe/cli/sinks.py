"""`leadpipe sinks list|check`: which CRM sinks are installed, and whether one can be reached. Writes nothing."""

from __future__ import annotations

import click

from connectors.sinks.base import SinkError
from leadpipe.cli.common import echo, safe_message, settings
from leadpipe.pipeline.push import check_sink, installed_sinks


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
    """Check that CRM NAME (default: the configured sink) is set up for leadpipe: credentials, scopes or
    permissions, and the custom properties/fields it writes. Reads only; sends nothing. Exit code 1 and one
    line per problem, saying what to do, when something is missing."""
    cfg = settings(ctx)
    name = name or cfg.sink.type
    try:
        items = check_sink(cfg.sink, name, cfg.warehouse_url, cfg.runs_dir, cfg.redis_url)
    except (SinkError, ValueError, NotImplementedError) as exc:
        raise click.ClickException(safe_message(f"sink {name}: {exc}")) from None
    problems = [i for i in items if not i.ok]
    for item in items:
        echo(f"  {'ok     ' if item.ok else 'PROBLEM'}  {item.what}: {item.detail}")
    if problems:
        raise click.ClickException(f"sink {name}: {len(problems)} problem(s) to fix before pushing; see above")
    echo(f"sink {name}: ok - ready to push")

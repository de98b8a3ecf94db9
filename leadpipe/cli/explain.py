"""`leadpipe explain EMAIL`: one person's source rows, merges, score breakdown and outcome."""

from __future__ import annotations

import json
import sys

import click

from leadpipe.cli.common import settings
from leadpipe.pipeline.explain import format_explanation
from leadpipe.pipeline.person_requests import explain_person


@click.command("explain")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def explain_command(ctx: click.Context, email: str, as_json: bool) -> None:
    """Show one person's source rows, merges, score breakdown and outcome."""
    info = explain_person(settings(ctx), email)
    click.echo(json.dumps(info, indent=2, default=str) if as_json else format_explanation(info))
    if info["person"] is None and not info["rows"]:
        sys.exit(1)

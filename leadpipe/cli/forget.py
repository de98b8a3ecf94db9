"""`leadpipe forget EMAIL`: the command sales-ops or the DPO runs on an erasure request."""

from __future__ import annotations

import json

import click

from leadpipe.cli.common import settings
from leadpipe.pipeline.person_requests import forget_person, format_erasure


@click.command("forget")
@click.argument("email")
@click.option("--reason", default="erasure request", show_default=True, help="Recorded with the tombstone.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def forget_command(ctx: click.Context, email: str, reason: str, as_json: bool) -> None:
    """Erase EMAIL's personal data, block them from coming back, list the CRM records to delete."""
    erasure = forget_person(settings(ctx), email, reason=reason)
    click.echo(json.dumps(erasure.as_json(), indent=2) if as_json else format_erasure(erasure))

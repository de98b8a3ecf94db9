"""`leadpipe explain EMAIL|PHONE|PERSON_ID`: one person's source rows, merges, score breakdown and outcome."""

from __future__ import annotations

import sys

import click

from leadpipe.cli.common import echo, echo_json, settings
from leadpipe.pipeline.explain import UnusableQuery, format_explanation, found_one
from leadpipe.pipeline.person_requests import explain_person


@click.command("explain")
@click.argument("identifier", metavar="EMAIL|PHONE|PERSON_ID")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def explain_command(ctx: click.Context, identifier: str, as_json: bool) -> None:
    """Show one person's source rows, merges, score breakdown and outcome.

    The person is found by exact match on their normalised email, phone (international format) or person
    id; exit 1 when no one matches or several people share the phone (then their ids are listed), exit 2
    for empty or unusable input.
    """
    try:
        info = explain_person(settings(ctx), identifier)
    except UnusableQuery as exc:
        echo(f"explain: {exc}", err=True)
        sys.exit(2)
    if as_json:
        echo_json(info)
    else:
        echo(format_explanation(info))
    if not found_one(info):
        sys.exit(1)

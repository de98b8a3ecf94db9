"""`leadpipe demo`: the demo inputs in the configured home."""

from __future__ import annotations

import click

from leadpipe.cli.common import echo, settings
from leadpipe.pipeline.demo_inputs import ensure_demo_inputs


@click.command("demo")
@click.option("--people", default=400, show_default=True, help="How many distinct people to generate.")
@click.option("--seed", default=7, show_default=True)
@click.pass_context
def demo_command(ctx: click.Context, people: int, seed: int) -> None:
    """Generate the demo inputs (two purchased lists, form submissions) if they are missing."""
    inputs = ensure_demo_inputs(settings(ctx), people=people, seed=seed)
    echo(f"demo inputs {'written to' if inputs.created else 'already in'} {inputs.folder}")

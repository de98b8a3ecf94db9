"""`leadpipe release SOURCE@RUN_ID`: carry on a batch a critical check stopped, if today's thresholds pass it."""

from __future__ import annotations

import click

from leadpipe.cli.common import echo, settings
from leadpipe.pipeline.release import ReleaseRefused, release_batch


@click.command("release")
@click.argument("batch", required=False, default="")
@click.option("--dry-run", is_flag=True, help="Judge the batch and say what would happen; change nothing.")
@click.pass_context
def release_command(ctx: click.Context, batch: str, dry_run: bool) -> None:
    """Judge the stopped batch BATCH (SOURCE@RUN_ID, exactly) again under today's thresholds; if it passes,
    the next run carries its rows on. Without BATCH: the stopped batches are listed.

    Exit code 0: released (or would be, with --dry-run); 1: it still fails, and why; 2: the id is empty, a
    source alone, or names no stopped batch (nothing changed)."""
    cfg = settings(ctx)
    try:
        verdict = release_batch(cfg, batch, dry_run=dry_run)
    except ReleaseRefused as exc:
        echo(f"Error: {exc}", err=True)
        ctx.exit(2)
    echo(verdict.describe())
    ctx.exit(0 if verdict.passes else 1)

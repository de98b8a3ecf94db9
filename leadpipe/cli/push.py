"""`leadpipe push --dry-run`: show (and store) what a push would do for the current prospects, sending nothing."""

from __future__ import annotations

import click

from leadpipe.cli.common import echo, settings, user_errors
from leadpipe.pipeline.push_preview import CannotPreview, format_preview, preview_push


@click.command("push")
@click.option("--dry-run", is_flag=True, help="Plan only: print and store the plan, write nothing to the CRM.")
@click.option("--run", "run_id", default=None, help="Run whose prospects to plan (default: the newest run).")
@click.option("--show", default=10, show_default=True, help="How many planned records to list per action.")
@click.pass_context
def push_command(ctx: click.Context, dry_run: bool, run_id: str | None, show: int) -> None:
    """Plan a CRM push for the current prospects (create / update / skip / review)."""
    if not dry_run:
        raise click.UsageError("real pushes run in the nightly DAG (push task); use --dry-run to see the plan")
    cfg = settings(ctx)
    with user_errors(CannotPreview):
        preview = preview_push(cfg, run_id)
    echo(format_preview(preview, show=show))

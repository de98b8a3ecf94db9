"""`leadpipe run` (the whole pipeline once, in this process) and `leadpipe funnel` (a finished run's funnel)."""

from __future__ import annotations

import sys

import click

from leadpipe.cli.common import echo, settings, user_errors
from leadpipe.pipeline.funnel import format_funnel
from leadpipe.pipeline.run import RunIdTaken, run_pipeline
from leadpipe.pipeline.run_summaries import NoFinishedRun, finished_run_summary


@click.command("run")
@click.option("--run-id", help="Run id (default: a timestamp).")
@click.pass_context
def run_command(ctx: click.Context, run_id: str | None) -> None:
    """Run the whole pipeline once, in this process. An existing run id is refused (exit 1)."""
    with user_errors(RunIdTaken):
        summary = run_pipeline(settings(ctx), run_id)
    echo(format_funnel(summary))
    if summary["status"] == "failed":
        sys.exit(1)


@click.command("funnel")
@click.argument("run_id", required=False)
@click.pass_context
def funnel_command(ctx: click.Context, run_id: str | None) -> None:
    """Print the funnel of a run (default: the latest)."""
    cfg = settings(ctx)
    with user_errors(NoFinishedRun):
        summary = finished_run_summary(cfg.runs_dir, run_id)
    echo(format_funnel(summary))

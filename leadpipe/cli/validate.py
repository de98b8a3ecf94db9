"""`leadpipe validate FILE`: try a new vendor list against the quality gates before it is ever ingested."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from connectors.sources.base import SourceError
from connectors.sources.presets import PRESETS
from leadpipe.cli.common import echo, echo_json, settings, user_errors
from leadpipe.pipeline.check_file import check_file_for_source, format_report


@click.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", help="Use this configured source's preset, mapping and thresholds.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), help="Header preset (default: detected).")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), help="Build Data Docs here.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def validate_command(ctx: click.Context, file: Path, source_name: str | None, preset: str | None,
                     docs_dir: Path | None, as_json: bool) -> None:
    """Run the data-quality suites on a lead FILE and print the result (writes nothing to the warehouse).

    Exit code 1 when the nightly run would stop the list.
    """
    cfg = settings(ctx)
    with user_errors(SourceError):
        report = check_file_for_source(cfg, file, source_name=source_name, preset=preset, docs_dir=docs_dir)
    if as_json:
        echo_json(report.as_json())
    else:
        echo(format_report(report))
    if report.stopped:
        sys.exit(1)

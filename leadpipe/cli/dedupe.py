"""`leadpipe dedupe IN.csv OUT.csv`: deduplicate any lead file on its own, outside the pipeline."""

from __future__ import annotations

from pathlib import Path

import click

from leadpipe.cli.common import echo, user_errors
from leadpipe.pipeline.dedupe_file import NothingToMatchOn, dedupe_csv


@click.command("dedupe")
@click.argument("in_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_path", type=click.Path(dir_okay=False, path_type=Path))
def dedupe_command(in_path: Path, out_path: Path) -> None:
    """Deduplicate a lead CSV: every row plus cluster_id and match_weight."""
    with user_errors(NothingToMatchOn):
        done = dedupe_csv(in_path, out_path)
    mapped = ", ".join(f"{f}<-{h!r}" for f, h in done.mapping.items())
    echo(f"{done.rows} rows -> {done.clusters} people; written to {done.out_path}\ncolumns: {mapped}")

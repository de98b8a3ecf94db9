"""`leadpipe dedupe IN OUT.csv`: deduplicate any lead file on its own, outside the pipeline."""

from __future__ import annotations

from pathlib import Path

import click

from connectors.sources.base import SourceError
from connectors.sources.file_formats import FORMATS
from leadpipe.cli.common import echo, user_errors
from leadpipe.pipeline.dedupe_file import DedupeFileError, NothingToMatchOn, ReadOptions, dedupe_file


@click.command("dedupe")
@click.argument("in_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto", show_default=True,
              help="File format; auto: from the file name's extension.")
@click.option("--encoding", default="auto", show_default=True,
              help="Text encoding of a CSV/JSON file; auto: BOM, UTF-8, else the code page that reads it.")
@click.option("--delimiter", default=None, help="CSV delimiter; default: detected (, ; tab |).")
@click.option("--sheet", default=None, help="Worksheet of an .xlsx file; default: the first.")
@click.option("--header-row", type=click.IntRange(min=1), default=None,
              help="1-based line (CSV) or row (.xlsx) of the header; default: found below any preamble.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that normalise; default: one per core.")
def dedupe_command(in_path: Path, out_path: Path, fmt: str, encoding: str, delimiter: str | None,
                   sheet: str | None, header_row: int | None, workers: int | None) -> None:
    """Deduplicate a lead file (CSV, TSV, XLSX, JSON, NDJSON, as the pipeline reads them) into OUT.csv: every
    row and column plus cluster_id (first row of the person) and match_weight."""
    options = ReadOptions(fmt, encoding, delimiter, sheet, header_row)
    with user_errors(NothingToMatchOn, SourceError, DedupeFileError):
        done = dedupe_file(in_path, out_path, options, workers)
    mapped = ", ".join(f"{f}<-{h!r}" for f, h in done.mapping.items())
    took = ", ".join(f"{step} {s:.1f} s" for step, s in done.seconds.items())
    echo(f"{done.rows} rows -> {done.clusters} people; written to {done.out_path}\ncolumns: {mapped}\ntook: {took}")
    if done.unreadable:
        rows = "1 row" if done.unreadable == 1 else f"{done.unreadable} rows"
        echo(f"{rows} not matched (written alone in their cluster) because the file could not be read "
             "cleanly there:\n" + "\n".join(f"  - {p}" for p in done.problems))

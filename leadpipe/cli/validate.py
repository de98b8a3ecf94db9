"""`leadpipe validate FILE`: try a new vendor list against the quality gates before it is ever ingested.

Runs the same suites as the pipeline (raw batch, then normalised leads) on one file and prints what the
nightly run would do with it. Nothing is written to the warehouse; Data Docs only with --docs. The volume
check needs a source's run history, so it is not applied here.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from connectors.sources.presets import PRESETS

# A preset is taken as detected when the file has at least this share of its headers.
PRESET_DETECT_SHARE = 0.8
EXAMPLE_ROWS = 5


@dataclass
class SuiteReport:
    suite: str
    passed: bool
    critical: list[str]
    rows_failed: dict[str, list[int]]  # check -> data row numbers in the file
    warnings: list[str]


@dataclass
class FileReport:
    file: str
    rows: int
    unreadable: list[str]
    mapping: dict[str, str]  # lead field -> header
    mapping_how: str
    suites: list[SuiteReport] = field(default_factory=list)
    docs_path: str | None = None

    @property
    def stopped(self) -> bool:
        return any(s.critical for s in self.suites)

    @property
    def rows_quarantined(self) -> int:
        return len({r for s in self.suites for rows in s.rows_failed.values() for r in rows})


def check_file(path: Path, *, thresholds, preset: str | None = None, overrides: dict[str, str] | None = None,
               source_name: str = "file", source_kind: str = "purchased", docs_dir: Path | None = None) -> FileReport:
    """Read, map, normalise and validate one file the way the pipeline would; return what happened."""
    import pandas as pd

    from connectors.sources.base import SourceState
    from connectors.sources.file_source import FileSource
    from connectors.sources.mapping import map_headers
    from enrichment.normalise import normalise_frame
    from expectations.gx_runner import run_suite
    from expectations.normalised_leads import NormalisedLeadsThresholds, build_normalised_leads_suite
    from expectations.raw_batch import VolumeHistory, build_raw_batch_suite

    source = FileSource(source_name, str(path.resolve()))
    records = [r for unit in source.discover(SourceState()) for r in source.read(unit)]
    headers = list(dict.fromkeys(h for r in records[:1] for h in r.payload))
    how = f"preset {preset}" if preset else "auto-mapped headers"
    if preset is None and not overrides:
        preset = _detect_preset(headers)
        how = f"preset {preset} (detected from the headers)" if preset else how
    mapping = map_headers(headers, preset, overrides or {}).fields
    good = [r for r in records if not r.error]
    frame = pd.DataFrame({f: [r.payload.get(h, "") for r in good] for f, h in mapping.items()}, dtype="string")
    # No warehouse: the data row number stands in for raw_row_id, so failures point straight at the file.
    frame["raw_row_id"] = pd.array([r.source_row for r in good], dtype="int64")
    frame["source"], frame["source_file"], frame["source_kind"] = source_name, path.name, source_kind
    frame["source_row"] = frame["raw_row_id"]
    report = FileReport(str(path), len(records), [r.error for r in records if r.error], mapping, how)
    suites = [
        (frame, build_raw_batch_suite(thresholds, VolumeHistory())),
        (None, build_normalised_leads_suite(NormalisedLeadsThresholds(
            min_valid_email_share=thresholds.min_valid_email_share,
            min_job_title_share=thresholds.min_job_title_share))),
    ]
    for data, suite in suites:
        data = normalise_frame(frame) if data is None else data
        result = run_suite(data, suite, docs_dir=docs_dir)
        by_check: dict[str, list[int]] = {}
        for row, checks in sorted(result.row_failures.items()):
            for check in checks:
                by_check.setdefault(check, []).append(int(row))
        report.suites.append(SuiteReport(result.suite_name, result.success, result.critical_failures, by_check,
                                         result.warnings))
        report.docs_path = result.docs_path or report.docs_path
    return report


def _detect_preset(headers: list[str]) -> str | None:
    """The preset whose headers the file carries best, if it carries most of them."""
    present = {h.strip().lower() for h in headers}
    best, share = None, 0.0
    for name, fields in PRESETS.items():
        wanted = {h.strip().lower() for h in fields.values()}
        found = len(wanted & present) / len(wanted)
        if found > share:
            best, share = name, found
    return best if share >= PRESET_DETECT_SHARE else None


def format_report(report: FileReport) -> str:
    lines = [f"{report.file}: {report.rows} data rows, {len(report.unreadable)} unreadable ({report.mapping_how})"]
    lines.append("  mapping: " + (", ".join(f"{f} <- {h!r}" for f, h in report.mapping.items()) or "nothing mapped"))
    for problem in report.unreadable[:EXAMPLE_ROWS]:
        lines.append(f"  unreadable: {problem}")
    for suite in report.suites:
        verdict = "STOPS THE BATCH" if suite.critical else ("passed" if suite.passed else "passed with findings")
        lines.append(f"{suite.suite}: {verdict}")
        lines += [f"  critical: {msg}" for msg in suite.critical]
        for check, rows in suite.rows_failed.items():
            example = ", ".join(map(str, rows[:EXAMPLE_ROWS]))
            lines.append(f"  quarantine {len(rows)} row(s) for {check}: rows {example}{' ...' if len(rows) > EXAMPLE_ROWS else ''}")
        lines += [f"  warning: {msg}" for msg in suite.warnings]
    if report.docs_path:
        lines.append(f"Data Docs: {report.docs_path}")
    if report.stopped:
        lines.append("Result: the nightly run would STOP this list before the CRM (a critical check failed).")
    else:
        kept = report.rows - len(report.unreadable) - report.rows_quarantined
        lines.append(f"Result: the list would go on: {kept} rows continue, {report.rows_quarantined} quarantined, "
                     f"{len(report.unreadable)} unreadable. (Volume vs history is checked only in pipeline runs.)")
    return "\n".join(lines)


@click.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", help="Use this configured source's preset, mapping and thresholds.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), help="Header preset (default: detected).")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), help="Build Data Docs here.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def validate(ctx: click.Context, file: Path, source_name: str | None, preset: str | None, docs_dir: Path | None,
             as_json: bool) -> None:
    """Run the data-quality suites on a lead FILE and print the result (writes nothing to the warehouse).

    Exit code 1 when the nightly run would stop the list.
    """
    from connectors.sources.base import SourceError
    from leadpipe.cli import _config

    cfg = _config(ctx.obj["config"])
    src = next((s for s in cfg.sources if s.name == source_name), None)
    if source_name and src is None:
        raise click.ClickException(f"no source named {source_name!r}; configured: {[s.name for s in cfg.sources]}")
    try:
        report = check_file(
            file, thresholds=cfg.validation.for_source(source_name or ""), preset=preset or (src.preset if src else None),
            overrides=dict(src.mapping) if src else None, source_name=source_name or "file",
            source_kind=src.kind if src else "purchased", docs_dir=docs_dir,
        )
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({**asdict(report), "stopped": report.stopped}, indent=2))
    else:
        click.echo(format_report(report))
    if report.stopped:
        sys.exit(1)

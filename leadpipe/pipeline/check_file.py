"""Try a new lead file against the quality gates before it is ever ingested (`leadpipe validate FILE`).

Runs the same suites as the pipeline (raw batch, then normalised leads) on one file and reports what the
nightly run would do with it. Nothing is written to the warehouse; Data Docs only when asked for. The volume
check needs a source's run history, so it is not applied here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from connectors.sources.base import SourceState
from connectors.sources.file_source import FileSource
from connectors.sources.mapping import map_headers, record_headers
from enrichment.normalise import normalise_frame
from expectations.gx_runner import run_suite
from expectations.messages import SUITE_TITLES, shown_row
from expectations.normalised_leads import NormalisedLeadsThresholds, build_normalised_leads_suite
from expectations.raw_batch import VolumeHistory, build_raw_batch_suite
from expectations.settings import Thresholds
from leadpipe.pipeline.settings import Config, ConfigError

EXAMPLE_ROWS = 5


@dataclass
class SuiteReport:
    suite: str
    passed: bool
    verdict: str  # "passed", "passed, 3 rows quarantined", "stopped the batch"
    critical: list[str]
    rows_failed: dict[str, list[int]]  # check -> the file's row numbers (spreadsheet rows: header = row 1)
    quarantine: list[str]  # one sentence per row-level check, with rows and values
    row_reasons: dict[int, str]  # the file's row number -> why it would be quarantined
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

    def as_json(self) -> dict:
        return {**asdict(self), "stopped": self.stopped}


def check_file_for_source(cfg: Config, path: Path, *, source_name: str | None = None, preset: str | None = None,
                          docs_dir: Path | None = None) -> FileReport:
    """check_file with a configured source's preset, mapping, kind and thresholds (any source's defaults without
    one). An unknown source name is a ConfigError naming the configured ones."""
    src = next((s for s in cfg.sources if s.name == source_name), None)
    if source_name and src is None:
        raise ConfigError(f"no source named {source_name!r}; configured: {[s.name for s in cfg.sources]}")
    return check_file(
        path, thresholds=cfg.validation.for_source(source_name or ""), preset=preset or (src.preset if src else None),
        overrides=dict(src.mapping) if src else None, source_name=source_name or "file",
        source_kind=src.kind if src else "purchased", docs_dir=docs_dir,
    )


def check_file(path: Path, *, thresholds: Thresholds, preset: str | None = None, overrides: dict[str, str] | None = None,
               source_name: str = "file", source_kind: str = "purchased", docs_dir: Path | None = None) -> FileReport:
    """Read, map, normalise and validate one file the way the pipeline would; return what happened.

    Raises connectors.sources.base.SourceError when the file cannot be read at all.
    """
    source = FileSource(source_name, str(path.resolve()))
    records = [r for unit in source.discover(SourceState()) for r in source.read(unit)]
    m = map_headers(record_headers(records), preset, overrides or {}, rows=[r.payload for r in records[:1000]])
    if m.preset_detected:
        how = f"preset {m.preset} (detected from the headers)"
    else:
        how = f"preset {preset}" if preset else "auto-mapped headers"
    good = [r for r in records if not r.error]
    frame = pd.DataFrame({f: m.column(f, [r.payload for r in good]) for f in m.fields}, dtype="string")
    # No warehouse: the data row number stands in for raw_row_id, so failures point straight at the file.
    frame["raw_row_id"] = pd.array([r.source_row for r in good], dtype="int64")
    frame["source"], frame["source_file"], frame["source_kind"] = source_name, path.name, source_kind
    frame["source_row"] = frame["raw_row_id"]
    report = FileReport(str(path), len(records), [r.error for r in records if r.error], m.fields, how)
    suites = [
        (frame, build_raw_batch_suite(thresholds, VolumeHistory())),
        (None, build_normalised_leads_suite(NormalisedLeadsThresholds(
            min_valid_email_share=thresholds.min_valid_email_share,
            min_job_title_share=thresholds.min_job_title_share))),
    ]
    for data, suite in suites:
        data = normalise_frame(frame) if data is None else data
        result = run_suite(data, suite, docs_dir=docs_dir, given=frame)
        by_check: dict[str, list[int]] = {}
        for row, checks in sorted(result.row_failures.items()):
            for check in checks:
                by_check.setdefault(check, []).append(shown_row(path.name, row))
        report.suites.append(SuiteReport(
            SUITE_TITLES.get(result.suite_name, result.suite_name), not result.stop_batch, result.verdict,
            result.critical_failures, by_check, [f.text() for f in result.findings if f.severity == "row"],
            {shown_row(path.name, row): why for row, why in sorted(result.row_reasons.items())}, result.warnings))
        report.docs_path = result.docs_path or report.docs_path
    return report


def format_report(report: FileReport) -> str:
    lines = [(f"{report.file}: {report.rows} data rows, {len(report.unreadable)} unreadable ({report.mapping_how}); "
              "row numbers as in a spreadsheet (the header is row 1)")]
    lines.append("  mapping: " + (", ".join(f"{f} <- {h!r}" for f, h in report.mapping.items()) or "nothing mapped"))
    for problem in report.unreadable[:EXAMPLE_ROWS]:
        lines.append(f"  unreadable: {problem}")
    for suite in report.suites:
        lines.append(f"{suite.suite}: {suite.verdict.replace('stopped the batch', 'STOPS THE LIST')}")
        lines += [f"  stops the list: {msg}" for msg in suite.critical]
        lines += [f"  quarantine: {msg}" for msg in suite.quarantine]
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

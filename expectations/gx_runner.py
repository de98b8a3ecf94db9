"""The one place the pipeline talks to Great Expectations.

Why a wrapper: GX's API changed completely between 0.18 and 1.x, its objects are large and not meant to
travel through XCom, and its import logs ~200 INFO lines and draws tqdm bars into task logs. Everything
GX-specific stays in this module; callers get a `SuiteResult` made of plain Python values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

# Must run before the first GX import: GX logs its import at INFO.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

import great_expectations as gx
import pandas as pd
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.metadata_types import FailureSeverity
from great_expectations.validator.v1_validator import Validator

from expectations.messages import (
    EXAMPLES,
    Example,
    Finding,
    place,
    row_reason,
    row_sentence,
    value_column,
    verdict,
)
from expectations.suite_spec import Check, Severity, SuiteSpec

# GX md5-hashes every DataFrame under 1 GB into a batch "fingerprint" that only ends up as metadata in
# the result: about 1 s per million leads, a third of a run. No setting exists; its threshold is a
# module constant read per batch, so 0 switches the hashing off (a missing fingerprint is allowed).
pandas_execution_engine.HASH_THRESHOLD = 0

ROW_ID = "raw_row_id"  # lineage key: every row failure is reported by it
# COMPLETE: every failing row, not a sample. exclude_unexpected_values: results carry raw_row_ids only
# (with the raw_row_id index, see _validation_frame, that is what keeps 1M-row runs fast); the values
# messages quote are looked up afterwards for the failing rows only (_RowInfo).
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_ID],
    "exclude_unexpected_values": True,
}
# Data Docs are for people: counts and shares per check, no row lists. Storing a COMPLETE result for the
# docs serialises every failing id (5-10 s and 25-50 MB per million leads); the ids go to SuiteResult.
DOCS_RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "exclude_unexpected_values": True}
# Table-level expectations that need no column, so the frame can still be cut to the checked columns.
_COLUMNLESS_OK = {"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"}
CHECK_KEY = "leadpipe_check"  # meta key tying a GX result back to its Check

# Shown in Data Docs; GX's own severity is cosmetic, ours decides what happens.
_GX_SEVERITY: dict[Severity, FailureSeverity] = {
    "critical": FailureSeverity.CRITICAL,
    "row": FailureSeverity.WARNING,
    "warning": FailureSeverity.INFO,
}


@dataclass(frozen=True)
class SuiteResult:
    """Outcome of one suite run, as plain values (safe to pickle or turn into XCom-able JSON).

    success: every check passed (GX's verdict). `stop_batch` is what the pipeline acts on.
    findings: every failed check (critical, row and warning) with its plain-language text
        (expectations.messages); critical and warning texts are also in `critical_failures` / `warnings`.
    row_failures: raw_row_id -> names of the row-level checks the row failed (quarantine these).
    row_reasons: raw_row_id -> the sentence(s) saying why, with the file's row number and the value.
    docs_path: Data Docs index.html, when docs were built.
    """

    suite_name: str
    success: bool
    statistics: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    row_failures: dict[int, list[str]] = field(default_factory=dict)
    row_reasons: dict[int, str] = field(default_factory=dict)
    docs_path: str | None = None

    @property
    def critical_failures(self) -> list[str]:
        """One sentence per failed critical check (or check that could not run), values shown."""
        return [f.text() for f in self.findings if f.severity == "critical"]

    @property
    def warnings(self) -> list[str]:
        return [f.text() for f in self.findings if f.severity == "warning"]

    def critical_for_logs(self) -> list[str]:
        """The critical sentences with row numbers but without the offending values (for logs)."""
        return [f.text(values=False) for f in self.findings if f.severity == "critical"]

    def warnings_for_logs(self) -> list[str]:
        return [f.text(values=False) for f in self.findings if f.severity == "warning"]

    @property
    def stop_batch(self) -> bool:
        """True when the batch must not go on (a critical check failed)."""
        return any(f.severity == "critical" for f in self.findings)

    @property
    def verdict(self) -> str:
        """"stopped the batch", "passed, 6 rows quarantined", "passed with 1 warning" or "passed"."""
        return verdict(self.stop_batch, len(self.row_failures), len(self.warnings))


def run_suite(df: pd.DataFrame, suite: SuiteSpec, docs_dir: Path | None = None,
              given: pd.DataFrame | None = None) -> SuiteResult:
    """Validate `df` against `suite`; build Data Docs under `docs_dir` when given.

    Messages name the file's rows from df's `source_file` / `source_row` columns (when present) and quote
    the failing values from `given` (the rows as the source gave them, by raw_row_id; default df): a
    normaliser blanks an email it cannot read, but the person fixing the list needs to see what was there.

    Without docs_dir the GX context is ephemeral and nothing is stored or written. With docs_dir a second,
    lighter pass (counts only) runs through a Checkpoint that stores it and renders Data Docs; the verdicts
    are the same, the row ids come from the first pass. Call this once per batch: building the context and
    the validation graph has a fixed cost that per-lead calls would multiply.
    """
    frame = _validation_frame(df, suite)
    context = _build_context(docs_dir)
    batch_definition = (
        context.data_sources.add_or_update_pandas("leadpipe")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("whole_batch")
    )
    gx_suite = context.suites.add_or_update(_to_gx_suite(suite))
    # The validator ValidationDefinition.run uses, minus the results store: storing serialises every
    # failing row id to JSON, which costs more than the validation itself on big batches.
    batch_parameters = {"dataframe": frame}
    validator = Validator(batch_definition, result_format=RESULT_FORMAT, batch_parameters=batch_parameters)
    validation = validator.validate_expectation_suite(gx_suite)
    docs_path = None if docs_dir is None else _build_docs(context, batch_definition, gx_suite, frame)
    rows = _RowInfo(df, given, suite)
    return _summarise(suite, validation, n_rows=len(frame), docs_path=docs_path, rows=rows)


def _validation_frame(df: pd.DataFrame, suite: SuiteSpec) -> pd.DataFrame:
    """The frame GX sees: prepared, cut to the checked columns, indexed by raw_row_id.

    Cutting columns matters because GX copies the whole frame several times per check. The raw_row_id
    index (the column is kept too, for the lineage checks) lets GX list failing rows straight from the
    index; with a plain index it looks each failing row's id up one cell at a time (~30 s for 300k failures).
    """
    frame = suite.prepare(df) if suite.prepare else df
    needed = _columns_needed(suite)
    if needed is not None:
        frame = frame[[c for c in frame.columns if c in needed or c == ROW_ID]]
    if ROW_ID in frame.columns:
        frame = frame.set_index(ROW_ID, drop=False)
    return frame


def _columns_needed(suite: SuiteSpec) -> set[str] | None:
    """Columns the checks read, or None when some check looks at the whole table."""
    needed: set[str] = set()
    for check in suite.checks:
        exp = check.expectation
        columns = [getattr(exp, a, None) for a in ("column", "column_A", "column_B")]
        columns += list(getattr(exp, "column_list", None) or [])
        columns = [c for c in columns if c]
        if not columns and exp.expectation_type not in _COLUMNLESS_OK:
            return None
        needed.update(columns)
    return needed


# --- GX plumbing ---------------------------------------------------------------------------------


def _quiet_gx() -> None:
    """Keep GX at WARNING: a few of its modules pin their own logger to INFO on import."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        pinned_low = isinstance(logger, logging.Logger) and 0 < logger.level < logging.WARNING
        if name.startswith("great_expectations") and pinned_low:
            logger.setLevel(logging.WARNING)


def _build_context(docs_dir: Path | None) -> Any:
    """Ephemeral context by default; a file context under docs_dir when Data Docs are wanted."""
    _quiet_gx()
    if docs_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        Path(docs_dir).mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    # The supported switch for the "Calculating Metrics" tqdm bars (read by the validator per run).
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _to_gx_suite(suite: SuiteSpec) -> Any:
    """Copies of the checks' expectations, tagged so each result can be traced back to its Check."""
    expectations = [
        check.expectation.copy(
            deep=True,
            update={
                "id": None,  # a fresh suite assigns its own ids
                "meta": {CHECK_KEY: index, "severity": check.severity},
                "notes": check.why,  # rendered in Data Docs next to the expectation
                "severity": _GX_SEVERITY[check.severity],
            },
        )
        for index, check in enumerate(suite.checks)
    ]
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


def _build_docs(context: Any, batch_definition: Any, gx_suite: Any, frame: pd.DataFrame) -> str | None:
    """Validate through a Checkpoint, which stores the result and updates Data Docs; return index.html."""
    validation_definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=gx_suite.name, data=batch_definition, suite=gx_suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{gx_suite.name}_checkpoint",
            validation_definitions=[validation_definition],
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format=DOCS_RESULT_FORMAT,
        )
    )
    checkpoint.run(batch_parameters={"dataframe": frame})
    return _docs_index(context)


def _docs_index(context: Any) -> str | None:
    """Local path of the Data Docs index.html, if the site was built."""
    for site in context.get_docs_sites_urls(only_if_exists=True):
        url = site.get("site_url")
        if url and url.startswith("file://"):
            return unquote(urlparse(url).path)
    return None


# --- turning GX results into plain values --------------------------------------------------------


class _RowInfo:
    """Where failing rows are in their file, and what they held: looked up only for the rows that failed."""

    def __init__(self, df: pd.DataFrame, given: pd.DataFrame | None, suite: SuiteSpec) -> None:
        self._df = df
        self._source = given if given is not None and ROW_ID in given.columns else df
        wanted = {value_column(c.expectation.expectation_type, getattr(c.expectation, "column", None))
                  for c in suite.checks}
        self._wanted = sorted(c for c in wanted - {None, ROW_ID} if c in self._source.columns)

    # indexed on first use only: a clean batch of a million rows pays nothing for them
    @cached_property
    def lineage(self) -> pd.DataFrame | None:
        return _by_row_id(self._df, ["source_file", "source_row"])

    @cached_property
    def values(self) -> pd.DataFrame | None:
        return _by_row_id(self._source, self._wanted)

    def places(self, ids: list[int]) -> list[tuple[str | None, int | None]]:
        if self.lineage is None or not ids:
            return [(None, i) for i in ids]  # no lineage columns: the row id is all there is
        found = self.lineage.reindex(ids)
        files = found["source_file"] if "source_file" in found else pd.Series([None] * len(ids))
        rows = found["source_row"] if "source_row" in found else pd.Series(ids, index=found.index)
        return [(None if pd.isna(f) else str(f), None if pd.isna(r) else int(r)) for f, r in zip(files, rows, strict=True)]

    def values_of(self, ids: list[int], column: str | None) -> list[Any]:
        if self.values is None or column not in self.values.columns or not ids:
            return [None] * len(ids)
        return [None if pd.isna(v) else _plain(v) for v in self.values[column].reindex(ids)]


def _by_row_id(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame | None:
    present = [c for c in columns if c in frame.columns]
    if ROW_ID not in frame.columns or not present:
        return None
    out = frame[[ROW_ID, *present]].dropna(subset=[ROW_ID])
    out = out.set_index(ROW_ID)
    return out[~out.index.duplicated()]


def _summarise(suite: SuiteSpec, validation: Any, n_rows: int, docs_path: str | None, rows: _RowInfo) -> SuiteResult:
    findings: list[Finding] = []
    row_failures: dict[int, list[str]] = {}
    sentences: dict[int, dict[str, str]] = {}  # row -> the value a sentence is about -> the sentence
    # a column that is not there fails its own existence check; its other checks cannot run and would only
    # repeat that in GX's words
    missing = {r.expectation_config.kwargs.get("column") for r in validation.results
               if not r.success and r.expectation_config.type == "expect_column_to_exist"}
    # GX does not keep suite order; report in the order the suite lists its checks
    for result in sorted(validation.results, key=lambda r: r.expectation_config.meta[CHECK_KEY]):
        if result.success:
            continue
        check = suite.checks[result.expectation_config.meta[CHECK_KEY]]
        outcome = result.result or {}
        error = _exception_message(result)
        if error is not None and getattr(check.expectation, "column", None) in missing:
            continue
        if error is None and check.severity == "row" and "unexpected_index_list" not in outcome:
            error = "a row check must be a column map expectation"
        if error is not None or check.severity != "row":
            # a check that cannot run makes the batch untrusted: critical whatever its severity
            severity = "critical" if error is not None else check.severity
            findings.append(_finding(check, result, severity, error, rows))
            continue
        ids = _failing_ids(outcome["unexpected_index_list"])
        findings.append(_finding(check, result, "row", None, rows, ids))
        kind, column = check.expectation.expectation_type, getattr(check.expectation, "column", None)
        kwargs = _kwargs(result)
        about = value_column(kind, column) or check.name
        shown = rows.values_of(ids, value_column(kind, column))
        for row_id, where, value in zip(ids, rows.places(ids), shown, strict=True):
            names = row_failures.setdefault(row_id, [])
            if check.name not in names:
                names.append(check.name)
            said = sentences.setdefault(row_id, {})
            if about not in said:  # two checks on one value (status and shape of an email): one sentence
                said[about] = row_sentence(kind, column, place(*where), value, kwargs=kwargs)
    return SuiteResult(
        suite_name=suite.name,
        success=bool(validation.success),
        statistics=_statistics(validation.statistics, n_rows, len(row_failures)),
        findings=findings,
        row_failures=row_failures,
        row_reasons={row_id: row_reason(list(s.values())) for row_id, s in sentences.items()},
        docs_path=docs_path,
    )


def _finding(check: Check, result: Any, severity: str, error: str | None, rows: _RowInfo,
             ids: list[int] | None = None) -> Finding:
    outcome = result.result or {}
    kind, column = check.expectation.expectation_type, getattr(check.expectation, "column", None)
    failed = checked = None
    examples: tuple[Example, ...] = ()
    if "unexpected_count" in outcome:
        failed = int(outcome["unexpected_count"])
        checked = int(outcome.get("element_count", 0)) - int(outcome.get("missing_count") or 0)
        some = (ids if ids is not None else _failing_ids(outcome.get("unexpected_index_list") or []))[:EXAMPLES]
        examples = tuple(Example(f, r, v) for (f, r), v in zip(
            rows.places(some), rows.values_of(some, value_column(kind, column)), strict=True))
    return Finding(check=check.name, severity=severity, expectation=kind, column=column, kwargs=_kwargs(result),
                   observed=_plain(outcome.get("observed_value")), failed=failed, checked=checked,
                   examples=examples, error=error)


def _kwargs(result: Any) -> dict[str, Any]:
    kwargs = result.expectation_config.kwargs
    return {k: _plain(kwargs[k]) for k in ("min_value", "max_value", "mostly") if kwargs.get(k) is not None}


def _failing_ids(unexpected: list[dict]) -> list[int]:
    """raw_row_ids from GX's unexpected_index_list: [{"raw_row_id": [ids]}] with excluded values,
    [{"raw_row_id": id, ...}, ...] without. Null ids are skipped: they are a critical failure already."""
    values: list[Any] = []
    for item in unexpected:
        found = item.get(ROW_ID)
        values.extend(found if isinstance(found, list) else [found])
    ids = pd.Series(values, dtype="object").dropna()
    return ids.astype("int64").tolist()  # vectorised: a 1M-row batch can have 300k failing ids


def _statistics(gx_statistics: dict[str, Any], n_rows: int, n_failed_rows: int) -> dict[str, Any]:
    stats = {key: _plain(value) for key, value in gx_statistics.items()}
    stats.update(rows=n_rows, rows_failed=n_failed_rows)
    return stats


def _exception_message(result: Any) -> str | None:
    """Why a check could not run, if it could not. GX puts the exception either at the top of
    exception_info or, for metric errors (e.g. a missing column), under one key per failed metric."""
    info = result.exception_info or {}
    for candidate in [info, *(v for v in info.values() if isinstance(v, dict))]:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message") or "unknown error")
    return None


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so results serialise anywhere."""
    return value.item() if hasattr(value, "item") else value

"""The quality gate for a source's raw batch, right after header mapping and before any cleaning.

Input: the mapped batch (canonical column names, values as the vendor wrote them) plus `raw_row_id`.
It answers "did we get the file we paid for?": the columns we need are there and filled, the batch is
not empty, and its size is in line with what this source usually delivers. Every check is critical
(the batch stops) except an unusually *large* batch, which is only worth a look.

Nulls versus empties: ingest fills a mapped column that the file lacks with "", so `prepare_raw_batch`
turns blanks into nulls; "present" then means "at least one row has a value".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

import great_expectations.expectations as gxe
import pandas as pd

from expectations.settings import NAME_FIELDS, Thresholds
from expectations.suite_spec import Check, SuiteSpec

SUITE_NAME = "raw_batch"
HAS_NAME = "any_name_given"  # helper column: True when a row has a first, last or full name


@dataclass(frozen=True)
class VolumeHistory:
    """Row counts of the source's earlier runs, newest first (what "usual size" is judged on)."""

    counts: tuple[int, ...] = ()

    @property
    def usual(self) -> float | None:
        """Median, not mean: one backfill or one broken run should not move the baseline."""
        return float(median(self.counts)) if self.counts else None

    def describe(self) -> str:
        if not self.counts:
            return "no earlier runs"
        runs = f"the last {len(self.counts)} runs" if len(self.counts) > 1 else "the last run"
        return f"about {self.usual:,g} rows (median of {runs}: {', '.join(f'{c:,}' for c in self.counts)})"


def build_raw_batch_suite(thresholds: Thresholds, history: VolumeHistory | None = None) -> SuiteSpec:
    """The raw-batch suite for one source; the volume checks appear once the source has enough history."""
    checks: list[Check] = [
        Check(gxe.ExpectTableRowCountToBeBetween(min_value=1), "critical",
              "An empty batch means the export or the mapping broke; pushing nothing is not success."),
    ]
    for column in thresholds.required_columns:
        checks += [
            Check(gxe.ExpectColumnToExist(column=column), "critical",
                  f"'{column}' is required: the source's preset or mapping must provide it."),
            Check(gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(column=column, min_value=0, strict_min=True),
                  "critical",
                  f"A '{column}' column that is empty in every row means the header mapping points at the wrong column."),
        ]
    checks.append(
        Check(gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(column=HAS_NAME, min_value=0, strict_min=True),
              "critical", "Leads without any name column mapped cannot be deduplicated or addressed."),
    )
    usual = history.usual if history else None
    if usual and len(history.counts) >= thresholds.min_history_runs:
        low = math.ceil(usual * thresholds.min_volume_ratio)
        if low > 1:
            checks.append(Check(gxe.ExpectTableRowCountToBeBetween(min_value=low), "critical",
                                "A much smaller batch than usual (e.g. a 90% drop) means a truncated or wrong export."))
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(max_value=math.floor(usual * thresholds.max_volume_ratio)),
                            "warning", "A much larger batch than usual may be a backfill or a different list; worth a look."))
    return SuiteSpec(name=SUITE_NAME, checks=tuple(checks), prepare=prepare_raw_batch)


def prepare_raw_batch(df: pd.DataFrame) -> pd.DataFrame:
    """Blank cells become null (so "filled" can be counted) and the any-name helper column is added."""
    changes: dict[str, pd.Series] = {}
    for column in df.columns:
        if column != "raw_row_id" and (df[column].dtype == object or pd.api.types.is_string_dtype(df[column])):
            changes[column] = df[column].mask(df[column].astype("string").str.strip().eq("").fillna(True))
    names = [changes.get(c, df[c]) for c in NAME_FIELDS if c in df.columns]
    given = pd.Series(False, index=df.index)
    for values in names:
        given |= values.notna()
    changes[HAS_NAME] = given.astype("boolean").mask(~given)  # True or <NA>
    return df.assign(**changes)

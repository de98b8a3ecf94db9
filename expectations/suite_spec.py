"""Suites as plain data: which GX expectation, how bad a failure is, and why the check exists.

GX has its own suite objects, but they carry no notion of "stop the batch" versus "quarantine the row".
Keeping the suite as a list of `Check`s lets a data engineer read (and review) a suite without knowing GX,
and lets `gx_runner` decide what a failure means without inspecting GX internals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # GX is heavy to import; only the type checker needs it here
    import pandas as pd
    from great_expectations.expectations.expectation import Expectation

Severity = Literal["critical", "row", "warning"]
SEVERITIES: tuple[Severity, ...] = ("critical", "row", "warning")


@dataclass(frozen=True)
class Check:
    """One expectation with what a failure means.

    severity:
      - "critical": the whole batch must stop (the data cannot be trusted).
      - "row": rows failing it are quarantined; the rest of the batch continues.
      - "warning": recorded only.
    """

    expectation: Expectation
    severity: Severity
    why: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not self.why.strip():
            raise ValueError("every check needs a reason (why)")

    @property
    def name(self) -> str:
        """Short label used in messages and row failures, e.g. 'expect_column_values_to_be_unique(email)'."""
        column = getattr(self.expectation, "column", None)
        kind = self.expectation.expectation_type
        return f"{kind}({column})" if column else kind


@dataclass(frozen=True)
class SuiteSpec:
    """A named list of checks, plus an optional step that shapes the frame for them.

    `prepare` exists because GX skips nulls in most column checks: a suite states in one place which
    empties should be skipped (turned into None) and which must fail (kept as ""), and derives helper
    columns for checks GX cannot express directly (e.g. "first or last name present").
    It must return a frame with the same rows (row ids are taken from the prepared frame).
    """

    name: str
    checks: tuple[Check, ...]
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", tuple(self.checks))
        names = [c.name for c in self.checks if c.severity == "row"]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            # row failures are reported by name, so two row checks must not share one
            raise ValueError(f"row-level checks must have distinct names, duplicated: {duplicates}")

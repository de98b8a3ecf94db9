"""Data quality gates of the pipeline, written as code (Great Expectations 1.x underneath).

Importing this package is cheap: the public names are loaded on first use, because importing GX costs
seconds and DAG files must stay light at parse time. Use `from expectations import run_suite` inside tasks.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

# Whichever module imports GX first, it must find its logger quiet (GX logs its import at INFO).
logging.getLogger("great_expectations").setLevel(logging.WARNING)

_EXPORTS: dict[str, str] = {
    "Check": "expectations.suite_spec",
    "SuiteSpec": "expectations.suite_spec",
    "Severity": "expectations.suite_spec",
    "SuiteResult": "expectations.gx_runner",
    "run_suite": "expectations.gx_runner",
    "NormalisedLeadsThresholds": "expectations.normalised_leads",
    "build_normalised_leads_suite": "expectations.normalised_leads",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)

"""Compatibility: the shared retry policy moved to leadpipe/core/retry.py, a neutral place the web fetcher
(enrichment/) uses too without depending on the CRM sinks. Import it from there in new code."""

from __future__ import annotations

from leadpipe.core.retry import (
    GIVE_UP,
    TRANSIENT_STATUSES,
    RetryPolicy,
    Verdict,
    classify_status,
    retry_after_seconds,
)

__all__ = ["GIVE_UP", "TRANSIENT_STATUSES", "RetryPolicy", "Verdict", "classify_status", "retry_after_seconds"]

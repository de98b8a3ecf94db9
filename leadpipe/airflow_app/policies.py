"""How Airflow tasks retry and who hears about a late run: shared by the DAG files.

Retrying helps with a CRM that is busy (HTTP 429) or down (5xx) and with a dropped connection; it never
helps with wrong credentials or a config mistake, so those fail at once and the run says why.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule
from airflow.sdk.definitions.retry_policy import RetryDecision

log = logging.getLogger("leadpipe")

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
FAIL_STATUSES = frozenset({400, 401, 403, 404, 422})

# Dotted paths matched against the exception's class hierarchy when a task fails. Not RetryRule strings:
# those are imported at parse time, and leadpipe.pipeline.settings pulls in pandas.
FAIL_FAST = [
    "leadpipe.core.errors.ConfigError",
    "connectors.sinks.base.SinkAuthError",
    "enrichment.suppress.SuppressionListError",
    "builtins.PermissionError",
    "builtins.KeyError",  # an unknown source or field name: a config mistake, not bad luck
]
TRANSIENT = [
    "builtins.ConnectionError",
    "builtins.TimeoutError",
    "requests.exceptions.ConnectionError",
    "requests.exceptions.Timeout",
    "connectors.sources.base.SourceUnavailable",
    "sqlalchemy.exc.OperationalError",
]


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a client error, whichever client raised it (requests, hubspot, simple-salesforce)."""
    for holder in (exc, getattr(exc, "response", None)):
        for attr in ("status", "status_code"):
            value = getattr(holder, attr, None)
            if isinstance(value, int):
                return value
    return None


class HttpAwareRetryPolicy(ExceptionRetryPolicy):
    """ExceptionRetryPolicy that first looks at the HTTP status an API error carries.

    One exception class (requests.HTTPError, hubspot's ApiException) covers both "try again later" and
    "your token is wrong", so the class alone cannot decide.
    """

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        status = http_status(exception)
        if status in RETRY_STATUSES:
            return RetryDecision.retry(reason=f"HTTP {status}: the service is busy or down, retrying with backoff")
        if status in FAIL_STATUSES:
            return RetryDecision.fail(reason=f"HTTP {status}: check the credentials or the request; retrying will not help")
        classes = {f"{c.__module__}.{c.__qualname__}" for c in type(exception).__mro__}
        if classes & set(FAIL_FAST):
            return RetryDecision.fail(reason="auth or config problem: fix it and re-run; retrying will not help")
        if classes & set(TRANSIENT):
            return RetryDecision.retry(reason="connection problem: retrying with backoff")
        return super().evaluate(exception, try_number, max_tries, context)


def retry_policy() -> HttpAwareRetryPolicy:
    return HttpAwareRetryPolicy(
        rules=[
            RetryRule(exception=PermissionError, action=RetryAction.FAIL, reason="no permission: retrying will not help"),
            RetryRule(exception=[ConnectionError, TimeoutError], action=RetryAction.RETRY,
                      reason="connection problem: retrying with backoff"),
        ],
        default=RetryAction.DEFAULT,
    )


def default_args(retries: int = 3) -> dict:
    """Retries at 1, 2, 4 minutes (capped at 30), with the policy above deciding whether to retry at all."""
    return {
        "retries": retries,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "retry_policy": retry_policy(),
    }


async def run_is_late(context: dict | None = None, **kwargs: object) -> None:
    """Deadline callback (runs in the triggerer): say loudly which run is late."""
    dag_run = (context or {}).get("dag_run")
    log.error("leadpipe: %s run %s is late: not finished %s after it was queued",
              kwargs.get("dag_id", "?"), getattr(dag_run, "run_id", "?"), kwargs.get("allowed", "?"))

"""One retry policy for every outbound call (the CRM sinks and the web fetcher), built on tenacity.

A caller supplies `classify(outcome) -> Verdict`: the outcome is either the exception a try raised or the
value it returned (an HTTP response, say), so answers that are not exceptions (a 503, a 429, a 400 whose
body says UNABLE_TO_LOCK_ROW) are retried too. The policy adds what every caller needs and nobody should
write again: exponential backoff with jitter (so parallel workers do not retry in lock-step), a server's
Retry-After honoured, a bounded number of tries and a bounded total time (a retry whose wait would end
past the bound is not started; a caller with its own time budget also passes that budget's end as `deadline`).
It lives in the core, not under connectors/sinks/, because it is about HTTP calls, not CRMs: the web fetcher
(enrichment/) uses it too, and should not depend on the CRM sink package to do so. When the policy gives up,
the last answer is returned (or the last exception re-raised) unchanged, so the caller's own error handling
sees what the service really said.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_base, stop_after_attempt, stop_before_delay
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential_jitter

log = logging.getLogger(__name__)

T = TypeVar("T")

# Statuses that mean "not now" rather than "no": rate limited, timed out, or the service is unwell.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Verdict:
    """What to do with one outcome: retry it or not, why (for the log), and a wait the server asked for."""

    retry: bool
    reason: str = ""
    after: float | None = None  # seconds, from Retry-After; None = use the backoff


GIVE_UP = Verdict(False)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delay-seconds or an HTTP-date (RFC 9110 10.2.3); None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def classify_status(status: int, headers: Mapping[str, str] | None = None) -> Verdict:
    """The generic HTTP rule: 408/425/429/5xx are worth another try, honouring Retry-After; the rest are not."""
    if status not in TRANSIENT_STATUSES:
        return GIVE_UP
    after = None
    if headers:
        after = retry_after_seconds(next((v for k, v in headers.items() if k.lower() == "retry-after"), None))
    return Verdict(True, f"HTTP {status}", after)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Defaults suit a nightly batch push; tests pass tiny waits."""

    attempts: int = 6  # tries in all, the first included
    base: float = 0.5  # first backoff in seconds; doubles each retry
    cap: float = 30.0  # no single backoff is longer (a server's Retry-After may be, within `total`)
    total: float = 120.0  # seconds from the first try after which no retry is started
    jitter: float | None = None  # random extra seconds per wait; default `base`

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0 or self.total < 0:
            raise ValueError("a retry policy needs at least 1 attempt and non-negative waits")

    def run(self, fn: Callable[[], T], classify: Callable[[Any], Verdict], *, what: str = "request",
            sleep: Callable[[float], None] = time.sleep,
            on_retry: Callable[[Verdict, int, float], None] | None = None,
            deadline: float | None = None) -> T:
        """Call `fn` until `classify` says stop or the policy is spent; return its last value or raise its error.

        `what` names the call in the log (never personal data). `on_retry(verdict, attempt, wait)` is called
        before each wait, e.g. to pause a shared rate limiter. `deadline` (time.monotonic()) is the caller's own
        end: no retry is started whose wait would end at or after it, so a wait never eats a budget it cannot
        finish in.
        """
        backoff = wait_exponential_jitter(initial=self.base, max=self.cap,
                                          jitter=self.base if self.jitter is None else self.jitter)

        def verdict(state: RetryCallState) -> Verdict:
            outcome = state.outcome
            if outcome is None:
                return GIVE_UP
            return classify(outcome.exception() if outcome.failed else outcome.result())

        class _retry(retry_base):
            def __call__(self, state: RetryCallState) -> bool:
                return verdict(state).retry

        def wait(state: RetryCallState) -> float:
            v = verdict(state)
            return v.after if v.after is not None else backoff(state)

        def before_sleep(state: RetryCallState) -> None:
            v = verdict(state)
            pause = state.upcoming_sleep
            log.warning("%s: %s; try %d of %d in %.1f s", what, v.reason or "transient failure",
                        state.attempt_number + 1, self.attempts, pause)
            if on_retry:
                on_retry(v, state.attempt_number, pause)

        def give_up(state: RetryCallState) -> Any:
            outcome = state.outcome
            assert outcome is not None  # tenacity gives up only after an attempt
            log.warning("%s: giving up after %d tries (%s)", what, state.attempt_number,
                        verdict(state).reason or "transient failure")
            return outcome.result()  # re-raises the last exception, or hands back the last answer

        stop = stop_after_attempt(self.attempts) | stop_before_delay(self.total)
        if deadline is not None:
            stop = stop | _stop_at(deadline)
        retrying = Retrying(retry=_retry(), wait=wait, sleep=sleep, before_sleep=before_sleep, stop=stop,
                            retry_error_callback=give_up, reraise=True)
        return retrying(fn)


class _stop_at(stop_base):
    """Stop when the next wait would end at or after a fixed instant on the monotonic clock."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, state: RetryCallState) -> bool:
        return time.monotonic() + (state.upcoming_sleep or 0.0) >= self.deadline


__all__ = ["GIVE_UP", "TRANSIENT_STATUSES", "RetryPolicy", "Verdict", "classify_status", "retry_after_seconds"]

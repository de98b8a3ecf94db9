"""The shared retry policy (leadpipe/core/retry.py): what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import email.utils

import pytest

from leadpipe.core.retry import GIVE_UP, RetryPolicy, Verdict, classify_status, retry_after_seconds


class Answer:
    def __init__(self, status: int, headers: dict | None = None):
        self.status, self.headers = status, headers or {}


def scripted(*answers):
    """A call that returns (or raises) the given answers in order, counting its calls."""
    it = iter(answers)

    def call():
        call.n += 1
        a = next(it)
        if isinstance(a, BaseException):
            raise a
        return a

    call.n = 0
    return call


def by_status(a) -> Verdict:
    return classify_status(a.status, a.headers) if isinstance(a, Answer) else GIVE_UP


def test_transient_statuses_are_retried_until_an_answer_is_final() -> None:
    sleeps: list[float] = []
    call = scripted(Answer(503), Answer(502), Answer(200))
    got = RetryPolicy(base=0.01, cap=0.05).run(call, by_status, sleep=sleeps.append)
    assert got.status == 200 and call.n == 3 and len(sleeps) == 2


def test_a_final_refusal_is_not_retried() -> None:
    call = scripted(Answer(400), Answer(200))
    assert RetryPolicy().run(call, by_status, sleep=lambda s: None).status == 400 and call.n == 1


def test_retry_after_is_honoured_over_the_backoff() -> None:
    sleeps: list[float] = []
    call = scripted(Answer(429, {"Retry-After": "7"}), Answer(200))
    RetryPolicy(base=0.01, cap=0.05, total=60).run(call, by_status, sleep=sleeps.append)
    assert sleeps == [7.0]


def test_backoff_grows_and_has_jitter() -> None:
    sleeps: list[float] = []
    RetryPolicy(attempts=5, base=1.0, cap=100, total=1000, jitter=0.5).run(
        scripted(*[Answer(503)] * 5), by_status, sleep=sleeps.append)
    assert len(sleeps) == 4
    for i, s in enumerate(sleeps):  # 1, 2, 4, 8 s plus up to 0.5 s of jitter
        assert 2 ** i <= s <= 2 ** i + 0.5


def test_gives_up_after_the_attempts_returning_the_last_answer() -> None:
    call = scripted(*[Answer(503)] * 3, Answer(200))
    got = RetryPolicy(attempts=3, base=0, jitter=0).run(call, by_status, sleep=lambda s: None)
    assert got.status == 503 and call.n == 3


def test_a_wait_past_the_total_time_is_not_started() -> None:
    sleeps: list[float] = []
    call = scripted(Answer(503, {"Retry-After": "600"}), Answer(200))
    got = RetryPolicy(total=60).run(call, by_status, sleep=sleeps.append)
    assert got.status == 503 and sleeps == [] and call.n == 1


def test_exceptions_are_classified_and_the_last_one_re_raised() -> None:
    def classify(outcome) -> Verdict:
        return Verdict(isinstance(outcome, ConnectionError), "connection dropped")

    call = scripted(ConnectionError("drop"), Answer(200))
    assert RetryPolicy(base=0, jitter=0).run(call, classify, sleep=lambda s: None).status == 200
    with pytest.raises(ConnectionError, match="drop 3"):
        RetryPolicy(attempts=3, base=0, jitter=0).run(
            scripted(ConnectionError("drop 1"), ConnectionError("drop 2"), ConnectionError("drop 3")),
            classify, sleep=lambda s: None)
    with pytest.raises(ValueError):  # not transient: raised at once
        RetryPolicy().run(scripted(ValueError("bad")), classify, sleep=lambda s: None)


def test_on_retry_hears_each_wait() -> None:
    heard: list[tuple[str, int, float]] = []
    RetryPolicy(base=0, jitter=0).run(scripted(Answer(429, {"retry-after": "2"}), Answer(200)), by_status,
                                      sleep=lambda s: None, on_retry=lambda v, n, w: heard.append((v.reason, n, w)))
    assert heard == [("HTTP 429", 1, 2.0)]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120") == 120.0
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(date, now=1_000_000) == pytest.approx(30.0)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert not classify_status(404).retry and classify_status(503).retry and classify_status(429).retry

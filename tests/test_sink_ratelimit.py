"""The rolling-window budget, on a fake clock: never more than N requests in any window."""

from __future__ import annotations

from connectors.sinks.ratelimit import RollingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_window_counts_from_the_answer_and_never_overshoots() -> None:
    clock = FakeClock()
    lim = RollingWindowLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
    sent = []
    for i in range(9):
        with lim.slot():
            sent.append(clock.t)
            clock.t += 0.5 if i == 0 else 0.0  # the first request takes 0.5 s to be answered
    assert sent[:3] == [0.0, 0.5, 0.5]
    assert sent[3] == 10.5  # the first slot's window starts when its answer came (0.5), not when it left
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u - t < 10.0) <= 3


def test_pause_holds_everyone() -> None:
    clock = FakeClock()
    lim = RollingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    lim.pause(7.0)
    with lim.slot():
        assert clock.t == 7.0

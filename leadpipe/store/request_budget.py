"""One CRM request budget shared by every process: the nightly push, list rebuilds, other Celery workers.

HubSpot counts requests per app in a rolling 10-second window; two tasks pushing at once, each with its own
in-process limiter, would together send twice the budget. These limiters keep the window where every process
sees it: in Redis when one is configured (LEADPIPE_REDIS_URL), else in the warehouse (tables `crm_budgets` and
`crm_requests`, migration 0002), so PostgreSQL, MariaDB and SQLite all work. They keep the semantics of
`connectors.sinks.ratelimit.RollingWindowLimiter`: a slot is held from the moment a request is sent until its
answer arrives and only then starts its window, and a 429 pauses every process on the budget.

A process that dies with a request in flight leaves its slot behind; it stops counting after `STALE_S`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from leadpipe.store.warehouse import crm_budgets, crm_requests, engine_for

# The limiters here satisfy connectors.sinks.ratelimit.RequestLimiter by shape (slot, pause, waited); the store
# does not import the plug-in layer above it.
STALE_S = 120.0  # an unanswered slot older than this belongs to a process that died mid-request
POLL_S = 0.02  # every slot in flight: look again this soon


def _us(seconds: float) -> int:
    return int(seconds * 1_000_000)


class WarehouseWindowLimiter:
    """`with limiter.slot():` waits until one more request keeps every process within the budget.

    Each acquire is one short transaction that first updates the budget's own row, which serialises the
    processes on that row (a row lock on PostgreSQL/MariaDB, the write lock on SQLite), then counts the
    requests in the window with a locking read and adds its own. Times are the callers' wall clocks
    (time.time), so the processes sharing a budget need synchronised clocks (NTP), as Celery workers have.
    """

    def __init__(self, engine: Engine, key: str, max_requests: int, window: float,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        if max_requests < 1 or window <= 0:
            raise ValueError("a rate limit needs at least 1 request per positive window")
        self.engine, self.key = engine, key
        self.max_requests, self.window = max_requests, window
        self._clock, self._sleep = clock, sleep
        self.waited = 0.0
        try:
            with engine.begin() as conn:
                if conn.execute(select(crm_budgets.c.budget_key).where(crm_budgets.c.budget_key == key)).first() is None:
                    conn.execute(insert(crm_budgets).values(budget_key=key, paused_until_us=0, touched=0))
        except IntegrityError:  # another process created it first: the same row serves us both
            pass

    def _try(self) -> tuple[int | None, float]:
        """(slot id, 0) when a slot was taken, else (None, seconds to wait before trying again)."""
        now = _us(self._clock())
        window_us = _us(self.window)
        with self.engine.begin() as conn:
            conn.execute(update(crm_budgets).where(crm_budgets.c.budget_key == self.key)
                         .values(touched=crm_budgets.c.touched + 1))  # the lock: one process at a time from here
            paused = conn.execute(select(crm_budgets.c.paused_until_us)
                                  .where(crm_budgets.c.budget_key == self.key).with_for_update()).scalar() or 0
            if paused > now:
                return None, (paused - now) / 1e6
            conn.execute(delete(crm_requests).where(
                crm_requests.c.budget_key == self.key,
                (crm_requests.c.answered_us < now - window_us)
                | (crm_requests.c.answered_us.is_(None) & (crm_requests.c.started_us < now - _us(STALE_S)))))
            answered = conn.execute(select(crm_requests.c.answered_us)
                                    .where(crm_requests.c.budget_key == self.key).with_for_update()).scalars().all()
            if len(answered) < self.max_requests:
                new = conn.execute(insert(crm_requests).values(budget_key=self.key, started_us=now))
                return int(new.inserted_primary_key[0]), 0.0
        done = [a for a in answered if a is not None]
        return None, max((min(done) + window_us - now) / 1e6, POLL_S) if done else POLL_S

    @contextmanager
    def slot(self) -> Iterator[None]:
        while True:
            slot_id, wait = self._try()
            if slot_id is not None:
                break
            self.waited += wait
            self._sleep(wait)
        try:
            yield
        finally:
            with self.engine.begin() as conn:
                conn.execute(update(crm_requests).where(crm_requests.c.id == slot_id)
                             .values(answered_us=_us(self._clock())))

    def pause(self, seconds: float) -> None:
        """The CRM said 'slow down': no process on this budget sends for `seconds`."""
        until = _us(self._clock() + seconds)
        with self.engine.begin() as conn:
            conn.execute(update(crm_budgets).where(crm_budgets.c.budget_key == self.key,
                                                   crm_budgets.c.paused_until_us < until)
                         .values(paused_until_us=until))


# KEYS[1] = window zset, KEYS[2] = pause key; ARGV = max, window_us, stale_us, member. Times from Redis TIME,
# so processes on machines with different clocks still share one window. Returns 0 (slot taken) or the
# microseconds to wait. In-flight members carry a score in the future (start + stale) until answered.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.floor((tonumber(ARGV[2]) + tonumber(ARGV[3])) / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local score = tonumber(oldest[2])
if score > now then return 20000 end
return math.max(score + tonumber(ARGV[2]) - now, 20000)
"""
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('ZADD', KEYS[1], now, ARGV[1]) end
return 0
"""
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untilus = now + tonumber(ARGV[1])
if untilus > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], untilus, 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
"""


class RedisWindowLimiter:
    """The same budget kept in a Redis sorted set (one member per request), updated by Lua scripts atomically."""

    def __init__(self, client: object, key: str, max_requests: int, window: float,
                 sleep: Callable[[float], None] = time.sleep):
        if max_requests < 1 or window <= 0:
            raise ValueError("a rate limit needs at least 1 request per positive window")
        self.max_requests, self.window = max_requests, window
        self._keys = [f"leadpipe:crm-budget:{key}:window", f"leadpipe:crm-budget:{key}:paused"]
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._pause = client.register_script(_PAUSE)
        self._sleep = sleep
        self.waited = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        member = uuid.uuid4().hex
        while True:
            wait_us = int(self._acquire(keys=self._keys, args=[self.max_requests, _us(self.window), _us(STALE_S),
                                                               member]))
            if wait_us == 0:
                break
            self.waited += wait_us / 1e6
            self._sleep(wait_us / 1e6)
        try:
            yield
        finally:
            self._release(keys=self._keys[:1], args=[member])

    def pause(self, seconds: float) -> None:
        self._pause(keys=self._keys[1:], args=[max(_us(seconds), 1)])


Limiter = WarehouseWindowLimiter | RedisWindowLimiter


def _warehouse_limiter(engine: Engine, key: str, max_requests: int, window: float) -> Limiter:
    return WarehouseWindowLimiter(engine, key, max_requests, window)


def _redis_limiter(redis_url: str, key: str, max_requests: int, window: float) -> Limiter:
    import redis  # only when Redis holds the budget

    return RedisWindowLimiter(redis.Redis.from_url(redis_url), key, max_requests, window)


def shared_limiter_factory(engine: Engine | str, redis_url: str = "") -> Callable[[str, int, float], Limiter]:
    """The factory a sink gets through SinkContext.limiter: Redis when configured, else the warehouse."""
    if redis_url:
        return partial(_redis_limiter, redis_url)
    return partial(_warehouse_limiter, engine_for(engine) if isinstance(engine, str) else engine)


__all__ = ["RedisWindowLimiter", "WarehouseWindowLimiter", "shared_limiter_factory"]

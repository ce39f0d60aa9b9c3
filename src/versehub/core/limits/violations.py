"""Where rate-limit violations are counted: memory (this process), or Redis shared by all.

Only the count that leads to a ban lives here; the ban itself is a database row (bans.py).
With Redis, an outage never fails a request: counting switches to memory (per process), logs a
warning, and tries Redis again a little later.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol, TypeVar

import redis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]

REDIS_PREFIX = "versehub:bans:"
# Counted on every 429: a slow Redis must not make those answers slow.
REDIS_TIMEOUT = 0.5
# After a Redis failure, stay on memory this long before trying Redis again.
REDIS_RETRY_AFTER = 2.0
# Memory: forget idle violation histories once this many keys are tracked.
MEMORY_SWEEP_AT = 10_000


class Violations(Protocol):
    """A sliding-window count of violations per caller."""

    @property
    def backend(self) -> str:
        """Where violations are counted now: memory, redis, or redis-unreachable."""

    def count(self, key: str, window: int) -> int:
        """Record one violation by `key`; how many fell within the last `window` seconds."""

    def forget(self, key: str) -> None:
        """Drop the history of `key` (after a ban or a lift)."""

    def probe(self) -> bool:
        """Whether the counter is usable right now (tries Redis again)."""


class MemoryViolations:
    """Violations counted in this process only."""

    backend = "memory"

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._history: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def count(self, key: str, window: int) -> int:
        """Record one violation; how many fell within the window."""
        now = self._clock()
        with self._lock:
            if len(self._history) >= MEMORY_SWEEP_AT:
                for idle in [k for k, h in self._history.items() if not h or h[-1] <= now - window]:
                    del self._history[idle]
            history = self._history.setdefault(key, deque())
            while history and history[0] <= now - window:
                history.popleft()
            history.append(now)
            return len(history)

    def forget(self, key: str) -> None:
        """Drop the history of `key`."""
        with self._lock:
            self._history.pop(key, None)

    def probe(self) -> bool:
        """Memory is always usable."""
        return True


class RedisViolations:
    """Violations counted in Redis; raises RedisError when Redis is away."""

    backend = "redis"

    def __init__(self, client: redis.Redis, clock: Clock = time.time) -> None:
        self._client = client
        self._clock = clock

    @staticmethod
    def _key(key: str) -> str:
        return f"{REDIS_PREFIX}violations:{key}"

    def count(self, key: str, window: int) -> int:
        """Record one violation in a sorted set; how many fell within the window."""
        now = self._clock()
        history = self._key(key)
        pipe = self._client.pipeline(transaction=True)
        pipe.zremrangebyscore(history, "-inf", now - window)
        pipe.zadd(history, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
        pipe.zcard(history)
        pipe.expire(history, window)
        return int(pipe.execute()[2])

    def forget(self, key: str) -> None:
        """Drop the history of `key`."""
        self._client.delete(self._key(key))

    def probe(self) -> bool:
        """PING."""
        return bool(self._client.ping())


class FailoverViolations:
    """Redis while it answers, memory (this process) while it does not."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        clock: Clock = time.time,
        retry_after: float = REDIS_RETRY_AFTER,
    ) -> None:
        self._redis = RedisViolations(client, clock)
        self._memory = MemoryViolations(clock)
        self._retry_after = retry_after
        self._down_until: float | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """redis, or redis-unreachable while memory stands in."""
        return "redis-unreachable" if self._down_until is not None else "redis"

    def _redis_or(self, op: Callable[[RedisViolations], T], fallback: Callable[[], T]) -> T:
        down_until = self._down_until
        if down_until is not None and time.monotonic() < down_until:
            return fallback()
        try:
            result = op(self._redis)
        except RedisError as exc:
            self._fail_over(exc)
            return fallback()
        if down_until is not None:
            self._recovered()
        return result

    def _fail_over(self, exc: RedisError) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = time.monotonic() + self._retry_after
        if first:
            log.warning(
                "rate_limit_bans_storage_unavailable",
                error=type(exc).__name__,
                fallback="memory (violations count per process)",
                retry_in=self._retry_after,
            )

    def _recovered(self) -> None:
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            log.info("rate_limit_bans_storage_recovered")

    def count(self, key: str, window: int) -> int:
        """Count where violations are kept right now."""
        return self._redis_or(
            lambda r: r.count(key, window), lambda: self._memory.count(key, window)
        )

    def forget(self, key: str) -> None:
        """Forget in both places (a failure to forget in Redis only leaves a stale count)."""
        self._memory.forget(key)
        self._redis_or(lambda r: r.forget(key), lambda: None)

    def probe(self) -> bool:
        """PING Redis now; success ends the memory period early."""
        try:
            self._redis.probe()
        except RedisError as exc:
            self._fail_over(exc)
            return False
        self._recovered()
        return True


def make_violations(redis_url: str | None) -> Violations:
    """Memory without Redis; Redis with a memory fallback otherwise."""
    if not redis_url:
        return MemoryViolations()
    client = redis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )
    return FailoverViolations(client)

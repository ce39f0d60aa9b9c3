"""Where breaker state lives: Redis (shared by every process), memory while Redis is down."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pybreaker
import redis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger("versehub.core.breakers")

T = TypeVar("T")

REDIS_NAMESPACE = "versehub:breaker"
# After a Redis failure, stay on memory this long before trying Redis again.
REDIS_RETRY_AFTER = 5.0


class _ReraisingLogger(logging.Logger):
    """CircuitRedisStorage swallows RedisError into `logger.exception` and answers "closed" or 0,
    which would silently disable the breaker during an outage; re-raising lets FailoverStorage
    switch to memory instead."""

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        if error is None:
            raise RuntimeError(str(msg))
        raise error


class _RedisStorage(pybreaker.CircuitRedisStorage):
    logger = _ReraisingLogger(__name__)


class FailoverStorage(pybreaker.CircuitBreakerStorage):
    """Breaker state in Redis (shared by every process), in memory while Redis is unreachable."""

    def __init__(
        self, breaker: str, client: redis.Redis, *, retry_after: float = REDIS_RETRY_AFTER
    ) -> None:
        super().__init__("redis")
        self._breaker = breaker
        self._client = client
        self._retry_after = retry_after
        self._redis: _RedisStorage | None = None
        self._memory = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self._down_until: float | None = None
        # Health probes read states outside the breaker's own lock.
        self._lock = threading.RLock()

    @property
    def degraded(self) -> bool:
        """True while the state lives in this process only."""
        return self._down_until is not None

    def _run(self, op: Callable[[pybreaker.CircuitBreakerStorage], T]) -> T:
        with self._lock:
            return self._run_locked(op)

    def _run_locked(self, op: Callable[[pybreaker.CircuitBreakerStorage], T]) -> T:
        if self._down_until is None or time.monotonic() >= self._down_until:
            try:
                if self._redis is None:
                    # Built lazily: its constructor talks to Redis.
                    self._redis = _RedisStorage(
                        pybreaker.STATE_CLOSED,
                        self._client,
                        namespace=f"{REDIS_NAMESPACE}:{self._breaker}",
                    )
                result = op(self._redis)
            except RedisError as exc:
                self._fail_over(exc)
            else:
                if self._down_until is not None:
                    self._down_until = None
                    log.info("circuit_breaker_storage_recovered", breaker=self._breaker)
                return result
        return op(self._memory)

    def _fail_over(self, exc: RedisError) -> None:
        if self._down_until is None:
            # A fresh local count: the last shared state is unknown, and closed lets calls through.
            self._memory = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self._down_until = time.monotonic() + self._retry_after
        log.warning(
            "circuit_breaker_storage_unavailable",
            breaker=self._breaker,
            error=type(exc).__name__,
            fallback="memory",
            retry_in=self._retry_after,
        )

    @property
    def state(self) -> str:
        """The breaker's state name."""
        return self._run(lambda s: s.state)

    @state.setter
    def state(self, state: str) -> None:
        def write(storage: pybreaker.CircuitBreakerStorage) -> None:
            storage.state = state

        self._run(write)

    def increment_counter(self) -> None:
        """Count one failure."""
        self._run(lambda s: s.increment_counter())

    def reset_counter(self) -> None:
        """Forget the failures."""
        self._run(lambda s: s.reset_counter())

    def increment_success_counter(self) -> None:
        """Count one success while half-open."""
        self._run(lambda s: s.increment_success_counter())

    def reset_success_counter(self) -> None:
        """Forget the half-open successes."""
        self._run(lambda s: s.reset_success_counter())

    @property
    def counter(self) -> int:
        """Consecutive failures."""
        return self._run(lambda s: s.counter)

    @property
    def success_counter(self) -> int:
        """Consecutive half-open successes."""
        return self._run(lambda s: s.success_counter)

    @property
    def opened_at(self) -> datetime | None:
        """When the breaker last opened."""
        return self._run(lambda s: s.opened_at)

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        def write(storage: pybreaker.CircuitBreakerStorage) -> None:
            storage.opened_at = now

        self._run(write)

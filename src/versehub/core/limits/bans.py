"""Where bans and limit violations live: memory, or Redis shared by every process.

With Redis, an outage never fails a request: the store switches to memory (per process), logs a
warning, and tries Redis again a little later. Bans made meanwhile keep applying in that process.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import redis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

T = TypeVar("T")

REDIS_PREFIX = "versehub:bans:"
# Checked on every request: a slow Redis must not make every request slow.
REDIS_TIMEOUT = 0.5
# After a Redis failure, stay on memory this long before trying Redis again.
REDIS_RETRY_AFTER = 2.0
# Memory store: forget idle violation histories once this many keys are tracked.
MEMORY_SWEEP_AT = 10_000

Clock = Callable[[], float]


@dataclass(frozen=True)
class Ban:
    """A caller refused until `until` after repeated rate-limit violations."""

    key: str
    created_at: float
    until: float
    violations: int
    reason: str = "rate_limit"

    @property
    def until_iso(self) -> str:
        """`until` as ISO 8601 UTC."""
        return iso(self.until)

    def remaining(self, now: float) -> int:
        """Whole seconds left (at least 1 while banned)."""
        return max(1, int(self.until - now + 0.999))

    def to_json(self) -> str:
        """How a ban is stored in Redis."""
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, raw: str) -> Ban:
        """Read a stored ban."""
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


def iso(timestamp: float) -> str:
    """A Unix time as ISO 8601 UTC with a `Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class BanPolicy:
    """`threshold` violations within `window` seconds ban for `duration` seconds."""

    threshold: int
    window: int
    duration: int


class BanStore(Protocol):
    """What the limiter and the admin tools need from a store."""

    @property
    def backend(self) -> str:
        """Where bans live now: memory, redis, or redis-unreachable (memory meanwhile)."""

    def get(self, key: str) -> Ban | None:
        """The active ban of `key`, if any."""

    def record_violation(self, key: str, policy: BanPolicy) -> Ban | None:
        """Count one violation; the new Ban when this one crossed the threshold."""

    def list(self) -> list[Ban]:
        """Every active ban, soonest to end first."""

    def lift(self, key: str) -> Ban | None:
        """End the ban of `key` and forget its violations; the lifted Ban, if there was one."""

    def probe(self) -> bool:
        """Whether the store is usable right now (tries Redis again)."""


class MemoryBans:
    """Bans in this process only."""

    backend = "memory"

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._bans: dict[str, Ban] = {}
        self._violations: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Ban | None:
        """The active ban of `key`, if any."""
        with self._lock:
            ban = self._bans.get(key)
            if ban is not None and ban.until <= self._clock():
                del self._bans[key]
                return None
            return ban

    def record_violation(self, key: str, policy: BanPolicy) -> Ban | None:
        """Count one violation; the new Ban when this one crossed the threshold."""
        now = self._clock()
        with self._lock:
            if len(self._violations) >= MEMORY_SWEEP_AT:
                self._sweep(now, policy.window)
            history = self._violations.setdefault(key, deque())
            while history and history[0] <= now - policy.window:
                history.popleft()
            history.append(now)
            active = self._bans.get(key)
            if len(history) < policy.threshold or (active is not None and active.until > now):
                return None
            ban = Ban(key, now, now + policy.duration, len(history))
            self._bans[key] = ban
            del self._violations[key]
            return ban

    def _sweep(self, now: float, window: int) -> None:
        for key in [k for k, h in self._violations.items() if not h or h[-1] <= now - window]:
            del self._violations[key]
        for key in [k for k, b in self._bans.items() if b.until <= now]:
            del self._bans[key]

    def list(self) -> list[Ban]:
        """Every active ban, soonest to end first."""
        now = self._clock()
        with self._lock:
            return sorted((b for b in self._bans.values() if b.until > now), key=_by_until)

    def lift(self, key: str) -> Ban | None:
        """End the ban of `key` and forget its violations."""
        with self._lock:
            self._violations.pop(key, None)
            ban = self._bans.pop(key, None)
        return ban if ban is not None and ban.until > self._clock() else None

    def probe(self) -> bool:
        """Memory is always usable."""
        return True


def _by_until(ban: Ban) -> tuple[float, str]:
    return (ban.until, ban.key)


class RedisBans:
    """Bans shared by every process through Redis; raises RedisError when Redis is away."""

    backend = "redis"

    def __init__(self, client: redis.Redis, clock: Clock = time.time) -> None:
        self._client = client
        self._clock = clock

    @staticmethod
    def _ban_key(key: str) -> str:
        return f"{REDIS_PREFIX}ban:{key}"

    @staticmethod
    def _violations_key(key: str) -> str:
        return f"{REDIS_PREFIX}violations:{key}"

    _INDEX = f"{REDIS_PREFIX}index"

    def get(self, key: str) -> Ban | None:
        """The active ban of `key` (Redis expires it at `until`)."""
        raw = self._client.get(self._ban_key(key))
        return Ban.from_json(str(raw)) if raw is not None else None

    def record_violation(self, key: str, policy: BanPolicy) -> Ban | None:
        """Count one violation in a sliding window; ban once (SET NX) when it crosses."""
        now = self._clock()
        history = self._violations_key(key)
        pipe = self._client.pipeline(transaction=True)
        pipe.zremrangebyscore(history, "-inf", now - policy.window)
        pipe.zadd(history, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
        pipe.zcard(history)
        pipe.expire(history, policy.window)
        count = int(pipe.execute()[2])
        if count < policy.threshold:
            return None
        ban = Ban(key, now, now + policy.duration, count)
        # NX: when several processes cross the threshold together, exactly one bans and reports.
        if not self._client.set(self._ban_key(key), ban.to_json(), nx=True, ex=policy.duration):
            return None
        pipe = self._client.pipeline(transaction=True)
        pipe.zadd(self._INDEX, {key: ban.until})
        pipe.delete(history)
        pipe.execute()
        return ban

    def list(self) -> list[Ban]:
        """Every active ban, soonest to end first."""
        self._client.zremrangebyscore(self._INDEX, "-inf", self._clock())
        keys = [str(k) for k in self._client.zrange(self._INDEX, 0, -1)]
        if not keys:
            return []
        raws = self._client.mget([self._ban_key(k) for k in keys])
        return sorted((Ban.from_json(str(r)) for r in raws if r is not None), key=_by_until)

    def lift(self, key: str) -> Ban | None:
        """End the ban of `key` and forget its violations."""
        pipe = self._client.pipeline(transaction=True)
        pipe.get(self._ban_key(key))
        pipe.delete(self._ban_key(key), self._violations_key(key))
        pipe.zrem(self._INDEX, key)
        raw = pipe.execute()[0]
        return Ban.from_json(str(raw)) if raw is not None else None

    def probe(self) -> bool:
        """PING."""
        return bool(self._client.ping())


class FailoverBans:
    """Redis while it answers, memory (this process) while it does not."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        clock: Clock = time.time,
        retry_after: float = REDIS_RETRY_AFTER,
    ) -> None:
        self._redis = RedisBans(client, clock)
        # Holds only what happened during outages; consulted alongside Redis so those bans hold.
        self._memory = MemoryBans(clock)
        self._retry_after = retry_after
        self._down_until: float | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """redis, or redis-unreachable while memory stands in."""
        return "redis-unreachable" if self._down_until is not None else "redis"

    def _redis_or(self, op: Callable[[RedisBans], T], fallback: Callable[[], T]) -> T:
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
                fallback="memory (this process only)",
                retry_in=self._retry_after,
            )

    def _recovered(self) -> None:
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            log.info("rate_limit_bans_storage_recovered")

    def get(self, key: str) -> Ban | None:
        """The active ban of `key`: Redis's, else one made here during an outage."""
        return self._redis_or(lambda r: r.get(key), lambda: None) or self._memory.get(key)

    def record_violation(self, key: str, policy: BanPolicy) -> Ban | None:
        """Count one violation where the violations are kept right now."""
        return self._redis_or(
            lambda r: r.record_violation(key, policy),
            lambda: self._memory.record_violation(key, policy),
        )

    def list(self) -> list[Ban]:
        """Bans in Redis and bans made here during an outage."""
        merged = {ban.key: ban for ban in self._memory.list()}
        shared: list[Ban] = self._redis_or(lambda r: r.list(), lambda: [])
        merged.update({ban.key: ban for ban in shared})
        return sorted(merged.values(), key=_by_until)

    def lift(self, key: str) -> Ban | None:
        """Lift everywhere; raises RedisError when Redis cannot confirm the lift."""
        local = self._memory.lift(key)
        shared = self._redis.lift(key)
        return shared or local

    def probe(self) -> bool:
        """PING Redis now; success ends the memory period early."""
        try:
            self._redis.probe()
        except RedisError as exc:
            self._fail_over(exc)
            return False
        self._recovered()
        return True


def make_store(redis_url: str | None) -> BanStore:
    """Memory without Redis; Redis with a memory fallback otherwise."""
    if not redis_url:
        return MemoryBans()
    client = redis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )
    return FailoverBans(client)

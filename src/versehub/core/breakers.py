"""Circuit breakers for outside calls (pybreaker): per app, state shared through Redis when set.

An open breaker answers with an APIError (SYS_SERVICE_UNAVAILABLE unless the caller chose another
code), never a bare pybreaker exception. With Redis, every process sees the same state; when Redis
is unreachable the breaker keeps counting in memory for a while instead of failing the request.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pybreaker
import redis
import structlog
from flask import Flask, current_app

from versehub.core.breaker_storage import REDIS_RETRY_AFTER, FailoverStorage
from versehub.core.errors import ERROR_STATUS, APIError
from versehub.core.health import register_check
from versehub.core.metrics import BREAKER_STATE_CHANGES
from versehub.core.modules import Health, HealthStatus
from versehub.settings import Settings

log = structlog.get_logger(__name__)

T = TypeVar("T")

EXTENSION_KEY = "versehub.breakers"
# A breaker reads its state on every call: a slow Redis must not make every outside call slow.
REDIS_TIMEOUT = 0.5

Exclusion = type[BaseException] | Callable[[BaseException], bool]


class StateChangeListener(pybreaker.CircuitBreakerListener):
    """Log every state change and count it in the breaker metric."""

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        """Called by pybreaker (also when this process notices another one's change)."""
        name = cb.name or "unnamed"
        BREAKER_STATE_CHANGES.labels(name, new_state.name).inc()
        emit = log.warning if new_state.name == pybreaker.STATE_OPEN else log.info
        emit(
            "circuit_breaker_state_changed",
            breaker=name,
            old_state=old_state.name if old_state else None,
            new_state=new_state.name,
        )


class Breaker(pybreaker.CircuitBreaker):
    """A named breaker whose refusals raise APIError(`error_code`), never CircuitBreakerError.

    pybreaker's own `call` holds the breaker's lock while the outside call runs, so one slow
    provider call would queue every other thread behind it (danielfm/pybreaker#55). Here the lock
    guards only the bookkeeping; the rules are pybreaker's: `fail_max` consecutive failures open
    the breaker, after `reset_timeout` one trial call runs (half-open), its success closes it.
    """

    def __init__(
        self,
        name: str,
        *,
        fail_max: int,
        reset_timeout: float,
        error_code: str,
        storage: pybreaker.CircuitBreakerStorage,
        exclude: Iterable[Exclusion] = (),
    ) -> None:
        if error_code not in ERROR_STATUS:
            raise ValueError(f"unknown error code {error_code!r}")
        super().__init__(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=list(exclude),
            listeners=[StateChangeListener()],
            state_storage=storage,
            name=name,
        )
        self.error_code = error_code
        self.storage = storage
        self._trial_running = False

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call `func` through the breaker; a refused call raises APIError without running."""
        with self.calling():
            for listener in self.listeners:
                listener.before_call(self, func, *args, **kwargs)
            return func(*args, **kwargs)

    @contextlib.contextmanager
    def calling(self) -> Iterator[None]:
        """Run the `with` block through the breaker (same rules as `call`)."""
        trial = self._admit()
        try:
            yield
        except Exception as exc:
            self._failed(exc, trial=trial)
            raise
        except BaseException:
            # Interrupts and exits say nothing about the remote service.
            self._finish_trial(trial)
            raise
        else:
            self._succeeded(trial=trial)

    def _admit(self) -> bool:
        """Let a call through (True when it is the half-open trial) or raise APIError."""
        with self._lock:
            state = self.state.name  # reading `state` also picks up other processes' changes
            if state == pybreaker.STATE_CLOSED:
                return False
            if state == pybreaker.STATE_OPEN:
                opened_at = self.storage.opened_at
                timeout = timedelta(seconds=self.reset_timeout)
                if opened_at is not None and datetime.now(UTC) < opened_at + timeout:
                    raise self._unavailable()
                self.half_open()
            if self._trial_running:  # half-open: one trial at a time in this process
                raise self._unavailable()
            self._trial_running = True
            return True

    def _failed(self, exc: Exception, *, trial: bool) -> None:
        if not self.is_system_error(exc):
            self._succeeded(trial=trial)
            return
        with self._lock:
            self._finish_trial(trial)
            self.storage.increment_counter()
            for listener in self.listeners:
                listener.failure(self, exc)
            if trial or (
                self.current_state == pybreaker.STATE_CLOSED and self.fail_counter >= self.fail_max
            ):
                self.open()

    def _succeeded(self, *, trial: bool) -> None:
        with self._lock:
            self._finish_trial(trial)
            self.storage.reset_counter()
            if trial and self.current_state == pybreaker.STATE_HALF_OPEN:
                self.storage.increment_success_counter()
                if self.success_counter >= self.success_threshold:
                    self.close()
            for listener in self.listeners:
                listener.success(self)

    def _finish_trial(self, trial: bool) -> None:
        if trial:
            self._trial_running = False

    def _unavailable(self) -> APIError:
        opened_at = self.storage.opened_at
        remaining = self.reset_timeout
        if opened_at is not None:
            remaining -= (datetime.now(UTC) - opened_at).total_seconds()
        retry_after = max(1, math.ceil(remaining))
        return APIError(
            self.error_code,
            f"{self.name} is temporarily unavailable; retry in {retry_after}s",
            details={"breaker": self.name, "retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class BreakerRegistry:
    """The app's breakers by name, created on first use."""

    def __init__(
        self, client: redis.Redis | None = None, *, storage_retry_after: float = REDIS_RETRY_AFTER
    ) -> None:
        self.client = client
        self.storage_retry_after = storage_retry_after
        self._breakers: dict[str, Breaker] = {}
        self._options: dict[str, tuple[object, ...]] = {}
        self._lock = threading.Lock()

    def get(
        self,
        name: str,
        *,
        fail_max: int = 5,
        reset_timeout: float = 30,
        error_code: str = "SYS_SERVICE_UNAVAILABLE",
        exclude: Iterable[Exclusion] = (),
    ) -> Breaker:
        """The breaker `name`; every caller must ask for it with the same options."""
        exclude = tuple(exclude)
        options = (fail_max, reset_timeout, error_code, exclude)
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                storage: pybreaker.CircuitBreakerStorage = (
                    FailoverStorage(name, self.client, retry_after=self.storage_retry_after)
                    if self.client is not None
                    else pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
                )
                breaker = Breaker(
                    name,
                    fail_max=fail_max,
                    reset_timeout=reset_timeout,
                    error_code=error_code,
                    storage=storage,
                    exclude=exclude,
                )
                self._breakers[name] = breaker
                self._options[name] = options
            elif self._options[name] != options:
                raise ValueError(f"breaker {name!r} already exists with other options")
            return breaker

    def states(self) -> dict[str, str]:
        """{name: "closed" | "open" | "half-open"} for every breaker made so far."""
        with self._lock:
            breakers = dict(self._breakers)
        return {name: breaker.current_state for name, breaker in sorted(breakers.items())}

    def storage(self) -> str:
        """Where the states live: "memory", "redis", or "redis-unreachable" (memory for now)."""
        if self.client is None:
            return "memory"
        with self._lock:
            storages = [b.storage for b in self._breakers.values()]
        degraded = any(isinstance(s, FailoverStorage) and s.degraded for s in storages)
        return "redis-unreachable" if degraded else "redis"


def init_breakers(app: Flask, settings: Settings) -> BreakerRegistry:
    """Create the app's breaker registry (Redis-backed when `settings.redis_url` is set)."""
    client = None
    if settings.redis_url:
        # pybreaker decodes the bytes itself: decode_responses must stay off.
        client = redis.Redis.from_url(
            settings.redis_url,
            decode_responses=False,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
    registry = BreakerRegistry(client)
    app.extensions[EXTENSION_KEY] = registry
    register_check(app, "breakers", check_breakers)
    return registry


def get_registry() -> BreakerRegistry:
    """The current app's breaker registry."""
    registry: BreakerRegistry | None = current_app.extensions.get(EXTENSION_KEY)
    if registry is None:
        raise RuntimeError("init_breakers(app, settings) was not called for this app")
    return registry


def get_breaker(
    name: str,
    *,
    fail_max: int = 5,
    reset_timeout: float = 30,
    error_code: str = "SYS_SERVICE_UNAVAILABLE",
    exclude: Iterable[Exclusion] = (),
) -> Breaker:
    """The current app's breaker `name` (created once per app)."""
    return get_registry().get(
        name,
        fail_max=fail_max,
        reset_timeout=reset_timeout,
        error_code=error_code,
        exclude=exclude,
    )


def breaker_states() -> dict[str, str]:
    """The current app's breakers and their states, for health reports."""
    return get_registry().states()


def check_breakers() -> Health:
    """Readiness detail: an open breaker degrades the app but keeps it ready."""
    registry = get_registry()
    states = registry.states()
    storage = registry.storage()
    healthy = storage != "redis-unreachable" and all(
        s == pybreaker.STATE_CLOSED for s in states.values()
    )
    status: HealthStatus = "ok" if healthy else "degraded"
    return Health(status, {"breakers": states, "storage": storage})

"""One app's limiter, ban store and policy, kept in `app.extensions`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_limiter import Limiter, RouteLimit

from versehub.core.limits.bans import BanPolicy, BanStore
from versehub.core.limits.fast import DefaultLimits
from versehub.core.limits.specs import Declaration, LimitSpec, declaration_of, is_exempt
from versehub.settings import Settings

EXTENSION_KEY = "versehub.limits"


class RateLimits:
    """The app's Flask-Limiter, its ban store, and the routes it has learnt about."""

    def __init__(self, limiter: Limiter, bans: BanStore, settings: Settings) -> None:
        self.limiter = limiter
        self.bans = bans
        self.enabled = settings.rate_limits_enabled
        self.storage_backend = "redis" if settings.redis_url else "memory"
        self.policy = BanPolicy(
            threshold=settings.ban_threshold,
            window=settings.ban_window,
            duration=settings.ban_duration,
        )
        self.fallback_reported = False
        # Set by init_limits when limits are on: the default limits counted without
        # Flask-Limiter's generic path, and its own hooks (called for everything else).
        self.default_limits: DefaultLimits | None = None
        self.limiter_hooks: dict[str, object] = {}
        self._guarded: dict[Declaration, Callable[..., Any]] = {}
        self._prepared: set[str] = set()
        # Endpoint (None: no route matched) -> whether only the default limits apply to it.
        self._fast: dict[str | None, bool] = {}
        self._lock = threading.Lock()

    def guarded(self, declaration: Declaration) -> Callable[..., Any]:
        """The view wrapped by this app's limiter with the declared limits (made once)."""
        with self._lock:
            found = self._guarded.get(declaration)
            if found is None:
                found = declaration.view
                # Each RouteLimit registers itself under the view's name; any one wrapper then
                # checks them all, so keeping the last is enough.
                for spec in declaration.specs:
                    found = self._route_limit(spec)(declaration.view)
                self._guarded[declaration] = found
            return found

    def _route_limit(self, spec: LimitSpec) -> RouteLimit:
        methods = list(spec.methods) if spec.methods else None
        if spec.scope:
            return self.limiter.shared_limit(
                spec.value, spec.scope, key_func=spec.key, methods=methods
            )
        return self.limiter.limit(spec.value, key_func=spec.key, methods=methods)

    def prepare(self, endpoint: str, view: Callable[..., Any] | None) -> None:
        """Register an endpoint's declarations before Flask-Limiter first checks it."""
        if endpoint in self._prepared:
            return
        declaration = declaration_of(view)
        if declaration is not None:
            self.guarded(declaration)
        if view is not None and is_exempt(view):
            self.limiter.exempt(view)
        with self._lock:
            self._prepared.add(endpoint)

    def fast_endpoint(self, endpoint: str | None, view: Callable[..., Any] | None) -> bool:
        """Prepare the endpoint (first time); whether only the default limits apply to it."""
        found = self._fast.get(endpoint)
        if found is None:
            if endpoint:
                self.prepare(endpoint, view)
            # Declared and exempt routes go through Flask-Limiter (scopes, keys, methods).
            found = declaration_of(view) is None and not is_exempt(view)
            self._fast[endpoint] = found
        return found

    @property
    def falling_back(self) -> bool:
        """True while Flask-Limiter counts in memory because its storage failed."""
        # Flask-Limiter keeps this flag private and offers no public equivalent.
        return bool(getattr(self.limiter, "_storage_dead", False))


def find_limits() -> RateLimits | None:
    """The current app's rate limits, or None when `init_limits` was not called."""
    state: RateLimits | None = current_app.extensions.get(EXTENSION_KEY)
    return state


def current_limits() -> RateLimits:
    """The current app's rate limits."""
    state = find_limits()
    if state is None:
        raise RuntimeError("init_limits(app, settings) was not called for this app")
    return state

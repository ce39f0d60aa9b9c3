"""`init_limits`: Flask-Limiter per app, bans checked before routes, the 429 answer, health."""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from flask import Flask, Response, current_app, request
from flask.globals import request_ctx
from flask_limiter import Limiter, RateLimitExceeded

from versehub.core.auth import resolve_caller
from versehub.core.changes import bus_for
from versehub.core.errors import APIError, StartupError
from versehub.core.handlers import render_error
from versehub.core.health import register_check
from versehub.core.limits.api import bp as admin_bp
from versehub.core.limits.bans import BanStore
from versehub.core.limits.cli import bans_group
from versehub.core.limits.fast import DefaultLimits, counted, remember, take_over_hooks
from versehub.core.limits.fast import now as fast_now
from versehub.core.limits.keys import request_key
from versehub.core.limits.service import record_violation
from versehub.core.limits.state import EXTENSION_KEY, RateLimits, current_limits
from versehub.core.limits.storage import SCHEME as LOCAL_SCHEME
from versehub.core.limits.violations import make_violations
from versehub.core.modules import Health
from versehub.core.openapi import register_blueprint
from versehub.settings import Settings

log = structlog.get_logger(__name__)

REDIS_PREFIX = "versehub:limits"
# Change-bus topic: the bans table changed (every process reloads its snapshot).
BANS_TOPIC = "limits.bans"
# Limits are checked on every request: a hung Redis must cost little before the fallback.
REDIS_TIMEOUT = 0.5
UNMATCHED = "unmatched"


def init_limits(app: Flask, settings: Settings) -> RateLimits:
    """Rate limits and auto-bans for `app`, with the admin routes, `versehub bans` and a check."""
    existing: RateLimits | None = app.extensions.get(EXTENSION_KEY)
    if existing is not None:
        return existing
    if resolve_caller not in app.before_request_funcs.get(None, []):
        # Keys, bans and the limiter read the caller `resolve_caller` stored: registered after
        # it, they run after it (Flask runs an app's before_request hooks in order).
        raise StartupError("core.auth.init_auth(app) must run before init_limits(app)")
    if settings.redis_url:
        storage_uri = settings.redis_url
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "key_prefix": REDIS_PREFIX,
            "socket_timeout": REDIS_TIMEOUT,
            "socket_connect_timeout": REDIS_TIMEOUT,
        }
    else:
        storage_uri = f"{LOCAL_SCHEME}://"
    # One Limiter per app, not a shared unbound one: Flask-Limiter keeps storage, defaults and
    # its fallback state on the object, so apps sharing one would count in each other's storage.
    limiter = Limiter(
        request_key,
        default_limits=[settings.rate_limit_default],
        storage_uri=storage_uri,
        strategy="fixed-window",
        # Written by `_add_headers`: Flask-Limiter's own add Retry-After to every response.
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        # A storage failure the fallback cannot absorb lets the request through, never a 500.
        swallow_errors=True,
        request_identifier=_request_identity,
        enabled=settings.rate_limits_enabled,
    )
    bans = BanStore(make_violations(settings.redis_url), cache_ttl=settings.ban_cache_ttl)
    bus = bus_for(app)
    bus.subscribe(BANS_TOPIC, lambda message: bans.invalidate())
    bans.announce = lambda: bus.publish_now(BANS_TOPIC, {})
    state = RateLimits(limiter, bans, settings)
    app.extensions[EXTENSION_KEY] = state
    if settings.rate_limits_enabled:
        limiter.request_filter(never_limited)
    limiter.init_app(app)  # registers its hooks only when enabled
    if limiter.enabled:
        # Flask-Limiter's own hooks are replaced by ours, which call them only when its
        # generic path is needed (`fast.py`).
        taken = take_over_hooks(app, limiter)
        if taken is None:
            raise StartupError("Flask-Limiter registered other request hooks than expected")
        state.default_limits = DefaultLimits(limiter, settings.rate_limit_default)
        state.limiter_hooks = taken
        app.before_request(_limit_request)
        # After-request hooks run last-registered first: Flask-Limiter's, then the headers.
        app.after_request(_add_headers)
        app.after_request(_limiter_after)
        app.teardown_request(_limiter_teardown)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    register_blueprint(app, admin_bp)
    app.cli.add_command(bans_group)
    register_check(app, "rate_limits", check_rate_limits)
    return state


def never_limited() -> bool:
    """Probes, scrapes, static files and CORS preflights are neither limited nor refused."""
    # Load balancers and Prometheus must get answers whatever a client did from the same
    # address; a preflight carries no credentials and would halve every browser's budget;
    # static files style the very error page that tells a banned person why.
    path = request.path
    return (
        request.method == "OPTIONS"
        or path == "/metrics"
        or path.startswith(("/health/", "/metrics/"))
        or (request.endpoint or "").rsplit(".", 1)[-1] == "static"
    )


def _request_identity() -> str:
    # Unknown paths share one bucket per caller instead of escaping limits (scanners).
    return request.endpoint or UNMATCHED


def _limit_request() -> Response | None:
    """before_request: learn the route's declarations, refuse a banned caller, then count.

    The default limit of an undeclared route is counted by `DefaultLimits` (the fast path);
    anything else by Flask-Limiter's own check.
    """
    state = current_limits()
    endpoint = request.endpoint
    fast = state.fast_endpoint(endpoint, current_app.view_functions.get(endpoint or ""))
    if never_limited():
        return None
    key = request_key()
    _refuse_banned(state, key)
    defaults = state.default_limits
    if defaults is None or not (fast and defaults.usable()):
        state.limiter_hooks["before"]()  # type: ignore[operator]
        return None
    result = defaults.hit(key, endpoint or UNMATCHED)
    remember(result)
    if not result.breached:
        return None
    return _refusal(state, str(result.item), result.retry_after(fast_now()), key)


def _limiter_after(response: Response) -> Response:
    # Flask-Limiter's after hook (conditional deductions) only for requests it checked.
    if counted() is not None:
        return response
    hook: Any = current_limits().limiter_hooks["after"]
    answer: Response = hook(response)
    return answer


def _limiter_teardown(exc: BaseException | None) -> None:
    # Flask-Limiter's context exists only when its path ran (asking for it would create one).
    if hasattr(_request_context(), "_limiter_request_context"):
        hook: Any = current_limits().limiter_hooks["teardown"]
        hook(exc)


def _request_context() -> object:
    # The request context itself, not its proxy (whose attributes are the context's).
    context: object = request_ctx._get_current_object()  # type: ignore[attr-defined]
    return context


def _refuse_banned(state: RateLimits, key: str) -> None:
    ban = state.bans.get(key)
    if ban is None:
        return
    retry_after = ban.remaining(time.time())
    raise APIError(
        "RATE_BANNED",
        f"Temporarily banned for repeated limit violations, until {ban.until_iso}",
        details={"until": ban.until_iso, "retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def _add_headers(response: Response) -> Response:
    state = current_limits()
    _report_fallback(state)
    mine = counted()
    if mine is not None:
        response.headers["X-RateLimit-Limit"] = str(mine.item.amount)
        response.headers["X-RateLimit-Remaining"] = str(mine.remaining)
        response.headers["X-RateLimit-Reset"] = str(math.ceil(mine.window_end))
        return response
    current = state.limiter.current_limit
    if current is None:
        return response
    try:
        window = current.window
    except Exception:  # the storage failed after counting: answer without the headers
        log.warning("rate_limit_headers_unavailable", exc_info=True)
        return response
    response.headers["X-RateLimit-Limit"] = str(current.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(0, window.remaining))
    # Unix time at which the window resets (GitHub's convention).
    response.headers["X-RateLimit-Reset"] = str(math.ceil(window.reset_time))
    return response


def _report_fallback(state: RateLimits) -> None:
    falling_back = state.falling_back
    if falling_back == state.fallback_reported:
        return
    state.fallback_reported = falling_back
    if falling_back:
        log.warning(
            "rate_limit_storage_unavailable",
            fallback="memory (limits count per process)",
        )
    else:
        log.info("rate_limit_storage_recovered")


def _too_many_requests(exc: RateLimitExceeded) -> Response:
    state = current_limits()
    return _refusal(state, str(exc.limit.limit), _retry_after(state, exc), request_key())


def _refusal(state: RateLimits, limit: str, retry_after: int, key: str) -> Response:
    """The 429 answer; the violation counts towards a ban."""
    record_violation(bans=state.bans, policy=state.policy, key=key, path=request.path)
    return render_error(
        APIError(
            "RATE_LIMIT_EXCEEDED",
            f"Rate limit exceeded ({limit}); retry in {retry_after}s",
            details={"limit": limit, "retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
    )


def _retry_after(state: RateLimits, exc: RateLimitExceeded) -> int:
    breached = state.limiter.current_limit
    try:
        if breached is not None:
            # The window's own end, not `reset_at` (which Flask-Limiter rounds up a second).
            return max(1, math.ceil(breached.window.reset_time - time.time()))
    except Exception:  # storage gone: the window length is a safe upper bound
        log.warning("rate_limit_reset_unavailable", exc_info=True)
    return max(1, int(exc.limit.limit.get_expiry()))


def check_rate_limits() -> Health:
    """Readiness: Redis unreachable degrades limits to per process; the app stays ready."""
    state = current_limits()
    details: dict[str, object] = {"enabled": state.enabled, "storage": state.storage_backend}
    if not state.enabled or state.storage_backend == "memory":
        return Health("ok", details)
    limits_reachable = state.limiter.storage.check()
    bans_reachable = state.bans.probe()
    if limits_reachable and bans_reachable and not state.falling_back:
        return Health("ok", details)
    return Health(
        "degraded",
        {
            **details,
            "storage": "memory (per process)",
            "bans": state.bans.backend,
            "error": "Redis unreachable: limits and ban violations count in each process",
        },
    )

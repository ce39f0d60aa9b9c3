"""The default limit counted without Flask-Limiter's generic per-request path.

On every request Flask-Limiter works out which limits apply (decorated, blueprint, application,
meta and default limits, exemption scopes) and keeps a context object per request; on a route
that declares nothing this costs several times the counting itself. When the answer is known in
advance it is counted here instead: an endpoint with no `@limit`/`@auth_limit`/`@exempt`, on our
in-process counters (`versehub-memory://`), has exactly the default limit(s), per caller and
endpoint, under the same storage keys Flask-Limiter uses (`LIMITER/<key>/<endpoint>/...`).
Everything else (declared routes, Redis storage and its in-memory fallback, a key prefix) goes
through Flask-Limiter as before; `init_limits` takes its hooks over and calls them for those.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, g
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many

from versehub.core.limits.storage import LocalCounters

# `g` attribute: this request's default limit as counted here (read by the headers hook).
COUNTED_ATTR = "_versehub_limit_counted"


@dataclass(frozen=True, slots=True)
class Counted:
    """One default limit as counted for this request: the one its headers report."""

    item: RateLimitItem
    storage_key: str
    count: int
    window_end: float

    @property
    def breached(self) -> bool:
        """Whether this request went over the limit."""
        return self.count > self.item.amount

    @property
    def remaining(self) -> int:
        """What is left in the window after this request."""
        return max(0, self.item.amount - self.count)

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(1, math.ceil(self.window_end - now))


class DefaultLimits:
    """The app's default limits, counted straight into the in-process counters."""

    def __init__(self, limiter: Limiter, value: str) -> None:
        # Flask-Limiter checks limits with the shortest window first and stops at the first
        # breach; without a breach its headers report the shortest window.
        self.items = sorted(parse_many(value))
        self.limiter = limiter

    def usable(self) -> bool:
        """Whether counting here gives what Flask-Limiter would (its storage is our counters)."""
        limiter = self.limiter
        return (
            limiter.enabled
            and limiter.initialized
            and isinstance(limiter.storage, LocalCounters)
            # Private flag and prefix: Flask-Limiter has no public equivalent of either.
            and not getattr(limiter, "_storage_dead", False)
            and not getattr(limiter, "_key_prefix", "")
        )

    def hit(self, key: str, scope: str) -> Counted:
        """Count one request by `key` on `scope` (the endpoint) in every default limit."""
        storage = self.limiter.storage
        assert isinstance(storage, LocalCounters)
        reported: Counted | None = None
        for item in self.items:
            storage_key = item.key_for(key, scope)
            count = storage.incr(storage_key, item.get_expiry())
            counted = Counted(item, storage_key, count, storage.get_expiry(storage_key))
            if counted.breached:
                return counted
            reported = reported or counted
        assert reported is not None  # parse_many refuses an empty limit string
        return reported


def counted() -> Counted | None:
    """The default limit counted for this request by the fast path, if it was."""
    found: Counted | None = g.get(COUNTED_ATTR)
    return found


def remember(result: Counted) -> None:
    """Keep this request's count for the headers."""
    setattr(g, COUNTED_ATTR, result)


def now() -> float:
    """The clock windows are measured by (Unix time, as the counters keep it)."""
    return time.time()


def take_over_hooks(app: Flask, limiter: Limiter) -> dict[str, object] | None:
    """Remove Flask-Limiter's own request hooks from `app`; return them by kind.

    None (and nothing removed) when they are not exactly the three expected: a Flask-Limiter
    that registers other hooks keeps running them itself.
    """
    found: dict[str, tuple[list[object], int]] = {}
    for kind, lists in (
        ("before", app.before_request_funcs),
        ("after", app.after_request_funcs),
        ("teardown", app.teardown_request_funcs),
    ):
        hooks: list[object] = lists.get(None, [])  # type: ignore[assignment]
        mine = [i for i, hook in enumerate(hooks) if _bound_to(hook, limiter)]
        if len(mine) != 1:
            return None
        found[kind] = (hooks, mine[0])
    taken: dict[str, object] = {}
    for kind, (hooks, index) in found.items():
        taken[kind] = hooks.pop(index)
    return taken


def _bound_to(hook: object, limiter: Limiter) -> bool:
    # A bound method of the limiter, or `functools.partial(Limiter.__inject_headers, limiter)`.
    if getattr(hook, "__self__", None) is limiter:
        return True
    args: tuple[object, ...] = getattr(hook, "args", ())
    return len(args) > 0 and args[0] is limiter

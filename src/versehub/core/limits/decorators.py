"""`@limit`, `@auth_limit` and `@exempt`: declared once, applied by every app with init_limits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import current_app

from versehub.core.limits.keys import ip_key, login_key
from versehub.core.limits.specs import (
    DECLARATION_ATTR,
    EXEMPT_ATTR,
    Declaration,
    KeyFunc,
    LimitSpec,
    LimitValue,
    declaration_of,
)
from versehub.core.limits.state import find_limits
from versehub.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


def limit(
    value: LimitValue,
    *,
    scope: str | None = None,
    key: KeyFunc | None = None,
    methods: Iterable[str] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Limit a route: `value` like "5/minute;20/hour", replacing the default limit.

    `scope` names a bucket shared by every route limited with that scope (else the route has its
    own); `key` picks whose bucket (default: API key, else user, else IP); `methods` limits only
    those HTTP methods. Stack several `@limit` lines to combine limits.
    """
    spec = LimitSpec(
        value=value,
        scope=scope,
        key=key,
        methods=tuple(m.upper() for m in methods) if methods else None,
    )
    return _declare((spec,))


def auth_limit(
    action: str, *, name_field: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The strict class for one authentication action: per client IP, and optionally per name.

    Each action has its own bucket per IP, sized by the setting `rate_limit_<action>` and shared
    by every route (API and web) declaring that action. With `name_field`, a second bucket per
    name read from that JSON body or form field, sized by `rate_limit_<action>_name`, counts
    attempts from any IP.
    """
    # Separate buckets: a burst of one action (refreshes behind a NAT) must not use up another's
    # budget (sign-ups from that address).
    specs = [LimitSpec(value=_setting(f"rate_limit_{action}"), scope=f"auth:{action}", key=ip_key)]
    if name_field:
        specs.append(
            LimitSpec(
                value=_setting(f"rate_limit_{action}_name"),
                scope=f"auth-name:{action}",
                key=login_key(name_field),
            )
        )
    return _declare(tuple(specs))


def exempt(view: Callable[P, R]) -> Callable[P, R]:
    """Never limit this route (the default limit and any `@limit` on it)."""
    setattr(view, EXEMPT_ATTR, True)
    return view


def _setting(name: str) -> Callable[[], str]:
    # Checked when the route is declared: a misspelt action must fail at import, not per request.
    if name not in Settings.model_fields:
        raise TypeError(f"no setting {name!r} for this rate limit")

    def value() -> str:
        return str(getattr(current_app.extensions["versehub.settings"], name))

    value.__qualname__ = f"setting[{name}]"
    return value


def _declare(specs: tuple[LimitSpec, ...]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        existing = declaration_of(view)
        if existing is None:
            base: Callable[..., R] = view
            combined = specs
        elif existing.wrapper is view:
            # Stacked @limit lines become one declaration on the undecorated view.
            base, combined = existing.view, existing.specs + specs
        else:
            raise TypeError(f"{view.__qualname__}: put @limit decorators next to each other")
        declaration = Declaration(view=base, specs=combined)

        @wraps(base)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            state = find_limits()
            if state is None or not state.enabled:
                return base(*args, **kwargs)
            guarded: Callable[..., R] = state.guarded(declaration)
            return guarded(*args, **kwargs)

        declaration.wrapper = wrapper
        setattr(wrapper, DECLARATION_ATTR, declaration)
        return wrapper

    return decorator

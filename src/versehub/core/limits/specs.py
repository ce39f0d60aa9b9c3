"""What a route declares about its limits; plain data, read per app when the route is first used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Attributes on view functions. functools.wraps copies them onto outer decorators' wrappers, so
# `@require_role(...)` above `@limit(...)` keeps the declaration visible to the app.
DECLARATION_ATTR = "__versehub_rate_limits__"
EXEMPT_ATTR = "__versehub_rate_limit_exempt__"

LimitValue = str | Callable[[], str]
KeyFunc = Callable[[], str]


@dataclass(frozen=True)
class LimitSpec:
    """One limit on a route: `value` like "5/minute;20/hour" (or a callable returning one)."""

    value: LimitValue
    # A named bucket shared by every route with the same scope; None: the route's own bucket.
    scope: str | None = None
    # Whose bucket: None means the request key (API key, else user, else IP).
    key: KeyFunc | None = None
    methods: tuple[str, ...] | None = None


@dataclass(eq=False)
class Declaration:
    """The limits declared on `view`, and the wrapper `@limit` put around it."""

    view: Callable[..., Any]
    specs: tuple[LimitSpec, ...]
    wrapper: Callable[..., Any] | None = None


def declaration_of(view: Callable[..., Any] | None) -> Declaration | None:
    """The limits declared on a view function (or on what it wraps), if any."""
    found = getattr(view, DECLARATION_ATTR, None)
    return found if isinstance(found, Declaration) else None


def is_exempt(view: Callable[..., Any] | None) -> bool:
    """Whether a view was marked `@exempt`."""
    return bool(getattr(view, EXEMPT_ATTR, False))

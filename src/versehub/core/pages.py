"""Rendering HTML pages: the whole page for a normal request, one fragment for an HTMX request.

A page template includes its fragments (`<module>/_<fragment>.html`); an HTMX request that
asks to swap one of them gets only that fragment, rendered from the same template and context,
so the page and its fragments can never disagree. History restores and boosted links get the
whole page, as a browser without JavaScript would. Presentation (density, contrast, motion,
reading level) reaches every template through core.presentation's context processor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response, make_response, render_template, request

from versehub.core.auth import Principal, current_principal
from versehub.core.errors import APIError
from versehub.extensions import login_manager

P = ParamSpec("P")
R = TypeVar("R")

HX_REQUEST = "HX-Request"
# htmx asks for a whole page again when its history cache misses, and boosted links replace the
# whole body: both need the full page.
FULL_PAGE_HEADERS = ("HX-History-Restore-Request", "HX-Boosted")


def is_htmx() -> bool:
    """Whether this request is an HTMX request that wants a fragment, not the whole page."""
    headers = request.headers
    return headers.get(HX_REQUEST) == "true" and not any(
        headers.get(name) == "true" for name in FULL_PAGE_HEADERS
    )


def hx_target() -> str | None:
    """The id of the element an HTMX request will swap, if it said."""
    return request.headers.get("HX-Target") or None


def render_page(
    template: str,
    *,
    fragment: str | Mapping[str, str] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """Render `template`, or for an HTMX request its `fragment`.

    `fragment` is one template, or a map from the id of the swapped element (`HX-Target`) to the
    template that renders it; an HTMX request for an unknown target gets the whole page.
    """
    name = template
    if fragment is not None and is_htmx():
        name = fragment if isinstance(fragment, str) else fragment.get(hx_target() or "", template)
    response = make_response(render_template(name, **context), status)
    if headers:
        response.headers.update(headers)
    # Caches must keep pages and fragments apart: the same URL answers both.
    response.vary.add(HX_REQUEST)
    return response


def signed_in_page(view: Callable[P, R]) -> Callable[P, R | Any]:
    """A page for signed-in readers: anyone else goes to the sign-in page and comes back after."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Any:
        if current_principal() is None:
            return _to_sign_in()
        return view(*args, **kwargs)

    return wrapper


def role_page(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Any]]:
    """A page for one of `roles`: signed-out readers are asked to sign in; anyone else gets 404,
    so the page's existence is not revealed to those who may not use it."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Any]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Any:
            principal: Principal | None = current_principal()
            if principal is None:
                return _to_sign_in()
            if not principal.has_role(*roles):
                raise APIError("RES_NOT_FOUND")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _to_sign_in() -> Any:
    # Flask-Login's own redirect (with `next` and the flash message) when the accounts module
    # set it up; otherwise there is no sign-in page to send anyone to.
    if getattr(login_manager, "login_view", None):
        return login_manager.unauthorized()
    raise APIError("AUTH_REQUIRED")

"""CSRF protection (Flask-WTF) for every state-changing request that a browser could forge.

What is checked: every POST/PUT/PATCH/DELETE, HTML form or not, except

* requests carrying `Authorization` or `X-API-Key`: they are authenticated by that header and
  never by the session cookie (the session resolver steps aside when one is present), and a
  cross-site page cannot add a custom header without a CORS preflight, which our allow-list-only
  CORS refuses;
* `/api/` requests without a session cookie: they carry no ambient credential to abuse, the API
  reads only JSON bodies (a cross-site form cannot send `application/json` without a
  preflight), and API login answers with tokens in the body, never a cookie (no login CSRF).

So a browser page that talks to the API with its session cookie (HTMX, fetch) must send the
token in the `X-CSRFToken` header (from `<meta name="csrf-token">`). A missing or wrong token is
400 `VAL_MALFORMED` with `details.reason = "csrf"`: an envelope under /api/, else the accessible
error page, which explains what happened and how to send the form again.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFError

from versehub.core.errors import APIError
from versehub.core.handlers import render_error
from versehub.extensions import csrf

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_HEADERS = ("Authorization", "X-API-Key")
CSRF_MESSAGE = "The form could not be accepted: its security token is missing or has expired"


def csrf_exempt_request() -> bool:
    """Whether this request cannot be a cross-site forgery (see the module docstring)."""
    if any(request.headers.get(name) for name in TOKEN_HEADERS):
        return True
    has_session_cookie = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    # /graphql is API-like: strawberry accepts only application/json here (uploads are off).
    api_like = request.path.startswith("/api/") or request.path == "/graphql"
    return api_like and not has_session_cookie


def check_csrf() -> None:
    """before_request: enforce the CSRF token unless the request is exempt."""
    # A request that matched no route (404/405) reaches no view: let routing answer it.
    if request.routing_exception is not None:
        return
    # No route matched: let the 404/405 answer surface (there is nothing to protect).
    if request.routing_exception is not None:
        return
    if request.method in UNSAFE_METHODS and not csrf_exempt_request():
        csrf.protect()


def handle_csrf_error(exc: CSRFError) -> Response:
    """400 VAL_MALFORMED (reason csrf): an envelope for the API, the error page for people."""
    return render_error(
        APIError(
            "VAL_MALFORMED",
            CSRF_MESSAGE,
            status=400,
            details={"reason": "csrf", "problem": str(exc.description)},
        )
    )


def init_csrf(app: Flask) -> None:
    """Bind CSRFProtect with our own exemption rule and error answer."""
    # Flask-WTF's own before_request would check every request; ours applies the exemptions.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # Tokens live as long as the session (signed with SECRET_KEY); a form left open for
    # hours must still send (people who read slowly, or sign and come back, are not punished).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(check_csrf)
    app.register_error_handler(CSRFError, handle_csrf_error)

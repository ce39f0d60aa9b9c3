"""Web sessions (Flask-Login): who is signed in to the HTML pages, and how sessions end.

The session cookie holds `<user id>:<token generation>` as Flask-Login's user id. "Log out
everywhere" (and a password reset, and deactivation) bump the generation, so every session
issued before no longer loads a user: ended on every device without a server-side session store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session
from flask.globals import request_ctx
from flask_login import current_user, login_required, login_user, logout_user

from versehub.core import sign_languages
from versehub.core.auth import Principal, register_resolver
from versehub.core.events import publish
from versehub.core.presentation import Presentation, register_presentation_provider
from versehub.extensions import login_manager
from versehub.modules.accounts import events
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import principals, users
from versehub.modules.accounts.service.meta import RequestMeta

# Requests with one of these are authenticated by it, never by the session cookie (and are
# CSRF-exempt for that reason, see core.csrf).
CREDENTIAL_HEADERS = ("Authorization", "X-API-Key")
P = ParamSpec("P")
R = TypeVar("R")


def page_login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Pages for signed-in readers: anyone else is sent to the sign-in page (with `next`)."""
    guarded: Callable[P, R] = login_required(view)
    return guarded


@dataclass(frozen=True)
class WebUser:
    """What Flask-Login keeps for a signed-in reader: the user row and the session's generation."""

    user: User
    is_authenticated: bool = True
    is_anonymous: bool = False

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot sign in (Flask-Login checks this at login)."""
        return self.user.is_active

    def get_id(self) -> str:
        """`<id>:<generation>`: bumping the generation ends the session."""
        return f"{self.user.id}:{self.user.token_generation}"


def load_user(session_id: str) -> WebUser | None:
    """Flask-Login's user_loader: the user, if the session's generation is still current."""
    raw_id, _, raw_generation = session_id.partition(":")
    if not (raw_id.isdigit() and raw_generation.isdigit()):
        return None
    user = users.get(user_id=int(raw_id))
    if user is None or not user.is_active or user.token_generation != int(raw_generation):
        return None
    return WebUser(user=user)


def signed_in_user() -> User | None:
    """The reader signed in with the session cookie on this request, if any."""
    if not current_user.is_authenticated:
        return None
    web_user: WebUser = current_user._get_current_object()
    return web_user.user


def session_principal() -> Principal | None:
    """core.auth resolver (first in the chain): the session cookie's user.

    A request that carries an explicit credential (bearer token, API key) is judged by that
    credential alone: a session cookie next to a bad bearer token does not rescue it (401), and
    a request is never both cookie-authenticated and CSRF-exempt because of a header.
    """
    if any(request.headers.get(name) for name in CREDENTIAL_HEADERS):
        return None
    user = signed_in_user()
    return principals.for_session(user=user) if user is not None else None


def reader_presentation() -> Presentation | None:
    """core.presentation provider: the signed-in reader's preferences drive rendering."""
    user = signed_in_user()
    if user is None:
        return None
    return Presentation(
        density=user.visual_density,
        contrast="high" if user.high_contrast else "normal",
        motion="reduce" if user.reduced_motion else "full",
        reading_level=user.reading_level,
        sign_language=sign_languages.known(user.preferred_sign_language),
    )


def start_session(user: User) -> None:
    """Sign `user` in to the web pages with a fresh session."""
    # "Rotate the session id at login": Flask's session is a signed cookie with no server-side
    # id to fixate, so the equivalent is to drop everything the pre-login session carried
    # (including its CSRF token) and issue a new cookie; a session planted by an attacker before
    # login is then worth nothing.
    session.clear()
    login_user(WebUser(user=user))


def end_session(*, meta: RequestMeta) -> None:
    """Sign the current reader out of this browser (other sessions stay)."""
    user = signed_in_user()
    logout_user()
    session.clear()
    if user is not None:
        publish("user.logout", user_id=user.id, web=True)
        events.publish_security(
            events.LOGOUT, meta=meta, actor_id=user.id, target=f"user:{user.id}", web=True
        )


def safe_next(target: str | None) -> str | None:
    """`target` if it is a same-site relative path, else None (open-redirect guard)."""
    # Only "/path?query" is accepted: "//evil.example", "/\\evil.example", "https://..." and
    # anything with a scheme or host would send the reader to another site after signing in.
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 0x20 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _update_remember_cookie(response: Response) -> Response:
    """Flask-Login's remember-cookie hook, for requests whose session can hold its mark.

    Only a session that came with the cookie or was changed by this request can ask for the
    remember cookie to be set or cleared. Every other request (API calls with a token) skips
    the hook, which would read the session and so add `Vary: Cookie` for nothing.
    """
    # The context's own attribute: the `session` proxy would mark the session as read.
    context = request_ctx._get_current_object()  # type: ignore[attr-defined]
    opened = getattr(context, "_session", None)
    if opened is None or (
        not opened.modified and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
    ):
        return response
    answer: Response = login_manager._update_remember_cookie(response)
    return answer


def init_web_sessions(app: Flask) -> None:
    """Bind Flask-Login, put the session resolver first, and let preferences drive rendering."""
    login_manager.init_app(app)
    hooks = app.after_request_funcs.setdefault(None, [])
    hooks[hooks.index(login_manager._update_remember_cookie)] = _update_remember_cookie
    login_manager.user_loader(load_user)
    login_manager.login_view = "account.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    # Session first in the chain: session → bearer → API key (see session_principal for headers).
    register_resolver(app, session_principal, position=0)
    register_presentation_provider(app, reader_presentation)

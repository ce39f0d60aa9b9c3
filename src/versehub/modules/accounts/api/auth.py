"""`/api/v1/auth/*`: register, login, refresh, logout, the caller's account."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Response, current_app, request

from versehub.core.api import AUTH_ERRORS, BODY_ERRORS, SIGNED_IN, location, validated
from versehub.core.auth import AccessToken, login_required, require_principal
from versehub.core.envelope import add_warning, envelope
from versehub.core.errors import APIError
from versehub.core.idempotency import idempotent
from versehub.core.limits import auth_limit
from versehub.core.openapi import Envelope, ErrorEnvelope
from versehub.modules.accounts.api.blueprint import (
    AUTH_TAG,
    bp,
    person,
    person_required,
    request_meta,
    user_envelope,
)
from versehub.modules.accounts.schemas import (
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    PreferencesUpdate,
    TokenPair,
    UserCreate,
    UserPublic,
)
from versehub.modules.accounts.schemas.api import LoggedOut, UserData
from versehub.modules.accounts.service import sessions, users

P = ParamSpec("P")
R = TypeVar("R")

LOGIN_CHECKS = "versehub.accounts.login_checks"
TAGS = [AUTH_TAG]


def access_token() -> AccessToken:
    """The access token the caller (a person) sent; a session or an API key cannot log out."""
    token = person().token
    if token is None:
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", "Log out needs the access token")
    return token


def access_token_required(view: Callable[P, R]) -> Callable[P, R]:
    """Guard: the caller used an access token (log out revokes it)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        access_token()
        return view(*args, **kwargs)

    return wrapper


@bp.post(
    "/auth/register",
    tags=TAGS,
    responses={201: Envelope[UserData], 409: ErrorEnvelope, **BODY_ERRORS},
)
@auth_limit("register")
@idempotent
@validated
def register(body: UserCreate) -> Response:
    """Create an account (member role); 201 with the user, `Location` its admin URL."""
    user = users.create(
        email=body.email,
        username=body.username,
        password=body.password,
        preferences=body.preferences,
        meta=request_meta(),
    )
    return user_envelope(user, status=201, headers=location("accounts.get_user", user_id=user.id))


@bp.post(
    "/auth/login",
    tags=TAGS,
    responses={
        200: Envelope[LoginResponse],
        401: ErrorEnvelope,
        403: ErrorEnvelope,
        423: ErrorEnvelope,
        **BODY_ERRORS,
    },
)
@auth_limit("login", name_field="login")
@validated
def login(body: LoginRequest) -> Response:
    """Email or username and password (and a one-time code when 2FA is on) → a token pair."""
    user, pair = sessions.login(
        login=body.login,
        password=body.password,
        otp=body.otp,
        meta=request_meta(),
        checks=current_app.extensions.get(LOGIN_CHECKS, ()),
    )
    answer = LoginResponse(**pair.model_dump(), user=UserPublic.from_user(user))
    return envelope(answer.model_dump(mode="json"))


@bp.post(
    "/auth/refresh",
    tags=TAGS,
    # The bearer token here is the refresh token from login (not an access token).
    security=[{"bearerAuth": []}],
    responses={200: Envelope[TokenPair], **AUTH_ERRORS},
)
@auth_limit("refresh")
@validated
def refresh_token() -> Response:
    """`Authorization: Bearer <refresh token>` → a new pair; the presented token is spent.

    Send the refresh token (not the access token) as the bearer token. Presenting an
    already-rotated refresh token again revokes its whole login family (AUTH_TOKEN_REVOKED).
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise APIError("AUTH_REQUIRED", "Send the refresh token as a Bearer token")
    pair = sessions.refresh(token=token.strip(), meta=request_meta())
    return envelope(pair.model_dump(mode="json"))


@bp.post(
    "/auth/logout",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[LoggedOut], **AUTH_ERRORS, **BODY_ERRORS},
)
@login_required
@person_required
@access_token_required
@validated
def logout(body: LogoutRequest) -> Response:
    """Revoke the access token used, its login family and an optional `{refresh_token}`."""
    token = access_token()
    refresh_ok = sessions.logout(
        user_id=person().user_id,
        access_jti=token.jti,
        family_id=token.family_id,
        access_expires_at=token.expires_at,
        refresh_token=body.refresh_token,
        meta=request_meta(),
    )
    if not refresh_ok:
        add_warning("refresh_token is not a valid refresh token of this user; it was ignored")
    return envelope({"logged_out": True})


@bp.post(
    "/auth/logout-all",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[LoggedOut], **AUTH_ERRORS},
)
@login_required
@validated
def logout_all() -> Response:
    """End every session and token of the caller on every device."""
    user = users.get_or_404(user_id=person().user_id)
    sessions.logout_all(user=user, meta=request_meta())
    return envelope({"logged_out": True})


@bp.get(
    "/auth/me",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[UserData], **AUTH_ERRORS},
)
@login_required
@validated
def get_me() -> Response:
    """The caller's account with preferences (for an API key: its owner)."""
    user = users.get_or_404(user_id=require_principal().user_id)
    return user_envelope(user)


@bp.patch(
    "/auth/me/preferences",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[UserData], **AUTH_ERRORS, **BODY_ERRORS},
)
@login_required
@person_required
@validated
def update_preferences(body: PreferencesUpdate) -> Response:
    """Change some accessibility preferences; the others stay."""
    principal = person()
    user = users.update_preferences(user=users.get_or_404(user_id=principal.user_id), changes=body)
    return user_envelope(user)

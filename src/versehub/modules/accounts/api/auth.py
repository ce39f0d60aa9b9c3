"""`/api/v1/auth/*`: register, login, refresh, logout, the caller's account."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, request

from versehub.core.auth import login_required, require_principal
from versehub.core.envelope import add_warning, envelope
from versehub.core.errors import APIError
from versehub.core.limits import auth_limit
from versehub.core.validation import parse_body
from versehub.modules.accounts.api.blueprint import bp, person, request_meta
from versehub.modules.accounts.schemas import (
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    PreferencesUpdate,
    UserCreate,
    UserPublic,
)
from versehub.modules.accounts.service import sessions, users

LOGIN_CHECKS = "versehub.accounts.login_checks"


@bp.post("/auth/register")
@auth_limit(login_field="email")
def register() -> Response:
    """Create an account (member role); 201 with the user."""
    body = parse_body(UserCreate)
    user = users.create(
        email=body.email,
        username=body.username,
        password=body.password,
        preferences=body.preferences,
        meta=request_meta(),
    )
    return envelope({"user": UserPublic.from_user(user).model_dump(mode="json")}, status=201)


@bp.post("/auth/login")
@auth_limit()
def login() -> Response:
    """Email or username and password (and a one-time code when 2FA is on) → a token pair."""
    body = parse_body(LoginRequest)
    user, pair = sessions.login(
        login=body.login,
        password=body.password,
        otp=body.otp,
        meta=request_meta(),
        checks=current_app.extensions.get(LOGIN_CHECKS, ()),
    )
    answer = LoginResponse(**pair.model_dump(), user=UserPublic.from_user(user))
    return envelope(answer.model_dump(mode="json"))


@bp.post("/auth/refresh")
@auth_limit(login_field=None)
def refresh_token() -> Response:
    """`Authorization: Bearer <refresh token>` → a new pair; the presented token is spent."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise APIError("AUTH_REQUIRED", "Send the refresh token as a Bearer token")
    pair = sessions.refresh(token=token.strip(), meta=request_meta())
    return envelope(pair.model_dump(mode="json"))


@bp.post("/auth/logout")
@login_required
def logout() -> Response:
    """Revoke the access token used, its login family and an optional `{refresh_token}`."""
    principal = person()
    if principal.token_jti is None:
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", "Log out needs the access token")
    body = parse_body(LogoutRequest) if request.content_length else LogoutRequest()
    expires_at = principal.extra["token_expires_at"]
    family_id = principal.extra["family_id"]
    assert isinstance(expires_at, datetime)
    assert isinstance(family_id, str)
    refresh_ok = sessions.logout(
        user_id=principal.user_id,
        access_jti=principal.token_jti,
        family_id=family_id,
        access_expires_at=expires_at,
        refresh_token=body.refresh_token,
        meta=request_meta(),
    )
    if not refresh_ok:
        add_warning("refresh_token is not a valid refresh token of this user; it was ignored")
    return envelope({"logged_out": True})


@bp.post("/auth/logout-all")
@login_required
def logout_all() -> Response:
    """End every session and token of the caller on every device."""
    user = users.get_or_404(user_id=person().user_id)
    sessions.logout_all(user=user, meta=request_meta())
    return envelope({"logged_out": True})


@bp.get("/auth/me")
@login_required
def get_me() -> Response:
    """The caller's account with preferences (for an API key: its owner)."""
    user = users.get_or_404(user_id=require_principal().user_id)
    return envelope({"user": UserPublic.from_user(user).model_dump(mode="json")})


@bp.patch("/auth/me/preferences")
@login_required
def update_preferences() -> Response:
    """Change some accessibility preferences; the others stay."""
    principal = person()
    changes = parse_body(PreferencesUpdate)
    user = users.update_preferences(
        user=users.get_or_404(user_id=principal.user_id), changes=changes
    )
    return envelope({"user": UserPublic.from_user(user).model_dump(mode="json")})

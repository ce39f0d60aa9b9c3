"""The accounts blueprint and what every accounts route shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Response, g, request
from flask_openapi3.models.tag import Tag

from versehub.core.api import api_blueprint
from versehub.core.auth import Principal, require_principal
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.modules.accounts.models import User
from versehub.modules.accounts.schemas import UserPublic
from versehub.modules.accounts.service.meta import RequestMeta

P = ParamSpec("P")
R = TypeVar("R")

# Account bodies are small. The cap (applied by core before any body is read) stops
# multi-megabyte bodies, and stays above 1 MiB so an oversized password still gets a precise
# VAL_INVALID on `password`.
MAX_BODY = 2 * 1024 * 1024
# Each route names its own tag (auth, api-keys, two-factor, admin): no blueprint-wide one.
bp = api_blueprint("accounts", __name__, url_prefix="/api/v1", max_body=MAX_BODY)

AUTH_TAG = Tag(name="auth", description="Registration, login, tokens and the caller's account.")
API_KEYS_TAG = Tag(name="api-keys", description="Service keys (X-API-Key), shown once.")
TWO_FACTOR_TAG = Tag(name="two-factor", description="TOTP two-factor authentication.")
ADMIN_TAG = Tag(name="admin", description="Users, roles, module grants and the audit trail.")


def request_meta() -> RequestMeta:
    """Client address (as the app resolves it), user agent and request id of this request."""
    return RequestMeta(
        ip=request.remote_addr,
        user_agent=request.user_agent.string or None,
        request_id=g.get("request_id"),
    )


def person() -> Principal:
    """The caller, who must be a person (not an API key) for account self-service."""
    principal = require_principal()
    if principal.kind != "user":
        raise APIError(
            "AUTH_INSUFFICIENT_PERMISSIONS", "This action needs a person's token, not an API key"
        )
    return principal


def person_required(view: Callable[P, R]) -> Callable[P, R]:
    """Guard: the caller is a person (checked before the request is validated, as before)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        person()
        return view(*args, **kwargs)

    return wrapper


def user_envelope(
    user: User,
    *,
    status: int = 200,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The envelope that answers with one account: `data.user` (public fields only)."""
    data = {"user": UserPublic.from_user(user).model_dump(mode="json")}
    return envelope(data, status=status, message=message, headers=headers)

"""The accounts blueprint and what every accounts route shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Response, g, request
from flask_openapi3.models.tag import Tag
from flask_openapi3.types import ResponseDict

from versehub.core.auth import Principal, require_principal
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.core.openapi import AUTHENTICATED, ErrorEnvelope, api_blueprint
from versehub.modules.accounts.models import User
from versehub.modules.accounts.schemas import UserPublic
from versehub.modules.accounts.service.meta import RequestMeta

P = ParamSpec("P")
R = TypeVar("R")

bp = api_blueprint("accounts", __name__, url_prefix="/api/v1", tag="accounts")
# Each route names its own tag (auth, api-keys, two-factor, admin) instead of one for all.
bp.abp_tags = []

# Account bodies are small. The cap (applied by core before any body is read) stops
# multi-megabyte bodies, and stays above 1 MiB so an oversized password still gets a precise
# VAL_INVALID on `password`.
MAX_BODY = 2 * 1024 * 1024
bp.max_content_length = MAX_BODY  # type: ignore[attr-defined]

AUTH_TAG = Tag(name="auth", description="Registration, login, tokens and the caller's account.")
API_KEYS_TAG = Tag(name="api-keys", description="Service keys (X-API-Key), shown once.")
TWO_FACTOR_TAG = Tag(name="two-factor", description="TOTP two-factor authentication.")
ADMIN_TAG = Tag(name="admin", description="Users, roles, module grants and the audit trail.")

# Security of a route that needs a caller (bearer token or API key).
SIGNED_IN = AUTHENTICATED
# Errors every route with credentials may answer, on top of the blueprint's 400/404/422/429/500.
AUTH_ERRORS: ResponseDict = {401: ErrorEnvelope, 403: ErrorEnvelope}
# Routes that take a body may answer 413 when it is over the blueprint's cap.
BODY_ERRORS: ResponseDict = {413: ErrorEnvelope}


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


def user_envelope(user: User, *, status: int = 200, message: str | None = None) -> Response:
    """The envelope that answers with one account: `data.user` (public fields only)."""
    return envelope(
        {"user": UserPublic.from_user(user).model_dump(mode="json")}, status=status, message=message
    )

"""The accounts blueprint and what every accounts route shares."""

from __future__ import annotations

from flask import Blueprint, g, request

from versehub.core.auth import Principal, require_principal
from versehub.core.errors import APIError
from versehub.modules.accounts.service.meta import RequestMeta

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")

# Account bodies are small. The cap (applied by core before any body is read) stops
# multi-megabyte bodies, and stays above 1 MiB so an oversized password still gets a precise
# VAL_INVALID on `password`.
MAX_BODY = 2 * 1024 * 1024
bp.max_content_length = MAX_BODY  # type: ignore[attr-defined]


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

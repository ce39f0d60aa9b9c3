"""The accounts blueprint and what every accounts route shares."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from versehub.core.auth import Principal, require_principal
from versehub.core.errors import APIError
from versehub.modules.accounts.service.meta import RequestMeta

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")

# Account bodies are small. The cap stops multi-megabyte bodies before they are read, and
# stays above 1 MiB so an oversized password still gets a precise VAL_INVALID on `password`.
MAX_BODY = 2 * 1024 * 1024


@bp.before_request
def _cap_body() -> None:
    app_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    request.max_content_length = min(MAX_BODY, app_limit) if app_limit else MAX_BODY


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

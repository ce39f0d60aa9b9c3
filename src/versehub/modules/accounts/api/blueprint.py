"""The accounts blueprint and what every accounts route shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar, get_type_hints

from flask import Response, g, request
from flask_openapi3.models.tag import Tag
from flask_openapi3.types import ResponseDict
from pydantic import BaseModel, ValidationError

from versehub.core.auth import Principal, require_principal
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.core.openapi import AUTHENTICATED, ErrorEnvelope, api_blueprint
from versehub.core.validation import invalid, parse_body, parse_query
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


def body_required(model: type[BaseModel]) -> bool:
    """False for a body model that documents itself as optional (`openapi_extra.required`)."""
    extra: dict[str, Any] = model.model_config.get("openapi_extra", {})  # type: ignore[assignment]
    return bool(extra.get("required", True))


def validated(view: Callable[P, R]) -> Callable[P, R]:
    """Validate the view's `path`, `query` and `body` parameters right before it runs.

    flask-openapi3 documents the models from the annotations, but would validate them before
    every other decorator; marking the view `__delay_validate_request__` leaves validation to
    this innermost decorator, so rate limits and guards still run first (an anonymous caller
    gets AUTH_REQUIRED, not a validation error) and bodies and queries are read exactly as
    `parse_body` / `parse_query` read them (VAL_MALFORMED for a missing or non-JSON body,
    repeated query keys as lists).
    """
    hints = get_type_hints(view)
    path_model: type[BaseModel] | None = hints.get("path")
    query_model: type[BaseModel] | None = hints.get("query")
    body_model: type[BaseModel] | None = hints.get("body")

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if path_model is not None:
            values = {name: kwargs.pop(name) for name in path_model.model_fields if name in kwargs}
            try:
                kwargs["path"] = path_model.model_validate(values)
            except ValidationError as exc:
                raise invalid(exc) from exc
        if query_model is not None:
            kwargs["query"] = parse_query(query_model)
        if body_model is not None:
            if body_required(body_model) or request.content_length:
                kwargs["body"] = parse_body(body_model)
            else:
                kwargs["body"] = body_model()
        return view(*args, **kwargs)

    wrapper.__delay_validate_request__ = True  # type: ignore[attr-defined]
    return wrapper


def user_envelope(user: User, *, status: int = 200, message: str | None = None) -> Response:
    """The envelope that answers with one account: `data.user` (public fields only)."""
    return envelope(
        {"user": UserPublic.from_user(user).model_dump(mode="json")}, status=status, message=message
    )

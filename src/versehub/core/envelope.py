"""The response envelope of API.md and the per-request warnings collector."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, g, has_request_context, jsonify

from versehub.core.errors import APIError


def add_warning(message: str) -> None:
    """Record a non-fatal note for this request's envelope (`warnings`)."""
    if not has_request_context():
        return
    warnings: list[str] = g.setdefault("api_warnings", [])
    if message not in warnings:
        warnings.append(message)


def current_warnings() -> list[str]:
    """The warnings collected so far in this request."""
    return list(g.get("api_warnings", [])) if has_request_context() else []


def envelope(
    data: Any = None,
    *,
    message: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A success envelope."""
    body = {
        "success": True,
        "message": message,
        "data": data,
        "error": None,
        "warnings": current_warnings(),
    }
    response = jsonify(body)
    response.status_code = status
    response.headers.update(dict(headers or {}))
    return response


def list_envelope(
    items: Sequence[Any], pagination: Mapping[str, Any], *, message: str | None = None
) -> Response:
    """A success envelope for a list: `data = {items, pagination}`."""
    return envelope({"items": list(items), "pagination": dict(pagination)}, message=message)


def error_envelope(error: APIError) -> Response:
    """A failure envelope with the error's status and headers."""
    body = {
        "success": False,
        "message": error.message,
        "data": None,
        "error": error.to_error(),
        "warnings": current_warnings(),
    }
    response = jsonify(body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response

"""Request ids and per-request log context."""

from __future__ import annotations

import re
import time

import structlog
from flask import Flask, Response, g, request

from versehub.core import randomness
from versehub.core.logging import log_request
from versehub.core.validation import guard_api_body

# Ids from clients are echoed only when short and plain: no control characters, no spaces.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID_PATTERN.fullmatch(incoming) else randomness.token_hex(16)
    g.request_started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _send_request_id(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    if started is not None:
        # The path only: query strings may carry tokens or personal data.
        log_request(
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
    return response


def _clear_context(_exc: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()


def register_request_hooks(app: Flask) -> None:
    """Give every request an id (client's when well-formed) and log it once at the end."""
    app.before_request(_assign_request_id)
    app.before_request(guard_api_body)
    app.after_request(_send_request_id)
    app.teardown_request(_clear_context)

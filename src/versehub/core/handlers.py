"""One place that turns every failure into an envelope (API) or an error page (HTML)."""

from __future__ import annotations

import structlog
from flask import Flask, Response, current_app, g, render_template, request
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from versehub.core.envelope import error_envelope
from versehub.core.errors import APIError
from versehub.core.outages import database_unavailable, is_connection_failure, report_outage
from versehub.core.validation import invalid
from versehub.extensions import db

log = structlog.get_logger(__name__)

# HTTP statuses that Werkzeug raises on its own, mapped to API.md codes.
HTTP_CODES: dict[int, str] = {
    400: "VAL_MALFORMED",
    401: "AUTH_REQUIRED",
    403: "AUTH_INSUFFICIENT_PERMISSIONS",
    404: "RES_NOT_FOUND",
    405: "RES_METHOD_NOT_ALLOWED",
    409: "RES_CONFLICT",
    413: "MEDIA_TOO_LARGE",
    415: "MEDIA_UNSUPPORTED_TYPE",
    422: "VAL_INVALID",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SYS_SERVICE_UNAVAILABLE",
}


def wants_json() -> bool:
    """API paths, and clients that prefer JSON over HTML, get the envelope."""
    if request.path.startswith("/api/") or request.path == "/graphql":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _rollback() -> None:
    # A failed request must leave nothing half-written behind.
    try:
        db.session.rollback()
    except Exception as exc:
        if is_connection_failure(exc):
            report_outage(exc, where="rollback")
        else:
            log.warning("rollback_failed", exc_info=True)


def render_error(error: APIError) -> Response:
    """The envelope for API clients, an accessible error page for browsers."""
    if wants_json():
        return error_envelope(error)
    request_id = g.get("request_id")
    try:
        html = render_template("error.html", error=error, request_id=request_id)
    except Exception as exc:
        if not is_connection_failure(exc):
            raise
        # The layout's context (who is signed in) needs the database that just failed: the
        # same page without it, rendered with no context processors.
        template = current_app.jinja_env.get_template("error_standalone.html")
        html = template.render(error=error, request_id=request_id)
    response = Response(html, status=error.status, mimetype="text/html")
    response.headers.update(error.headers)
    return response


def handle_api_error(error: APIError) -> Response:
    """Services' domain errors."""
    _rollback()
    if error.status >= 500:
        log.error("api_error", code=error.code, message=error.message)
    return render_error(error)


def handle_http_exception(exc: HTTPException) -> Response:
    """Routing and protocol errors (404, 405, 413, ...)."""
    status = exc.code or 500
    code = HTTP_CODES.get(status, "SYS_INTERNAL_ERROR" if status >= 500 else "VAL_MALFORMED")
    message: str | None = None
    headers: dict[str, str] = {}
    details: dict[str, object] = {}
    if isinstance(exc, NotFound):
        message = "No such resource" if request.path.startswith("/api/") else "Page not found"
    elif isinstance(exc, MethodNotAllowed):
        message = f"Method {request.method} not allowed here"
        allowed = sorted(exc.valid_methods or ())
        headers["Allow"] = ", ".join(allowed)
        details["allowed_methods"] = allowed
    elif isinstance(exc, RequestEntityTooLarge):
        details["max_bytes"] = current_app.config.get("MAX_CONTENT_LENGTH")
    return render_error(APIError(code, message, status=status, headers=headers, details=details))


def handle_validation_error(exc: ValidationError) -> Response:
    """Pydantic failures that escaped a parse helper."""
    _rollback()
    return render_error(invalid(exc))


def handle_stale_data(_exc: StaleDataError) -> Response:
    """Optimistic locking: someone else changed the row first."""
    _rollback()
    return render_error(
        APIError("RES_CONFLICT", "The resource was changed by someone else; reload and retry")
    )


def handle_unexpected(exc: Exception) -> Response:
    """A bug: log it with the request id; the client sees only the id.

    A database connection failure is not a bug: 503 with Retry-After, logged once per interval.
    """
    _rollback()
    if is_connection_failure(exc):
        return render_error(database_unavailable(exc, where="request"))
    log.exception("unhandled_exception", error_type=type(exc).__name__)
    request_id = g.get("request_id")
    return render_error(
        APIError(
            "SYS_INTERNAL_ERROR",
            "Internal server error; quote the request id when reporting it",
            details={"request_id": request_id},
        )
    )


def register_error_handlers(app: Flask) -> None:
    """Attach the handlers to the app."""
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(Exception, handle_unexpected)

"""The error codes of API.md, one exception type that carries them, and start-up errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# code -> HTTP status, exactly as in shared/API.md.
ERROR_STATUS: dict[str, int] = {
    "AUTH_INVALID_CREDENTIALS": 401,
    "AUTH_REQUIRED": 401,
    "AUTH_TOKEN_EXPIRED": 401,
    "AUTH_TOKEN_INVALID": 401,
    "AUTH_TOKEN_REVOKED": 401,
    "AUTH_2FA_REQUIRED": 401,
    "AUTH_ACCOUNT_LOCKED": 423,
    "AUTH_INSUFFICIENT_PERMISSIONS": 403,
    "AUTH_EMAIL_UNVERIFIED": 403,
    "VAL_INVALID": 422,
    "VAL_MALFORMED": 400,
    "RES_NOT_FOUND": 404,
    "RES_METHOD_NOT_ALLOWED": 405,
    "RES_ALREADY_EXISTS": 409,
    "RES_CONFLICT": 409,
    "MEDIA_TOO_LARGE": 413,
    "MEDIA_UNSUPPORTED_TYPE": 415,
    "RATE_LIMIT_EXCEEDED": 429,
    "RATE_BANNED": 403,
    "AI_PROVIDER_ERROR": 502,
    "AI_INVALID_RESPONSE": 502,
    "SYS_SERVICE_UNAVAILABLE": 503,
    "SYS_INTERNAL_ERROR": 500,
}

DEFAULT_MESSAGES: dict[str, str] = {
    "AUTH_INVALID_CREDENTIALS": "Invalid credentials",
    "AUTH_REQUIRED": "Authentication required",
    "AUTH_TOKEN_EXPIRED": "Token has expired",
    "AUTH_TOKEN_INVALID": "Token is invalid",
    "AUTH_TOKEN_REVOKED": "Token has been revoked",
    "AUTH_2FA_REQUIRED": "A one-time code is required",
    "AUTH_ACCOUNT_LOCKED": "Account temporarily locked",
    "AUTH_INSUFFICIENT_PERMISSIONS": "Insufficient permissions",
    "AUTH_EMAIL_UNVERIFIED": "Email address not verified",
    "VAL_INVALID": "Validation failed",
    "VAL_MALFORMED": "Malformed request body",
    "RES_NOT_FOUND": "Resource not found",
    "RES_METHOD_NOT_ALLOWED": "Method not allowed",
    "RES_ALREADY_EXISTS": "Resource already exists",
    "RES_CONFLICT": "Conflict with the current state of the resource",
    "MEDIA_TOO_LARGE": "Request body too large",
    "MEDIA_UNSUPPORTED_TYPE": "Unsupported media type",
    "RATE_LIMIT_EXCEEDED": "Rate limit exceeded",
    "RATE_BANNED": "Temporarily banned for repeated limit violations",
    "AI_PROVIDER_ERROR": "AI provider failed",
    "AI_INVALID_RESPONSE": "AI provider returned an invalid response",
    "SYS_SERVICE_UNAVAILABLE": "Service temporarily unavailable",
    "SYS_INTERNAL_ERROR": "Internal server error",
}


DEFAULT_RETRY_AFTER = 5  # seconds; a 503 without its own estimate gets this one


class APIError(Exception):
    """A failure with an API.md error code; services raise it, one handler renders it."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        if code not in ERROR_STATUS:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.status = status or ERROR_STATUS[code]
        self.message = message or DEFAULT_MESSAGES[code]
        self.errors = [dict(e) for e in errors or ()]
        self.details = dict(details or {})
        self.headers = dict(headers or {})
        if retry_after is None and self.status == 503 and "Retry-After" not in self.headers:
            # "Temporarily unavailable" always says when to come back (RFC 9110 §15.6.4).
            retry_after = DEFAULT_RETRY_AFTER
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)
            self.details.setdefault("retry_after", retry_after)
        super().__init__(f"{code}: {self.message}")

    @property
    def extensions(self) -> dict[str, Any]:
        """GraphQL error extensions (graphql-core copies them from the original error)."""
        extensions: dict[str, Any] = {"code": self.code}
        if self.errors:
            extensions["errors"] = self.errors
        if self.details:
            extensions["details"] = self.details
        return extensions

    def to_error(self) -> dict[str, Any]:
        """The `error` member of the envelope."""
        return {"code": self.code, "errors": self.errors, "details": self.details}


def field_error(field: str, message: str, type_: str = "value_error") -> dict[str, str]:
    """One entry of `error.errors`."""
    return {"field": field, "message": message, "type": type_}


class StartupError(Exception):
    """Configuration or module problems that must stop the process with a clear message."""

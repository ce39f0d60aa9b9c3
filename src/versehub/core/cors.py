"""Cross-origin access to the REST API (`/api/`) only, for the configured origins (flask-cors)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from flask import Flask, Response, request
from flask_cors import CORS

API_PATHS = r"/api/.*"
API_PREFIX = "/api/"
ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-API-Key",
    "X-Request-ID",
    "If-Match",
    "If-None-Match",
]
EXPOSED_HEADERS = [
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "ETag",
    "Deprecation",
    "Sunset",
]
# scheme://host[:port], lower case, no path: exactly what browsers send in the Origin header.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
ORIGIN_PATTERN = re.compile(
    rf"https?://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::[0-9]{{1,5}})?"
)
# Browsers cap this anyway (Chromium at 2 hours); 10 minutes keeps allow-list changes prompt.
PREFLIGHT_MAX_AGE = 600


def normalise_origins(values: Iterable[str]) -> list[str]:
    """Lower-cased, de-duplicated origins; ValueError unless `*` alone or scheme://host[:port]."""
    origins: list[str] = []
    for raw in values:
        # A trailing slash is a common slip; browsers never send one, so it would never match.
        origin = raw.strip().lower().removesuffix("/")
        if origin != "*" and not ORIGIN_PATTERN.fullmatch(origin):
            raise ValueError(
                f"{raw!r} is not an origin: write scheme://host[:port] without a path, or * alone"
            )
        if origin not in origins:
            origins.append(origin)
    if "*" in origins and len(origins) > 1:
        raise ValueError("* already allows every origin: use it alone")
    return origins


def _exact(origin: str) -> re.Pattern[str]:
    # flask-cors guesses whether a string is a regex ("[" of an IPv6 host would count); an
    # escaped, anchored pattern always means this origin and nothing else.
    return re.compile(re.escape(origin) + r"\Z", re.IGNORECASE)


def _vary_on_origin(response: Response) -> Response:
    # Allowed and refused origins get different answers for the same URL: caches must key on
    # Origin. flask-cors adds this only with several origins, not for a single one.
    if request.path.startswith(API_PREFIX):
        response.vary.add("Origin")
    return response


def init_cors(app: Flask, *, origins: Sequence[str], credentials: bool) -> None:
    """Answer CORS (and preflights) on `/api/` for `origins`; nothing at all when it is empty."""
    if not origins:
        # No allow-list means no cross-origin access: without CORS headers browsers refuse.
        return
    wildcard = list(origins) == ["*"]
    CORS(
        app,
        resources={API_PATHS: {}},
        origins=["*"] if wildcard else [_exact(origin) for origin in origins],
        methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        # Settings refuse "*" with credentials; the guard keeps the spec's rule here too.
        supports_credentials=credentials and not wildcard,
        max_age=PREFLIGHT_MAX_AGE,
        send_wildcard=wildcard,
        # Without an Origin header flask-cors would otherwise list every allowed origin.
        always_send=False,
        vary_header=False,
        # Flask runs after_request hooks for error responses too; no need to wrap handlers.
        intercept_exceptions=False,
    )
    if not wildcard:
        app.after_request(_vary_on_origin)

"""Security headers on every response, the per-request CSP nonce, cookie sessions and their flags.

Why not Flask-Talisman: its last release (1.1.0) is from 2023, it ships no type hints (mypy
--strict), it still emits the retired Feature-Policy header, its HTTPS redirect and nonce
handling are global switches we would mostly turn off, and every header we need is one line
here. A small module we test header by header is easier to audit than a wrapper around one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, g, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from versehub.core import randomness
from versehub.core.cors import init_cors

if TYPE_CHECKING:
    from versehub.settings import Settings

NONCE_BYTES = 16
# Where the nonce goes in a policy built once per app (never a character a nonce can hold).
NONCE_SLOT = "\x00nonce\x00"

# Camera and microphone stay with our own pages: VerseHub records sign-language video in the
# browser. Fullscreen and picture-in-picture help people follow signed video while reading.
# Everything else is denied, also to any frame we might embed.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=(self)",
        "browsing-topics=()",
        "camera=(self)",
        "display-capture=()",
        "encrypted-media=()",
        "fullscreen=(self)",
        "geolocation=()",
        "gyroscope=()",
        "hid=()",
        "idle-detection=()",
        "magnetometer=()",
        "microphone=(self)",
        "midi=()",
        "payment=()",
        "picture-in-picture=(self)",
        "publickey-credentials-get=(self)",
        "screen-wake-lock=()",
        "serial=()",
        "usb=()",
        "xr-spatial-tracking=()",
    ]
)

FIXED_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    # Full URLs (which may carry tokens) stay on our origin; other sites see the origin only.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    # A window we open cannot script us, nor we it (cross-window leaks, tab-nabbing).
    "Cross-Origin-Opener-Policy": "same-origin",
    # Other sites cannot embed our files with <img>/<video>/<script> (Spectre-style reads);
    # CORS-mode fetches of the API are governed by CORS instead, so they are unaffected.
    "Cross-Origin-Resource-Policy": "same-origin",
    # frame-ancestors 'none' says the same to modern browsers; this is for older ones.
    "X-Frame-Options": "DENY",
}

# Two years, as hstspreload.org asks; no `preload`: joining the list is a deliberate step.
HSTS = "max-age=63072000; includeSubDomains"

# Answers about credentials, tokens and keys must never sit in a shared or browser cache.
NO_STORE_ALWAYS = ("/api/v1/auth/",)
API_PREFIX = "/api/"


def csp_nonce() -> str:
    """This request's CSP nonce, made on first use; empty outside a request."""
    if not has_request_context():
        return ""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = randomness.token_urlsafe(NONCE_BYTES)
    return nonce


def content_security_policy(nonce: str, *, upgrade_insecure: bool = False) -> str:
    """The policy for one response: same-origin everything, scripts and styles need the nonce."""
    directives = {
        "default-src": "'self'",
        # No 'unsafe-inline'/'unsafe-eval': inline code runs only with this response's nonce.
        "script-src": f"'self' 'nonce-{nonce}'",
        # Style attributes (style="...") are blocked too: use classes and design tokens.
        "style-src": f"'self' 'nonce-{nonce}'",
        # data: for small inline SVG icons (Swagger UI uses them); never remote images.
        "img-src": "'self' data:",
        # blob: lets the recorder preview a sign-language clip before it is uploaded.
        "media-src": "'self' blob:",
        # CSP Level 3 'self' also matches ws:/wss: on our own host (Socket.IO); deriving the
        # host from the request's Host header would let a client write into the policy.
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        # No <base> at all: an injected one would redirect every relative script URL.
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    policy = "; ".join(f"{name} {value}" for name, value in directives.items())
    if upgrade_insecure:
        # Production is HTTPS only; a stray http:// URL is upgraded instead of blocked.
        policy += "; upgrade-insecure-requests"
    return policy


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without the per-request set-up: the signer is built once
    per secret key (and fallbacks), and a request without the cookie (every API call with a
    token) gets its empty session without one."""

    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's signer for the app's current keys, made on first use."""
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = super().get_signing_serializer(app)
            if signer is None:
                return None
            if len(self._signers) > 8:  # keys changed at run time (tests): keep it small
                self._signers.clear()
            self._signers[keys] = signer
        return signer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The cookie's session; an empty one, straight away, when there is no cookie."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_security(app: Flask, settings: Settings) -> None:
    """Add the security headers to every response, expose `csp_nonce()`, set cookie flags, CORS."""
    production = settings.is_production
    fixed = dict(FIXED_HEADERS)
    if production:
        # Only production is sure to be served over HTTPS; HSTS on a development host would
        # make the browser refuse plain http:// to that host for two years.
        fixed["Strict-Transport-Security"] = HSTS

    # Built once: per response only the nonce changes, and only headers the view did not set
    # are added (one pass over the response's headers instead of a lookup per name).
    policy_parts = content_security_policy(NONCE_SLOT, upgrade_insecure=production).split(
        NONCE_SLOT
    )
    # (name, lower-case name, value); None: the policy with this response's nonce.
    defaults: list[tuple[str, str, str | None]] = [
        (name, name.lower(), value)
        for name, value in [("Content-Security-Policy", None), *fixed.items()]
    ]

    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        for name, lowered, value in defaults:
            # A view that needs a different (say, stricter sandbox) policy sets its own.
            if lowered not in present:
                headers.add(name, csp_nonce().join(policy_parts) if value is None else value)
        path = request.path
        if path.startswith(NO_STORE_ALWAYS):
            headers["Cache-Control"] = "no-store"
        elif path.startswith(API_PREFIX) and "cache-control" not in present:
            # API answers are often personal; a view that knows better sets its own policy.
            headers["Cache-Control"] = "no-store"
        return response

    app.after_request(add_security_headers)
    app.session_interface = CookieSessions()
    # A Jinja global rather than a context processor: macros imported without context see it too.
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.config.update(
        # Development runs on http://127.0.0.1, where a Secure cookie would never come back.
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_HTTPONLY=True,
        # Lax: top-level links from other sites keep the session; cross-site POSTs do not.
        SESSION_COOKIE_SAMESITE="Lax",
        # Flask-Login's remember-me cookie follows the same rules.
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    init_cors(app, origins=settings.cors_origins, credentials=settings.cors_allow_credentials)

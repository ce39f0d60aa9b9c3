"""Whose bucket a request counts against: the API key, else the user, else the client IP."""

from __future__ import annotations

import hashlib

from flask import request

from versehub.core.auth import resolved_caller
from versehub.core.limits.specs import KeyFunc


def client_ip() -> str:
    """The client's address; behind `trusted_proxies` proxies ProxyFix has already set it."""
    # Never X-Forwarded-For here: only ProxyFix, sized by the setting, may trust that header.
    return request.remote_addr or "unknown"


def ip_key() -> str:
    """The bucket of the client IP, whoever is logged in."""
    return f"ip:{client_ip()}"


def request_key() -> str:
    """The API key, else the user, else the IP, of the caller `core.auth` resolved before limits.

    Bad credentials (the stored refusal) count against the address: they name no one.
    """
    caller = resolved_caller()
    principal = caller.principal if caller is not None else None
    return principal.rate_limit_key if principal is not None else ip_key()


def login_key(field: str = "login") -> KeyFunc:
    """A key function: the login name in the JSON body or form field `field`, hashed."""

    def key() -> str:
        body = request.get_json(silent=True)
        value = body.get(field) if isinstance(body, dict) else None
        if not isinstance(value, str):
            value = request.form.get(field, "")
        name = value.strip().casefold()
        # Hashed: keys land in Redis and in limiter log lines, and emails are personal data.
        return "login:" + hashlib.sha256(name.encode()).hexdigest()[:32]

    key.__qualname__ = f"login_key[{field}]"
    return key

"""Request resolvers for core.auth: bearer access tokens, then `X-API-Key`.

Order of the chain: session cookie (added by the web-session work, registered before these),
then bearer token, then API key; the first resolver that recognises the request wins.
"""

from __future__ import annotations

from flask import request

from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.modules.accounts.service import api_keys, principals, tokens, users

# Routes whose bearer token is a refresh token that the route itself checks.
REFRESH_ENDPOINTS = frozenset({"accounts.refresh_token"})


def bearer_principal() -> Principal | None:
    """`Authorization: Bearer <access token>`; None when there is no bearer header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or request.endpoint in REFRESH_ENDPOINTS:
        return None
    claims = tokens.decode(value.strip(), expected="access")
    user = tokens.ensure_usable(claims=claims, user=users.get(user_id=claims.user_id))
    return principals.for_token(user=user, claims=claims)


def api_key_principal() -> Principal | None:
    """`X-API-Key: vh_<prefix>_<secret>`; None when the header is absent."""
    key = request.headers.get("X-API-Key")
    if key is None:
        return None
    now = utcnow()
    row, owner = api_keys.authenticate(key=key.strip(), now=now)
    if row.last_used_at is None or now - row.last_used_at >= api_keys.LAST_USED_EVERY:
        api_keys.touch(key_id=row.id, now=now)
    return principals.for_api_key(key=row, owner=owner)

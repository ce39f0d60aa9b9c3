"""Request resolvers for core.auth: bearer access tokens, then `X-API-Key`.

Order of the chain: session cookie (`web/session.py`, registered before these: a browser sends
it with every request), then the refusal of two credentials at once, then bearer token, then API
key; the first resolver that recognises the request wins.
"""

from __future__ import annotations

from flask import request

from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.modules.accounts.service import (
    api_keys,
    principal_cache,
    principals,
    revocation,
    tokens,
)

# Routes whose bearer token is a refresh token that the route itself checks.
REFRESH_ENDPOINTS = frozenset({"accounts.refresh_token"})
API_KEY_HEADER = "X-API-Key"


def _bearer_scheme() -> bool:
    return request.headers.get("Authorization", "").partition(" ")[0].lower() == "bearer"


def single_credential() -> Principal | None:
    """Refuse a bearer token sent together with an API key; None (next resolver) otherwise."""
    # Which of the two should act (a person's token or a service's scoped key) is ambiguous,
    # and picking one silently would run the request with rights the client may not expect.
    if _bearer_scheme() and request.headers.get(API_KEY_HEADER) is not None:
        raise APIError(
            "AUTH_TOKEN_INVALID",
            "Send one credential: Authorization: Bearer or X-API-Key, not both",
            details={"headers": ["Authorization", API_KEY_HEADER]},
        )
    return None


def bearer_principal() -> Principal | None:
    """`Authorization: Bearer <access token>`; None when there is no bearer header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or request.endpoint in REFRESH_ENDPOINTS:
        return None
    claims = tokens.decode(value.strip(), expected="access")
    token_ids = tokens.revocation_ids(claims)
    now = utcnow()
    cache = principal_cache.current()
    if cache.usable():
        cached = cache.user(claims.user_id)
        if cached is None:
            if revocation.cached(token_ids=token_ids):
                raise APIError("AUTH_TOKEN_REVOKED")
            cached = principal_cache.cached_user(user_id=claims.user_id, now=now)
        person = None if cached is None else cached.person
        revoked = cached is not None and cached.revoked(token_ids)
        usable = tokens.ensure_usable(claims=claims, user=person, revoked=revoked)
        return principals.for_token(user=usable, claims=claims)
    # The change bus is not listening: the database answers, with the revocation cache first.
    if revocation.cached(token_ids=token_ids):
        raise APIError("AUTH_TOKEN_REVOKED")
    found = principals.person(user_id=claims.user_id, token_ids=token_ids, now=now)
    revoked_until = found.revoked_until if found is not None else None
    if revoked_until is not None:
        # The jti is refused at least that long (its own revocation, or its family's).
        revocation.remember(claims.jti, revoked_until, now)
    usable = tokens.ensure_usable(claims=claims, user=found, revoked=revoked_until is not None)
    return principals.for_token(user=usable, claims=claims)


def api_key_principal() -> Principal | None:
    """`X-API-Key: vh_<prefix>_<secret>`; None when the header is absent."""
    key = request.headers.get("X-API-Key")
    if key is None:
        return None
    key = key.strip()
    now = utcnow()
    if not principal_cache.current().usable():
        row, owner = api_keys.authenticate(key=key, now=now)
        if row.last_used_at is None or now - row.last_used_at >= api_keys.LAST_USED_EVERY:
            api_keys.touch(key_id=row.id, now=now)
        return principals.for_api_key(key=row, owner=owner)
    prefix = api_keys.prefix_of(key)
    stored = principal_cache.cached_key(prefix=prefix)
    api_keys.check(
        key=key,
        key_hash=None if stored is None else stored.key_hash,
        revoked=stored is not None and stored.revoked,
        expires_at=None if stored is None else stored.expires_at,
        now=now,
    )
    assert stored is not None
    cached_owner = principal_cache.cached_user(user_id=stored.user_id, now=now)
    if cached_owner is None or not cached_owner.person.is_active:
        raise APIError("AUTH_TOKEN_REVOKED", "Account is disabled")
    if stored.last_used_at is None or now - stored.last_used_at >= api_keys.LAST_USED_EVERY:
        api_keys.touch(key_id=stored.id, now=now)
        principal_cache.used(prefix=prefix, key=stored, now=now)
    return principals.for_api_key(key=stored, owner=cached_owner.person)

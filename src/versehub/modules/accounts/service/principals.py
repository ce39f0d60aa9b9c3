"""The core `Principal` for an authenticated user or API key."""

from __future__ import annotations

from versehub.core.auth import Principal
from versehub.modules.accounts.models import ApiKey, User
from versehub.modules.accounts.service.tokens import Claims


def for_token(*, user: User, claims: Claims) -> Principal:
    """A person calling with an access token (not scope-limited)."""
    return for_person(
        user=user,
        token_jti=claims.jti,
        extra={"family_id": claims.fam, "token_expires_at": claims.expires_at},
    )


def for_session(*, user: User) -> Principal:
    """A person signed in to the web pages (session cookie): the same Principal, no token."""
    return for_person(user=user, extra={"session": True})


def for_person(
    *, user: User, token_jti: str | None = None, extra: dict[str, object] | None = None
) -> Principal:
    """A person (not scope-limited), however they authenticated."""
    return Principal(
        kind="user",
        user_id=user.id,
        roles=user.roles,
        scopes=None,
        modules_granted=user.modules_granted,
        modules_denied=user.modules_denied,
        email_verified=user.email_verified,
        token_jti=token_jti,
        extra=extra or {},
    )


def for_api_key(*, key: ApiKey, owner: User) -> Principal:
    """A service calling with an API key, limited to the key's scopes."""
    roles = owner.roles
    if "admin" not in key.scopes:
        # An admin's read-only key must not act as an admin: the role needs the admin scope.
        roles = roles - {"admin"}
    return Principal(
        kind="api_key",
        user_id=owner.id,
        roles=roles,
        scopes=frozenset(key.scopes),
        api_key_id=key.id,
        modules_granted=owner.modules_granted,
        modules_denied=owner.modules_denied,
        email_verified=owner.email_verified,
    )

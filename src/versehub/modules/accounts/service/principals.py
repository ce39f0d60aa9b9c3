"""The core `Principal` for an authenticated user or API key."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from versehub.core.auth import AccessToken, Principal
from versehub.extensions import db
from versehub.modules.accounts.models import ApiKey, RevokedToken, User, UserModuleAccess, UserRole
from versehub.modules.accounts.service.tokens import Claims

# Role and module names are identifiers (ROLES; module package names), never containing it.
_SEPARATOR = ","


@dataclass(frozen=True, slots=True)
class Person:
    """What a bearer request needs of its user, read in one SQL statement (see `person`)."""

    id: int
    is_active: bool
    token_generation: int
    email_verified: bool
    roles: frozenset[str]
    modules_granted: frozenset[str]
    modules_denied: frozenset[str]
    # Until when one of the asked-for token ids is on the revocation list (None: it is not).
    revoked_until: datetime | None
    # Every token id (jti, `fam:<id>`) of this user on the list now: a process caching the
    # person judges any of their tokens without asking again (a revocation outlives its token).
    revoked_ids: frozenset[str] = frozenset()


def _names(aggregate: str | None) -> frozenset[str]:
    return frozenset(aggregate.split(_SEPARATOR)) if aggregate else frozenset()


def _aggregate(
    column: InstrumentedAttribute[str], *where: ColumnElement[bool]
) -> ColumnElement[str | None]:
    return select(func.aggregate_strings(column, _SEPARATOR)).where(*where).scalar_subquery()


@functools.cache
def _person_statement() -> Select[
    int, bool, int, bool, str | None, str | None, str | None, datetime, str | None
]:
    """Built once: constructing this select costs more than running it (bound per call)."""
    user_id: BindParameter[int] = bindparam("user_id")
    return select(
        User.id,
        User.is_active,
        User.token_generation,
        User.email_verified_at.is_not(None),
        _aggregate(UserRole.role, UserRole.user_id == User.id),
        _aggregate(
            UserModuleAccess.module,
            UserModuleAccess.user_id == User.id,
            UserModuleAccess.allowed.is_(True),
        ),
        _aggregate(
            UserModuleAccess.module,
            UserModuleAccess.user_id == User.id,
            UserModuleAccess.allowed.is_(False),
        ),
        select(func.max(RevokedToken.expires_at))
        .where(
            RevokedToken.token_id.in_(bindparam("token_ids", expanding=True)),
            RevokedToken.expires_at > bindparam("now", type_=RevokedToken.expires_at.type),
        )
        .scalar_subquery(),
        _aggregate(
            RevokedToken.token_id,
            # Rows without a user (not written by this code) count for everyone.
            or_(RevokedToken.user_id == User.id, RevokedToken.user_id.is_(None)),
            RevokedToken.expires_at > bindparam("now", type_=RevokedToken.expires_at.type),
        ),
    ).where(User.id == user_id)


def person(*, user_id: int, token_ids: Sequence[str], now: datetime) -> Person | None:
    """The user with their roles, module grants, revoked token ids and whether `token_ids` are.

    One statement instead of the ORM's four (the user, two selectin collections, the
    revocation list): it runs on every authenticated API request, after the cache in front
    of the revocation list (`revocation.cached`) has been asked. Plain rows on the session's
    connection (same transaction), without the ORM's per-statement work.
    """
    row = (
        db.session.connection()
        .execute(
            _person_statement(),
            {"user_id": user_id, "token_ids": list(token_ids), "now": now},
        )
        .one_or_none()
    )
    if row is None:
        return None
    uid, active, generation, verified, roles, granted, denied, revoked, revoked_ids = row
    return Person(
        id=uid,
        is_active=bool(active),
        token_generation=generation,
        email_verified=bool(verified),
        roles=_names(roles),
        modules_granted=_names(granted),
        modules_denied=_names(denied),
        revoked_until=revoked,
        revoked_ids=_names(revoked_ids),
    )


def for_token(*, user: User | Person, claims: Claims) -> Principal:
    """A person calling with an access token (not scope-limited)."""
    token = AccessToken(jti=claims.jti, family_id=claims.fam, expires_at=claims.expires_at)
    return for_person(user=user, token=token)


def for_session(*, user: User) -> Principal:
    """A person signed in to the web pages (session cookie): the same Principal, no token."""
    return for_person(user=user, web_session=True)


def for_person(
    *, user: User | Person, token: AccessToken | None = None, web_session: bool = False
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
        token=token,
        web_session=web_session,
    )


class KeyRow(Protocol):
    """What a Principal needs of an API key (the row, or its cached copy)."""

    @property
    def id(self) -> int: ...

    @property
    def scopes(self) -> Sequence[str]: ...


def for_api_key(*, key: ApiKey | KeyRow, owner: User | Person) -> Principal:
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

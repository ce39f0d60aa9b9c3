"""The token revocation list: a database table, with the cache in front for revoked ids."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

import structlog
from sqlalchemy import Table, delete, select

from versehub.core.changes import publish
from versehub.core.db import insert_or_ignore, utcnow
from versehub.extensions import cache, db
from versehub.modules.accounts.models import RevokedToken

log = structlog.get_logger(__name__)

CACHE_PREFIX = "accounts:revoked:"
# The change bus topic of everything a cached user holds (principal_cache.USER_TOPIC).
USER_TOPIC = "accounts.user"
# Rows outlive the token by this much, so clock skew never lets a token outlive its row.
MARGIN = timedelta(minutes=1)


def family_key(family_id: str) -> str:
    """Revocation id of a whole login family."""
    return f"fam:{family_id}"


def remember(token_id: str, expires_at: datetime, now: datetime) -> None:
    """Put a revoked id in the cache until `expires_at`."""
    # Only "revoked" is cached, never "not revoked": another process may revoke at any time
    # and an in-process cache would not hear of it. The database answers every other case.
    timeout = max(1, math.ceil((expires_at - now).total_seconds()))
    try:
        cache.set(CACHE_PREFIX + token_id, 1, timeout=timeout)
    except Exception:  # the cache is an optimisation; the table is the truth
        log.warning("revocation_cache_unavailable", exc_info=True)


def revoke(
    *, token_id: str, kind: str, expires_at: datetime, user_id: int | None, now: datetime
) -> None:
    """Add `token_id` to the list until `expires_at` (plus a margin); not committed here."""
    until = expires_at + MARGIN
    if until <= now:
        return
    # An existing row already covers the token: a jti always has the same expiry, and a family
    # gets no new tokens once revoked, so its first revocation outlasts all of them.
    # Every process drops its cached copy of the user's revocations when this commits.
    publish(USER_TOPIC, {"id": user_id} if user_id is not None else {})
    row = {
        "token_id": token_id,
        "kind": kind,
        "user_id": user_id,
        "revoked_at": now,
        "expires_at": until,
    }
    insert_or_ignore(db.session, cast(Table, RevokedToken.__table__), [row], unique=["token_id"])
    remember(token_id, until, now)


def cached(*, token_ids: Sequence[str]) -> bool:
    """Whether the cache already knows one of `token_ids` as revoked (an outage: not known)."""
    try:
        return any(cache.get_many(*(CACHE_PREFIX + token_id for token_id in token_ids)))
    except Exception:  # a cache outage falls back to the table
        log.warning("revocation_cache_unavailable", exc_info=True)
        return False


def is_revoked(*, token_ids: Sequence[str], now: datetime | None = None) -> bool:
    """Whether any of `token_ids` (a jti, a family key) is on the list."""
    now = now or utcnow()
    if cached(token_ids=token_ids):
        return True
    rows = db.session.execute(
        select(RevokedToken.token_id, RevokedToken.expires_at).where(
            RevokedToken.token_id.in_(list(token_ids)), RevokedToken.expires_at > now
        )
    ).all()
    for token_id, expires_at in rows:
        remember(token_id, expires_at, now)
    return bool(rows)


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete revocations whose tokens have expired anyway; returns how many."""
    now = now or utcnow()
    result = db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= now))
    return int(getattr(result, "rowcount", 0))

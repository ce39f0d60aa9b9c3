"""API keys for services: `vh_<prefix>_<secret>`, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select, update

from versehub.core.api import Page, paginate
from versehub.core.db import utcnow
from versehub.core.errors import APIError, field_error
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import ApiKey, User
from versehub.modules.accounts.service import users
from versehub.modules.accounts.service.meta import RequestMeta

log = structlog.get_logger(__name__)

KEY_PREFIX = "vh"
ADMIN_SCOPE = "admin"
# last_used_at is bookkeeping, not security: write it at most once a minute per key.
LAST_USED_EVERY = timedelta(minutes=1)
MAX_KEY_LENGTH = 128


def hash_key(key: str) -> str:
    """SHA-256 hex of a key: enough for 256-bit random secrets (no salt or slow hash needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate() -> tuple[str, str]:
    """A new key and its visible prefix."""
    prefix = secrets.token_hex(4)
    return f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def create(
    *,
    owner: User,
    actor_id: int,
    actor_is_admin: bool,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime | None,
    meta: RequestMeta,
) -> tuple[ApiKey, str]:
    """Create a key for `owner`; returns the row and the key (the only time it exists)."""
    if not actor_is_admin and owner.id != actor_id:
        # Another user's resources are hidden, not forbidden (users.get_visible).
        raise APIError("RES_NOT_FOUND", users.NOT_VISIBLE)
    if not actor_is_admin and ADMIN_SCOPE in scopes:
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", "Only admins may create admin-scoped keys")
    if ADMIN_SCOPE in scopes and "admin" not in owner.roles:
        raise APIError(
            "VAL_INVALID", errors=[field_error("scopes", "The admin scope needs an admin owner")]
        )
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise APIError("VAL_INVALID", errors=[field_error("expires_at", "Must be in the future")])
    key, prefix = generate()
    row = ApiKey(
        user_id=owner.id,
        created_by_id=actor_id,
        name=name,
        prefix=prefix,
        key_hash=hash_key(key),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.commit()
    events.publish_security(
        events.API_KEY_CREATED,
        meta=meta,
        actor_id=actor_id,
        target=f"api_key:{row.id}",
        owner_id=owner.id,
        prefix=prefix,
        scopes=row.scopes,
    )
    return row, key


def list_(*, user_id: int) -> list[ApiKey]:
    """The user's keys, newest first (revoked ones included, marked by `revoked_at`)."""
    rows = db.session.scalars(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())
    )
    return list(rows.all())


def page(*, user_id: int, page: int, per_page: int) -> Page[ApiKey]:
    """One page of the user's keys, newest first (revoked ones included)."""
    statement = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())
    return paginate(statement, page=page, per_page=per_page)


def get_visible(*, key_id: int, viewer_id: int, viewer_is_admin: bool) -> ApiKey:
    """A key of the viewer (admins: any key); others' keys are RES_NOT_FOUND."""
    row = db.session.get(ApiKey, key_id)
    if row is None or (row.user_id != viewer_id and not viewer_is_admin):
        # Hidden, not forbidden: another user's key answers like a key that does not exist.
        raise APIError("RES_NOT_FOUND", "No such API key among those you may see")
    return row


def revoke(*, key_id: int, actor_id: int, actor_is_admin: bool, meta: RequestMeta) -> ApiKey:
    """Revoke a key of the caller (admins: any key); others' keys are RES_NOT_FOUND."""
    row = get_visible(key_id=key_id, viewer_id=actor_id, viewer_is_admin=actor_is_admin)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
        events.publish_security(
            events.API_KEY_REVOKED,
            meta=meta,
            actor_id=actor_id,
            target=f"api_key:{row.id}",
            owner_id=row.user_id,
            prefix=row.prefix,
        )
    return row


def prefix_of(key: str) -> str:
    """The visible prefix of a well-formed key, else AUTH_TOKEN_INVALID."""
    parts = key.split("_", 2) if len(key) <= MAX_KEY_LENGTH else []
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise APIError("AUTH_TOKEN_INVALID", "Malformed API key")
    return parts[1]


def check(
    *,
    key: str,
    key_hash: str | None,
    revoked: bool,
    expires_at: datetime | None,
    now: datetime,
) -> None:
    """The matching AUTH_TOKEN_* error unless `key` is the live key stored as `key_hash`."""
    # Constant-time comparison of the hashes, so response timing reveals nothing of the secret.
    if key_hash is None or not hmac.compare_digest(key_hash, hash_key(key)):
        raise APIError("AUTH_TOKEN_INVALID", "Unknown API key")
    if revoked:
        raise APIError("AUTH_TOKEN_REVOKED", "API key has been revoked")
    if expires_at is not None and expires_at <= now:
        raise APIError("AUTH_TOKEN_EXPIRED", "API key has expired")


def authenticate(*, key: str, now: datetime | None = None) -> tuple[ApiKey, User]:
    """The live key and its active owner, or the matching AUTH_TOKEN_* error."""
    now = now or utcnow()
    prefix = prefix_of(key)
    row = db.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    check(
        key=key,
        key_hash=None if row is None else row.key_hash,
        revoked=row is not None and row.revoked_at is not None,
        expires_at=None if row is None else row.expires_at,
        now=now,
    )
    assert row is not None
    owner = db.session.get(User, row.user_id)
    if owner is None or not owner.is_active:
        raise APIError("AUTH_TOKEN_REVOKED", "Account is disabled")
    return row, owner


def touch(*, key_id: int, now: datetime | None = None) -> None:
    """Record use of a key, at most once a minute, in its own short transaction."""
    now = now or utcnow()
    try:
        # Own connection: the request's transaction may fail and roll back; use still happened.
        with db.engine.begin() as connection:
            connection.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == key_id,
                    or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_EVERY),
                )
                .values(last_used_at=now)
            )
    except Exception:  # bookkeeping must never fail an authenticated request
        log.warning("api_key_touch_failed", key_id=key_id, exc_info=True)

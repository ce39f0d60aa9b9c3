"""Failed-login counting and lockouts that double with each repeat."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, select

from versehub.core.db import insert_or_ignore, utcnow
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts.models import LoginThrottle

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
BASE_LOCKOUT = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(hours=24)
# A throttle row untouched this long (and not locked) carries no information any more.
STALE_AFTER = MAX_LOCKOUT + WINDOW


def key_for_user(user_id: int) -> str:
    """Throttle key of an account."""
    return f"user:{user_id}"


def key_for_unknown(login_key: str) -> str:
    """Throttle key of a login name that matches no account (hashed, never stored as typed)."""
    return "login:" + hashlib.sha256(login_key.encode()).hexdigest()


def lockout_duration(lockouts: int) -> timedelta:
    """15 minutes for the first lockout, doubling for each further one, capped at 24 hours."""
    doublings = min(max(lockouts - 1, 0), 16)
    return min(BASE_LOCKOUT * (1 << doublings), MAX_LOCKOUT)


@dataclass(frozen=True)
class FailureOutcome:
    """What one more failure did."""

    failures: int
    locked_until: datetime | None


def locked_error(locked_until: datetime, now: datetime) -> APIError:
    """AUTH_ACCOUNT_LOCKED with `retry_after` seconds (and the Retry-After header)."""
    retry_after = max(1, math.ceil((locked_until - now).total_seconds()))
    return APIError(
        "AUTH_ACCOUNT_LOCKED",
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def locked_until(*, key: str, now: datetime | None = None) -> datetime | None:
    """When the lockout of `key` ends, or None when it is not locked."""
    now = now or utcnow()
    row = db.session.get(LoginThrottle, key)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def _row_for_update(key: str, now: datetime) -> LoginThrottle:
    # Insert-or-ignore then lock: concurrent failures for one key count one after the other
    # (PostgreSQL row lock; SQLite serialises writers anyway).
    insert_or_ignore(
        db.session,
        cast(Table, LoginThrottle.__table__),
        [{"key": key, "failures": 0, "lockouts": 0, "updated_at": now}],
        unique=["key"],
    )
    return db.session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def record_failure(*, key: str, now: datetime | None = None) -> FailureOutcome:
    """Count a failed login; the fifth within the window locks the key (not committed here)."""
    now = now or utcnow()
    row = _row_for_update(key, now)
    if row.window_started_at is None or now - row.window_started_at > WINDOW:
        row.failures = 0
        row.window_started_at = now
    row.failures = (row.failures or 0) + 1
    if row.failures < MAX_FAILURES:
        return FailureOutcome(row.failures, None)
    row.lockouts = (row.lockouts or 0) + 1
    row.locked_until = now + lockout_duration(row.lockouts)
    failures = row.failures
    row.failures = 0
    row.window_started_at = None
    return FailureOutcome(failures, row.locked_until)


def record_success(*, key: str) -> None:
    """A successful login clears the failures and the doubling history."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def unlock(*, key: str) -> bool:
    """Lift a lockout and forget the history; True when there was something to clear."""
    result = db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
    return bool(getattr(result, "rowcount", 0))


def purge_stale(*, now: datetime | None = None) -> int:
    """Delete throttle rows that are neither locked nor recent; returns how many."""
    now = now or utcnow()
    result = db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < now - STALE_AFTER,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now),
        )
    )
    return int(getattr(result, "rowcount", 0))

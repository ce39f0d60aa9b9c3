"""Housekeeping: delete rows that no longer protect anything."""

from __future__ import annotations

from datetime import datetime

from versehub.core.db import utcnow
from versehub.modules.accounts.service import lockout, revocation, tokens


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete expired revocations and refresh tokens and stale lockout rows (not committed)."""
    now = now or utcnow()
    return {
        "revocations": revocation.purge_expired(now=now),
        "refresh_tokens": tokens.purge_expired(now=now),
        "login_throttles": lockout.purge_stale(now=now),
    }

"""The security audit trail: written in its own transaction, read with filters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from versehub.core.api import Page, paginate
from versehub.core.db import utcnow
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent
from versehub.modules.accounts.service.meta import RequestMeta

TARGET_MAX = 200
# Payload keys that must never reach the trail, whatever a publisher puts in an event.
SECRET_KEYS = frozenset({"password", "token", "access_token", "refresh_token", "key", "otp"})


def _clean(details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(k): (v if isinstance(v, str | int | float | bool | None | list | dict) else str(v))
        for k, v in details.items()
        if str(k).lower() not in SECRET_KEYS
    }


def record(
    *,
    event: str,
    actor_id: int | None,
    target: str | None,
    meta: RequestMeta,
    details: Mapping[str, Any],
    now: datetime | None = None,
) -> None:
    """Append one event on a separate connection, committed at once."""
    # A separate transaction: the trail must keep failed logins and refused requests, whose
    # own transaction the error handler rolls back. Publishers publish after their commit, so
    # on SQLite this connection never waits for a write lock held by the same request.
    values = {
        "event": event[:64],
        "actor_id": actor_id,
        "target": target[:TARGET_MAX] if target else None,
        "ip": meta.ip[:64] if meta.ip else None,
        "user_agent": meta.user_agent,
        "request_id": meta.request_id[:128] if meta.request_id else None,
        "details": _clean(details),
        "created_at": now or utcnow(),
    }
    with db.engine.begin() as connection:
        connection.execute(insert(AuditEvent).values(**values))


def written_events() -> set[str]:
    """The event names the trail holds at least once."""
    return set(db.session.scalars(select(AuditEvent.event).distinct()))


def list_(
    *,
    page: int,
    per_page: int,
    event: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEvent]:
    """One page of events, newest first."""
    query = select(AuditEvent)
    if event:
        query = query.where(AuditEvent.event == event)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    if until is not None:
        query = query.where(AuditEvent.created_at < until)
    ordered = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return paginate(ordered, page=page, per_page=per_page)

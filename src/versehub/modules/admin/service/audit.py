"""The audit log as the admin pages filter it: by event, actor (name or id) and days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from versehub.core.api import Page
from versehub.core.errors import APIError, field_error
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent, User
from versehub.modules.accounts.service import audit, users
from versehub.modules.accounts.service.audit_events import check_audit_filter


@dataclass(frozen=True)
class AuditPage:
    """One page of events, and the usernames of the actors on it."""

    page: Page[AuditEvent]
    actors: dict[int, str]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def resolve_actor(*, actor: str) -> int:
    """The user id `actor` names: a number is an id, anything else a username or email."""
    text = actor.strip()
    if text.isdigit():
        return int(text)
    user = users.get_by_login(login=text)
    if user is None:
        raise APIError(
            "VAL_INVALID",
            errors=[field_error("actor", f"No account is called {text!r}: check the spelling")],
        )
    return user.id


def list_events(
    *,
    page: int,
    per_page: int,
    event: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> AuditPage:
    """Events newest first; `since` and `until` are whole days (UTC), both included."""
    errors = []
    if event:
        try:
            check_audit_filter(event)
        except APIError:
            errors.append(field_error("event", "Choose an event from the list"))
    actor_id = None
    if actor and actor.strip():
        try:
            actor_id = resolve_actor(actor=actor)
        except APIError as exc:
            errors.extend(exc.errors)
    if since and until and since > until:
        errors.append(field_error("until", "The end date must be on or after the start date"))
    if errors:
        raise APIError("VAL_INVALID", errors=errors)
    found = audit.list_(
        page=page,
        per_page=per_page,
        event=event or None,
        actor_id=actor_id,
        since=_midnight(since) if since else None,
        until=_midnight(until + timedelta(days=1)) if until else None,
    )
    ids = {row.actor_id for row in found.items if row.actor_id is not None}
    names = (
        dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return AuditPage(page=found, actors={int(k): str(v) for k, v in names.items()})

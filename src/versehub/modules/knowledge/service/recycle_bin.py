"""The recycle bin: deleted entries wait here, hidden from every read, until restored or purged.

Deleting an entry (`entries.delete`) only stamps `deleted_at`; `permissions.visible_clause` and
`can_read` hide such rows from lists, search, aggregates, GraphQL and the detail (404). For
`recycle_bin_days` (a setting) the author or an editor may restore it as it was (same state,
slug, revisions); admins may purge it at once; the hourly job purges what has expired. The slug
stays taken while an entry is in the bin, so a restored entry comes back at its old address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, select

from versehub.core.api import Page, paginate
from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.knowledge import events
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.service import entries, permissions

ADMIN = "admin"
NOT_IN_BIN = "No such entry in the recycle bin"


def retention() -> timedelta:
    """How long an entry stays restorable (the `recycle_bin_days` setting)."""
    return timedelta(days=current_app.extensions["versehub.settings"].recycle_bin_days)


def purge_at(entry: Entry) -> datetime | None:
    """When the purge job deletes a binned entry (None for a live one)."""
    return None if entry.deleted_at is None else entry.deleted_at + retention()


def _restorable(now: datetime) -> ColumnElement[bool]:
    return and_(Entry.deleted_at.is_not(None), Entry.deleted_at > now - retention())


def _owned_by(viewer: Principal) -> ColumnElement[bool]:
    """The binned entries this viewer may see: editors all, others their own."""
    if permissions.is_editor(viewer):
        return Entry.id.is_not(None)
    return Entry.author_id == viewer.user_id


def list_(*, viewer: Principal | None, page: int = 1, per_page: int = 20) -> Page[Entry]:
    """The restorable entries of the bin this viewer may see (editors: all; others: their own)."""
    who = permissions.require_author(viewer)
    return _page([_restorable(utcnow()), _owned_by(who)], page=page, per_page=per_page)


def list_all(*, page: int = 1, per_page: int = 100) -> Page[Entry]:
    """Everything in the bin, expired or not (for operators: the CLI)."""
    return _page([Entry.deleted_at.is_not(None)], page=page, per_page=per_page)


def _page(where: list[ColumnElement[bool]], *, page: int, per_page: int) -> Page[Entry]:
    statement = select(Entry).where(*where).order_by(Entry.deleted_at.desc(), Entry.id.desc())
    return paginate(statement, page=page, per_page=per_page)


def _binned(entry_id: int, viewer: Principal, *, restorable_only: bool) -> Entry:
    """A binned entry this viewer may see there, or RES_NOT_FOUND (also for expired ones)."""
    where = [Entry.id == entry_id, _owned_by(viewer)]
    where.append(_restorable(utcnow()) if restorable_only else Entry.deleted_at.is_not(None))
    found = db.session.scalars(select(Entry).where(*where)).one_or_none()
    if found is None:
        raise APIError("RES_NOT_FOUND", NOT_IN_BIN)
    return found


def restore(
    *, entry_id: int, viewer: Principal | None, expected_version: int | None = None
) -> Entry:
    """Bring an entry back from the bin as it was (author or editor, within the retention)."""
    who = permissions.require_author(viewer)
    entry = _binned(entry_id, who, restorable_only=True)
    entries.check_version(entry, expected_version)
    with entries.transaction():
        entry.deleted_at = None
        entry.deleted_by_id = None
    events.emit(events.ENTRY_RESTORED, events.payload(entry, actor_id=who.user_id))
    return entry


def purge(*, entry_id: int, viewer: Principal | None) -> None:
    """Delete a binned entry and its revisions for good, now (admins only)."""
    who = permissions.require_author(viewer)
    if not who.has_role(ADMIN):
        raise APIError(
            "AUTH_INSUFFICIENT_PERMISSIONS",
            "Only an admin may purge the recycle bin",
            details={"required_roles": [ADMIN]},
        )
    _purge(_binned(entry_id, who, restorable_only=False), actor_id=who.user_id)


def purge_binned(*, entry_id: int) -> None:
    """Purge one binned entry now, as an operator (the CLI); RES_NOT_FOUND when not binned."""
    found = db.session.scalars(
        select(Entry).where(Entry.id == entry_id, Entry.deleted_at.is_not(None))
    ).one_or_none()
    if found is None:
        raise APIError("RES_NOT_FOUND", NOT_IN_BIN)
    _purge(found, actor_id=None)


def _purge(entry: Entry, *, actor_id: int | None) -> None:
    data = events.payload(entry, actor_id=actor_id)
    with entries.transaction():
        db.session.delete(entry)
    events.emit(events.ENTRY_PURGED, data)


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the entries whose time in the bin is over, with their revisions (not committed)."""
    cutoff = (now or utcnow()) - retention()
    # Revisions and tag links go with the rows (ON DELETE CASCADE); nobody could read these
    # rows any more, so no event is owed to the caches.
    result = db.session.execute(
        delete(Entry)
        .where(Entry.deleted_at.is_not(None), Entry.deleted_at <= cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)

"""Revisions: a full snapshot on every content change; list, show and restore."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from versehub.core.api import Page, paginate
from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.knowledge.models import Entry, EntryRevision
from versehub.modules.knowledge.service import permissions

# The fields a revision tracks; a change to any of them stores a new revision.
TRACKED = ("title", "content", "summary", "plain_language", "category", "tags")


def snapshot(entry: Entry) -> dict[str, Any]:
    """The tracked fields of an entry, as stored in a revision."""
    return {
        "title": entry.title,
        "content": entry.content,
        "summary": entry.summary,
        "plain_language": entry.plain_language,
        "category": entry.category.slug if entry.category else None,
        "tags": entry.tag_names,
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Tracked fields whose values differ, in TRACKED order."""
    return [name for name in TRACKED if before.get(name) != after.get(name)]


def record(
    *,
    entry: Entry,
    changed_fields: list[str],
    user_id: int | None,
    restored_from: int | None = None,
) -> EntryRevision:
    """Add the entry's next revision to the session (no commit)."""
    last = db.session.scalar(
        select(func.max(EntryRevision.number)).where(EntryRevision.entry_id == entry.id)
    )
    revision = EntryRevision(
        entry_id=entry.id,
        number=(last or 0) + 1,
        user_id=user_id,
        snapshot=snapshot(entry),
        changed_fields=changed_fields,
        restored_from=restored_from,
    )
    db.session.add(revision)
    return revision


def _newest_first(entry_id: int) -> Select[EntryRevision]:
    return (
        select(EntryRevision)
        .where(EntryRevision.entry_id == entry_id)
        .order_by(EntryRevision.number.desc())
    )


def list_(*, entry_id: int, viewer: Principal | None) -> list[EntryRevision]:
    """An entry's revisions, newest first (for those who may edit it)."""
    permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    return list(db.session.scalars(_newest_first(entry_id)))


def page(
    *, entry_id: int, viewer: Principal | None, page: int, per_page: int
) -> Page[EntryRevision]:
    """One page of an entry's revisions, newest first (for those who may edit it)."""
    permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    return paginate(_newest_first(entry_id), page=page, per_page=per_page)


def get(*, entry_id: int, number: int, viewer: Principal | None) -> EntryRevision:
    """One revision by its number, or RES_NOT_FOUND."""
    permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    revision = db.session.scalars(
        select(EntryRevision).where(
            EntryRevision.entry_id == entry_id, EntryRevision.number == number
        )
    ).one_or_none()
    if revision is None:
        raise APIError("RES_NOT_FOUND", "No such revision")
    return revision


def latest_for(*, entry_ids: Sequence[int], limit: int) -> dict[int, list[EntryRevision]]:
    """The newest `limit` revisions of each entry, in one query (callers check permissions)."""
    if not entry_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=EntryRevision.entry_id, order_by=EntryRevision.number.desc())
        .label("rank")
    )
    ranked = select(EntryRevision.id, rank).where(EntryRevision.entry_id.in_(entry_ids)).subquery()
    rows = db.session.scalars(
        select(EntryRevision)
        .join(ranked, ranked.c.id == EntryRevision.id)
        .where(ranked.c.rank <= limit)
        .order_by(EntryRevision.entry_id, EntryRevision.number.desc())
    )
    found: dict[int, list[EntryRevision]] = {}
    for revision in rows:
        found.setdefault(revision.entry_id, []).append(revision)
    return found


def usernames(*, user_ids: Sequence[int | None]) -> dict[int, str]:
    """Usernames of the people who made revisions, in one query (missing accounts: absent)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    found: dict[int, str] = {}
    for user_id, name in db.session.execute(
        select(User.id, User.username).where(User.id.in_(wanted))
    ):
        found[user_id] = name
    return found


def latest(*, entry_id: int) -> EntryRevision | None:
    """The newest revision of an entry (callers check permissions)."""
    return db.session.scalars(_newest_first(entry_id).limit(1)).first()

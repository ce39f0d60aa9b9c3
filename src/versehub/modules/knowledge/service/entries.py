"""Entries: create, read, update, move through the workflow, restore and delete.

Each writing function owns its transaction: it commits, rolls back on any failure, and publishes
its entry.* event only after the commit. Deleting is hard (the row, its tags and revisions go):
"archived" is the workflow's soft retirement, so a separate soft-delete flag would be a second
way to say the same thing and every query would have to remember it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.core.errors import APIError, field_error
from versehub.core.states import allowed_transitions, transition
from versehub.extensions import db
from versehub.modules.knowledge import events
from versehub.modules.knowledge.models import SLUG_MAX, Entry
from versehub.modules.knowledge.schemas import EntryCreate, EntryPublic, EntryUpdate, SignVideo
from versehub.modules.knowledge.service import (
    categories,
    content,
    permissions,
    revisions,
    slugs,
    versions,
)
from versehub.modules.knowledge.service import tags as tag_service

STALE = "The entry was changed by someone else; reload and retry"
SLUG_ATTEMPTS = 3  # a generated slug taken by a concurrent create is chosen again


@contextmanager
def _transaction() -> Iterator[None]:
    """Commit on success; roll back (and translate lost races) on failure."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise APIError("RES_CONFLICT", STALE) from exc
    except IntegrityError as exc:
        db.session.rollback()
        # The only unique value a caller chooses is the slug; a racing writer took it.
        raise APIError("RES_ALREADY_EXISTS", errors=[field_error("slug", "Taken")]) from exc
    except BaseException:
        db.session.rollback()
        raise


def _check_version(entry: Entry, expected: int | None) -> None:
    if expected is not None and entry.version != expected:
        raise APIError(
            "RES_CONFLICT",
            STALE,
            details={"expected_version": expected, "current_version": entry.version},
        )


def get(*, entry_id: int, viewer: Principal | None) -> Entry:
    """An entry the viewer may read, or RES_NOT_FOUND."""
    return permissions.require_read(viewer, db.session.get(Entry, entry_id))


def get_by_slug(*, slug: str, viewer: Principal | None) -> Entry:
    """An entry by slug that the viewer may read, or RES_NOT_FOUND."""
    found = db.session.scalars(select(Entry).where(Entry.slug == slug)).one_or_none()
    return permissions.require_read(viewer, found)


def present(entry: Entry, *, reading_level: int | None = None) -> EntryPublic:
    """The public shape of an entry, with sign videos from the registered providers and the
    version a reader at `reading_level` prefers (`service/versions.py`)."""
    public = EntryPublic.model_validate(entry)
    public.sign_videos = [SignVideo.model_validate(v) for v in events.sign_videos_for(entry)]
    public.preferred_version = versions.preferred(entry, reading_level)
    public.preferred_content, public.preferred_content_html = versions.content_of(
        entry, public.preferred_version
    )
    return public


def allowed_moves(*, entry: Entry, viewer: Principal | None) -> list[str]:
    """The states this viewer may move the entry to now."""
    roles = viewer.roles if viewer else frozenset()
    return [
        state
        for state in allowed_transitions(entry, actor_roles=roles)
        if permissions.can_move(viewer, entry, state)
    ]


def _resolve(changes: dict[str, Any]) -> dict[str, Any]:
    """Input values turned into rows: category slug → Category, tag names → Tags."""
    resolved = dict(changes)
    if "category" in resolved and resolved["category"] is not None:
        resolved["category"] = categories.require_by_slug(slug=resolved["category"])
    if "tags" in resolved:
        resolved["tags"] = tag_service.resolve(names=resolved["tags"] or [])
    return resolved


def _new_slug(data: EntryCreate) -> str:
    if data.slug is None:
        base = slugs.base_slug(data.title, max_length=SLUG_MAX, fallback="entry")
        return slugs.free_slug(Entry.slug, base)
    slug = slugs.base_slug(data.slug, max_length=SLUG_MAX, fallback="")
    if not slug:
        raise APIError("VAL_INVALID", errors=[field_error("slug", "Use letters and digits")])
    if slugs.is_taken(Entry.slug, slug):
        raise APIError("RES_ALREADY_EXISTS", errors=[field_error("slug", "Slug already used")])
    return slug


def create(*, data: EntryCreate, viewer: Principal | None) -> Entry:
    """Write a new draft by the viewer (any signed-in person); commits."""
    author = permissions.require_author(viewer)
    attempts = 1 if data.slug is not None else SLUG_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with _transaction():
                entry = Entry(slug=_new_slug(data), author_id=author.user_id)
                fields = data.model_dump(exclude={"slug"})
                content.apply(entry, _resolve(fields))
                db.session.add(entry)
                db.session.flush()
                tracked = [f for f in revisions.TRACKED if fields.get(f) not in (None, "", [])]
                revisions.record(entry=entry, changed_fields=tracked, user_id=author.user_id)
            break
        except APIError as exc:
            # A racing writer took the generated slug: the next attempt picks the next free one.
            if exc.code != "RES_ALREADY_EXISTS" or attempt == attempts:
                raise
    events.emit(events.ENTRY_CREATED, events.payload(entry, actor_id=author.user_id))
    return entry


def _save(
    entry: Entry,
    changes: dict[str, Any],
    *,
    viewer: Principal,
    restored_from: int | None = None,
) -> Entry:
    """Apply changes, store a revision if tracked content changed, bump the version; commits."""
    with _transaction():
        before = revisions.snapshot(entry)
        content.apply(entry, _resolve(changes))
        # Always an UPDATE of the row, so the version moves even when only tags changed.
        entry.updated_at = utcnow()
        db.session.flush()
        changed = revisions.changed(before, revisions.snapshot(entry))
        if changed or restored_from is not None:
            revisions.record(
                entry=entry,
                changed_fields=changed,
                user_id=viewer.user_id,
                restored_from=restored_from,
            )
    events.emit(events.ENTRY_UPDATED, events.payload(entry, actor_id=viewer.user_id))
    return entry


def update(*, entry_id: int, data: EntryUpdate, viewer: Principal | None) -> Entry:
    """Change an entry (author or editor); `data.version` guards against lost updates."""
    entry = permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    assert viewer is not None  # require_edit refuses anonymous viewers
    _check_version(entry, data.version)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for required in ("title", "content", "is_public"):
        if required in changes and changes[required] is None:
            raise APIError("VAL_INVALID", errors=[field_error(required, "Cannot be empty")])
    if changes.get("summary") is None:
        changes.pop("summary", None)
    return _save(entry, changes, viewer=viewer)


def restore_revision(
    *, entry_id: int, number: int, viewer: Principal | None, expected_version: int | None = None
) -> Entry:
    """Bring back revision `number`'s content as a new revision (a missing category: none)."""
    revision = revisions.get(entry_id=entry_id, number=number, viewer=viewer)
    entry = permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    assert viewer is not None
    _check_version(entry, expected_version)
    snap = dict(revision.snapshot)
    category = snap.pop("category", None)
    if category is not None and categories.get_by_slug(slug=category) is None:
        category = None
    return _save(entry, {**snap, "category": category}, viewer=viewer, restored_from=number)


def change_status(
    *, entry_id: int, to: str, viewer: Principal | None, expected_version: int | None = None
) -> Entry:
    """Move an entry through the workflow; illegal moves and stale versions are RES_CONFLICT."""
    entry = permissions.require_move(viewer, db.session.get(Entry, entry_id), to)
    assert viewer is not None
    with _transaction():
        if to == "published":
            entry.published_at = utcnow()
        moved = transition(entry, to, expected_version=expected_version, actor_roles=viewer.roles)
    name = moved.event or events.ENTRY_UPDATED
    events.emit(name, events.payload(entry, actor_id=viewer.user_id))
    return entry


def delete(*, entry_id: int, viewer: Principal | None, expected_version: int | None = None) -> None:
    """Delete an entry for good (author or editor), with its revisions; commits."""
    entry = permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    assert viewer is not None
    _check_version(entry, expected_version)
    data = events.payload(entry, actor_id=viewer.user_id)
    with _transaction():
        db.session.delete(entry)
    events.emit(events.ENTRY_DELETED, data)

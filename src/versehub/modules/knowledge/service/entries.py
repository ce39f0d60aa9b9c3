"""Entries: create, read, update, move through the workflow, restore and delete.

Each writing function owns its transaction: it commits, rolls back on any failure, and publishes
its entry.* event only after the commit. Deleting moves an entry to the recycle bin
(`service/recycle_bin.py`): "archived" is the workflow's retirement, seen by its author and
editors; a binned entry is seen by nobody until it is restored, and is purged for good later.
Every read goes through `permissions` (can_read / visible_clause), which hides binned entries.
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
from versehub.core.states import allowed_moves as allowed_moves_of
from versehub.core.states import transition
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
def transaction() -> Iterator[None]:
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


def check_version(entry: Entry, expected: int | None) -> None:
    """RES_CONFLICT when the caller saw another version than the stored one."""
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


def get_for_edit(*, slug: str, viewer: Principal | None) -> Entry:
    """An entry by slug that the viewer may change, or RES_NOT_FOUND (pages never reveal
    entries a viewer may only read, or not at all)."""
    found = db.session.scalars(select(Entry).where(Entry.slug == slug)).one_or_none()
    entry = permissions.require_read(viewer, found)
    if not permissions.can_edit(viewer, entry):
        raise APIError("RES_NOT_FOUND", "No such entry")
    return entry


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
    workflow = Entry.workflow
    targets = {
        workflow.moves[move].target
        for move in allowed_moves_of(entry, actor_roles=roles)
        if permissions.can_move(viewer, entry, move)
    }
    return [state for state in workflow.states if state in targets]


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
            with transaction():
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
    """Apply changes, store a revision if tracked content changed, bump the version; commits.

    Changes that change nothing (an empty PATCH, the same values again) write nothing: the
    version, and so every ETag callers hold, stays as it was, and no event is published.
    """
    with transaction():
        before = revisions.snapshot(entry)
        # Untracked settings (no revision of their own) still count as a change to save.
        was = (entry.is_public, entry.language)
        content.apply(entry, _resolve(changes))
        changed = revisions.changed(before, revisions.snapshot(entry))
        if not changed and restored_from is None and (entry.is_public, entry.language) == was:
            # Nothing to save; also drops any re-rendering that differs only from an old renderer.
            db.session.rollback()
            return entry
        # An UPDATE of the row, so the version moves even when only tags changed.
        entry.updated_at = utcnow()
        db.session.flush()
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
    check_version(entry, data.version)
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
    check_version(entry, expected_version)
    snap = dict(revision.snapshot)
    category = snap.pop("category", None)
    if category is not None and categories.get_by_slug(slug=category) is None:
        category = None
    return _save(entry, {**snap, "category": category}, viewer=viewer, restored_from=number)


def change_status(
    *,
    entry_id: int,
    to: str,
    viewer: Principal | None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Entry:
    """Move an entry through the workflow; illegal moves and stale versions are RES_CONFLICT.

    Of the workflow's moves to `to`, the first this viewer may make is made: from in_review to
    draft the author withdraws, anyone else (an editor) sends back and must give a `reason`.
    The reason is kept as the entry's `review_note` (cleared on publishing) and is in the event.
    """
    entry = permissions.require_move(viewer, db.session.get(Entry, entry_id), to)
    assert viewer is not None
    with transaction():
        if to == "published":
            entry.published_at = utcnow()
        # Set before the move, so its one UPDATE carries it (a refused move rolls it back).
        entry.review_note = None if to == "published" else ((reason or "").strip() or None)
        moved = transition(
            entry,
            to,
            expected_version=expected_version,
            actor_roles=viewer.roles,
            moves=permissions.moves_to(viewer, entry, to),
            reason=reason,
        )
    name = moved.event or events.ENTRY_UPDATED
    data = events.payload(entry, actor_id=viewer.user_id)
    data["transition"] = {"move": moved.move, "from": moved.source, "to": moved.target}
    data["reason"] = moved.reason
    events.emit(name, data)
    return entry


def delete(*, entry_id: int, viewer: Principal | None, expected_version: int | None = None) -> None:
    """Move an entry to the recycle bin (author or editor); its state and revisions are kept."""
    entry = permissions.require_edit(viewer, db.session.get(Entry, entry_id))
    assert viewer is not None
    check_version(entry, expected_version)
    with transaction():
        entry.deleted_at = utcnow()
        entry.deleted_by_id = viewer.user_id
    events.emit(events.ENTRY_DELETED, events.payload(entry, actor_id=viewer.user_id))

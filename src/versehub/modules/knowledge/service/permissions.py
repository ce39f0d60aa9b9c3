"""Who may read, edit, move and delete entries: the one place for these rules.

Anyone reads published public entries; a signed-in person also reads their own entries in any
state; editors and admins read everything. Authors edit (and delete) their own entries, editors
edit any. Workflow moves: authors may submit their own draft for review; every other move needs
an editor (and the workflow's own role rules still apply). An entry the viewer may not read is
RES_NOT_FOUND, never 403, so its existence does not leak.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, true

from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.modules.knowledge.models import Entry

EDITOR = "editor"
AUTHOR_MOVES = frozenset({"in_review"})


def is_editor(viewer: Principal | None) -> bool:
    """Editors and admins (admins hold every role)."""
    return viewer is not None and viewer.has_role(EDITOR)


def is_author(viewer: Principal | None, entry: Entry) -> bool:
    """Whether the viewer wrote the entry."""
    return viewer is not None and entry.author_id == viewer.user_id


def _is_open(entry: Entry) -> bool:
    return entry.status == "published" and entry.is_public


def can_read(viewer: Principal | None, entry: Entry) -> bool:
    """Whether the viewer may see the entry."""
    return _is_open(entry) or is_author(viewer, entry) or is_editor(viewer)


def visible_clause(viewer: Principal | None) -> ColumnElement[bool]:
    """SQL condition matching exactly the entries `can_read` allows (for lists and search)."""
    if is_editor(viewer):
        return true()
    public = and_(Entry.status == "published", Entry.is_public.is_(True))
    if viewer is None:
        return public
    return or_(public, Entry.author_id == viewer.user_id)


def can_edit(viewer: Principal | None, entry: Entry) -> bool:
    """Authors edit their own entries, editors any."""
    return is_author(viewer, entry) or is_editor(viewer)


def can_move(viewer: Principal | None, entry: Entry, to: str) -> bool:
    """Authors submit their own drafts for review; other moves are editors' work."""
    return is_editor(viewer) or (is_author(viewer, entry) and to in AUTHOR_MOVES)


def require_read(viewer: Principal | None, entry: Entry | None) -> Entry:
    """The entry, or RES_NOT_FOUND when absent or hidden from the viewer."""
    if entry is None or not can_read(viewer, entry):
        raise APIError("RES_NOT_FOUND", "No such entry")
    return entry


def require_edit(viewer: Principal | None, entry: Entry | None) -> Entry:
    """The entry if the viewer may change it (hidden: RES_NOT_FOUND; seen: 403)."""
    found = require_read(viewer, entry)
    if viewer is None:
        raise APIError("AUTH_REQUIRED")
    if not can_edit(viewer, found):
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", "Only the author or an editor may do this")
    return found


def require_move(viewer: Principal | None, entry: Entry | None, to: str) -> Entry:
    """The entry if the viewer may ask for this workflow move."""
    found = require_read(viewer, entry)
    if viewer is None:
        raise APIError("AUTH_REQUIRED")
    if not can_move(viewer, found, to):
        raise APIError(
            "AUTH_INSUFFICIENT_PERMISSIONS",
            f"Moving to {to} requires the role {EDITOR}",
            details={"required_roles": [EDITOR]},
        )
    return found


def require_author(viewer: Principal | None) -> Principal:
    """A signed-in viewer (anyone signed in may write entries)."""
    if viewer is None:
        raise APIError("AUTH_REQUIRED")
    return viewer


def require_editor(viewer: Principal | None) -> Principal:
    """An editor or admin (managing categories)."""
    if viewer is None:
        raise APIError("AUTH_REQUIRED")
    if not is_editor(viewer):
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", details={"required_roles": [EDITOR]})
    return viewer

"""Who may read, edit, move and delete entries: the one place for these rules.

Anyone reads published public entries; a signed-in person also reads their own entries in any
state; editors and admins read everything. An entry in the recycle bin is read by nobody (only
the bin's own routes show it). Authors edit (and delete) their own entries, editors edit any.
Workflow moves (by name, see core.states.ENTRY_WORKFLOW): authors may submit their own draft and
withdraw it from review; withdrawing is the author's alone (an editor who is not the author
sends the entry back instead, with a reason); every other move needs an editor (and the
workflow's own role rules still apply). An entry the viewer may not read is RES_NOT_FOUND, never
403, so its existence does not leak.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.modules.knowledge.models import Entry

EDITOR = "editor"
# Moves an author may make on their own entry; of these, only the author may withdraw.
AUTHOR_MOVES = frozenset({"submit", "withdraw"})
AUTHOR_ONLY_MOVES = frozenset({"withdraw"})


def is_editor(viewer: Principal | None) -> bool:
    """Editors and admins (admins hold every role)."""
    return viewer is not None and viewer.has_role(EDITOR)


def is_author(viewer: Principal | None, entry: Entry) -> bool:
    """Whether the viewer wrote the entry."""
    return viewer is not None and entry.author_id == viewer.user_id


def _is_open(entry: Entry) -> bool:
    return entry.status == "published" and entry.is_public


def can_read(viewer: Principal | None, entry: Entry) -> bool:
    """Whether the viewer may see the entry (never while it is in the recycle bin)."""
    if entry.deleted_at is not None:
        return False
    return _is_open(entry) or is_author(viewer, entry) or is_editor(viewer)


def visible_clause(viewer: Principal | None) -> ColumnElement[bool]:
    """SQL condition matching exactly the entries `can_read` allows (lists, search, counts)."""
    live = Entry.deleted_at.is_(None)
    if is_editor(viewer):
        return live
    public = and_(Entry.status == "published", Entry.is_public.is_(True))
    if viewer is None:
        return and_(live, public)
    return and_(live, or_(public, Entry.author_id == viewer.user_id))


def can_edit(viewer: Principal | None, entry: Entry) -> bool:
    """Authors edit their own entries, editors any."""
    return is_author(viewer, entry) or is_editor(viewer)


def can_move(viewer: Principal | None, entry: Entry, move: str) -> bool:
    """Authors submit and withdraw their own entries; other moves are editors' work."""
    if move in AUTHOR_ONLY_MOVES:
        return is_author(viewer, entry)
    return is_editor(viewer) or (is_author(viewer, entry) and move in AUTHOR_MOVES)


def moves_to(viewer: Principal | None, entry: Entry, to: str) -> list[str]:
    """The workflow moves from the entry's state to `to` this viewer may make, in order."""
    return [
        move
        for move in Entry.workflow.moves_between(entry.status, to)
        if can_move(viewer, entry, move)
    ]


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
    """The entry if the viewer may ask for this workflow move (403 when the workflow has a
    way there from here but none of it is the viewer's)."""
    found = require_read(viewer, entry)
    if viewer is None:
        raise APIError("AUTH_REQUIRED")
    if Entry.workflow.moves_between(found.status, to) and not moves_to(viewer, found, to):
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

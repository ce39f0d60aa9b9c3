"""Workflow moves from the browser: the status buttons of an entry and what they post to.

The buttons (`knowledge/_entry_actions.html`, for the entry and edit pages) list the moves the
viewer may make now (entries.allowed_moves); posting one runs entries.change_status with the
version the page showed, so a stale page or an illegal move changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import flash, redirect, request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from versehub.core.auth import Principal, current_principal
from versehub.core.errors import APIError
from versehub.core.pages import signed_in_page
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import EntryPublic, EntryTransition
from versehub.modules.knowledge.service import entries, permissions
from versehub.modules.knowledge.web.blueprint import bp
from versehub.modules.knowledge.web.common import entry_url, viewer

STATUS_NAMES: Mapping[str, str] = {
    "draft": "Draft",
    "in_review": "In review",
    "published": "Published",
    "archived": "Archived",
}
MOVE_LABELS: Mapping[str, str] = {
    "submit": "Submit for review",
    "publish": "Publish",
    "withdraw": "Withdraw from review",
    "send_back": "Send back to the author",
    "archive": "Archive",
    "unpublish": "Unpublish (back to draft)",
}
DONE: Mapping[str, str] = {
    "in_review": "Submitted for review: an editor will look at it.",
    "published": "Published: everyone who may read it can find it now.",
    "draft": "Moved back to draft.",
    "archived": "Archived.",
}


@dataclass(frozen=True)
class Action:
    """One status button: the target state, its label, and whether a reason is asked for."""

    to: str
    label: str
    needs_reason: bool


def actions_for(*, entry: Entry, viewer: Principal | None) -> list[Action]:
    """The workflow moves this viewer may make on the entry now, as buttons."""
    found = []
    for to in entries.allowed_moves(entry=entry, viewer=viewer):
        moves = permissions.moves_to(viewer, entry, to)
        if not moves:
            continue
        move = moves[0]
        found.append(
            Action(
                to=to,
                label=MOVE_LABELS.get(move, f"Move to {STATUS_NAMES.get(to, to)}"),
                needs_reason=Entry.workflow.moves[move].requires_reason,
            )
        )
    return found


def _actions_of(entry: Entry | EntryPublic) -> list[Action]:
    # The entry page holds the public shape; its row is in the session's identity map already.
    row = entry if isinstance(entry, Entry) else db.session.get(Entry, entry.id)
    return actions_for(entry=row, viewer=current_principal()) if row is not None else []


@bp.app_context_processor
def _entry_actions() -> dict[str, object]:
    # The entry page (reading) shows the same buttons: it calls entry_actions(entry).
    return {
        "entry_actions": _actions_of,
        "status_names": STATUS_NAMES,
    }


def _refusal(exc: APIError, entry: Entry, to: str) -> str:
    target = STATUS_NAMES.get(to, to).lower()
    if exc.code == "RES_CONFLICT" and "current_version" in exc.details:
        return (
            "Someone else changed this entry after you opened the page, so nothing was "
            "changed. Check it and choose again."
        )
    if exc.code == "RES_CONFLICT":
        current = STATUS_NAMES.get(entry.status, entry.status).lower()
        return f"An entry that is {current} cannot be moved to {target}; nothing was changed."
    if exc.code == "VAL_INVALID" and exc.errors:
        return f"{exc.errors[0]['message']}; nothing was changed."
    if exc.code == "AUTH_INSUFFICIENT_PERMISSIONS":
        return f"Only an editor can move this entry to {target}; nothing was changed."
    return f"{exc.message or 'That change could not be made'}; nothing was changed."


@bp.post("/entries/<slug>/status")
@signed_in_page
def move_entry(slug: str) -> ResponseReturnValue:
    """Move an entry through the workflow, then go back to it with a message."""
    principal = viewer()
    entry = entries.get_by_slug(slug=slug, viewer=principal)
    back = entry_url(entry.slug)
    raw_version = request.form.get("version", "").strip()
    if raw_version and not (raw_version.isdigit() and len(raw_version) < 10):
        flash("The page was out of date, so nothing was changed. Check it and try again.", "error")
        return redirect(back, 303)
    try:
        move = EntryTransition.model_validate(
            {
                "to": request.form.get("to", ""),
                "version": int(raw_version) if raw_version else None,
                "reason": (request.form.get("reason") or "").strip() or None,
            }
        )
    except ValidationError:
        flash("That is not a change this entry can make; nothing was changed.", "error")
        return redirect(back, 303)
    try:
        entries.change_status(
            entry_id=entry.id,
            to=move.to,
            viewer=principal,
            expected_version=move.version,
            reason=move.reason,
        )
    except APIError as exc:
        db.session.rollback()
        if exc.code == "RES_NOT_FOUND":
            raise
        flash(_refusal(exc, entry, move.to), "error")
        return redirect(back, 303)
    flash(DONE.get(move.to, "Done."), "success")
    return redirect(back, 303)

"""The conflict page: someone else saved the entry after you opened it.

Nothing is lost: their saved text and yours are both on the page, with the difference between
them, and the form still holds your text, now carrying the current version, so saving it again
is a deliberate choice to replace theirs.
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.core.pages import render_page
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.service import diffs, preview, revisions
from versehub.modules.knowledge.service import tags as tag_service
from versehub.modules.knowledge.web.forms import EntryForm


def _yours(form: EntryForm) -> dict[str, Any]:
    values = form.values()
    names: list[str] = []
    for name in values["tags"]:
        try:
            names.append(tag_service.normalise(name))
        except APIError:
            names.append(name)
    values["tags"] = sorted(set(names))
    return values


def conflict_page(form: EntryForm, *, entry: Entry, principal: Principal) -> ResponseReturnValue:
    """409: both versions, their difference, and the ways on."""
    db.session.refresh(entry)
    theirs = revisions.snapshot(entry)
    latest = revisions.latest(entry_id=entry.id)
    names = revisions.usernames(user_ids=[latest.user_id if latest else None])
    saved_by = names.get(latest.user_id) if latest and latest.user_id else None
    form.version.data = str(entry.version)
    yours = _yours(form)
    return render_page(
        "knowledge/conflict.html",
        status=409,
        form=form,
        entry=entry,
        theirs=theirs,
        yours=yours,
        changes=[d for d in diffs.diff_snapshots(old=theirs, new=yours) if d.changed],
        latest=latest,
        saved_by=saved_by,
        viewer_id=principal.user_id,
        preview=preview.preview(content=form.content.data, plain_language=form.plain_language.data),
    )

"""Revision pages: an entry's history, one revision against another, and restoring one.

Shown only to those who may edit the entry (everyone else, and every out-of-range number: 404,
the same page as a missing entry). Diffs come from knowledge.service.diffs over the Markdown
source: side by side for wide layouts (density 4 and 5), inline otherwise.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from versehub.core.errors import APIError
from versehub.core.pages import render_page, signed_in_page
from versehub.core.presentation import current_presentation
from versehub.extensions import db
from versehub.modules.knowledge.service import diffs, entries, revisions
from versehub.modules.knowledge.web.blueprint import bp
from versehub.modules.knowledge.web.common import entry_url, viewer

PER_PAGE = 20
WIDE_DENSITY = 4
PAGE_MAX = 100_000


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    # Garbage numbers are not a page that exists: the same 404 as a number out of range.
    if not raw.isdigit() or len(raw) > 6:
        abort(404)
    return int(raw)


@bp.get("/entries/<slug>/revisions")
@signed_in_page
def revisions_page(slug: str) -> ResponseReturnValue:
    """An entry's revisions, newest first, a page at a time."""
    principal = viewer()
    entry = entries.get_for_edit(slug=slug, viewer=principal)
    number = _int_arg("page", 1)
    found = revisions.page(
        entry_id=entry.id, viewer=principal, page=max(number, 1), per_page=PER_PAGE
    )
    if number < 1 or (number > 1 and not found.items):
        raise APIError("RES_NOT_FOUND", "No such page")
    last = max(1, -(-found.total // PER_PAGE))
    return render_page(
        "knowledge/revisions.html",
        entry=entry,
        found=found,
        last_page=last,
        authors=revisions.usernames(user_ids=[r.user_id for r in found.items]),
        describe=diffs.describe,
    )


@bp.get("/entries/<slug>/revisions/<int:n>")
@signed_in_page
def revision_page(slug: str, n: int) -> ResponseReturnValue:
    """Revision `n` and what changed against another (`?against=m`, default the one before)."""
    principal = viewer()
    entry = entries.get_for_edit(slug=slug, viewer=principal)
    revision = revisions.get(entry_id=entry.id, number=n, viewer=principal)
    against_number = _int_arg("against", n - 1)
    against = None
    if against_number != 0 or "against" in request.args:
        against = revisions.get(entry_id=entry.id, number=against_number, viewer=principal)
    latest = revisions.latest(entry_id=entry.id)
    changes = diffs.diff_snapshots(old=against.snapshot if against else {}, new=revision.snapshot)
    return render_page(
        "knowledge/revision.html",
        entry=entry,
        revision=revision,
        against=against,
        latest_number=latest.number if latest else n,
        changes=changes,
        side_by_side=current_presentation().density >= WIDE_DENSITY,
        authors=revisions.usernames(
            user_ids=[revision.user_id, against.user_id if against else None]
        ),
        describe=diffs.describe,
    )


@bp.post("/entries/<slug>/revisions/<int:n>/restore")
@signed_in_page
def restore_revision(slug: str, n: int) -> ResponseReturnValue:
    """Bring back revision `n`'s content as a new revision (the version shown must be current)."""
    principal = viewer()
    entry = entries.get_for_edit(slug=slug, viewer=principal)
    revisions.get(entry_id=entry.id, number=n, viewer=principal)
    raw = request.form.get("version", "").strip()
    back = url_for("hub.revision_page", slug=entry.slug, n=n)
    if not (raw.isdigit() and len(raw) < 10):
        flash("The page was out of date, so nothing was restored. Check it and try again.", "error")
        return redirect(back, 303)
    try:
        entries.restore_revision(
            entry_id=entry.id, number=n, viewer=principal, expected_version=int(raw)
        )
    except APIError as exc:
        db.session.rollback()
        if exc.code != "RES_CONFLICT":
            raise
        flash(
            "Someone else changed this entry after you opened the page, so nothing was "
            "restored. Look at the newest revision, then choose again.",
            "error",
        )
        return redirect(back, 303)
    flash(f"Revision {n} restored as the newest revision.", "success")
    return redirect(entry_url(entry.slug), 303)

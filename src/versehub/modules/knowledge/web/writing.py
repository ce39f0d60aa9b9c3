"""The writing pages: write a new entry, edit one, preview either as you type.

Thin like the API routes: the form's values go through the same schemas and services as the
REST API (tags, language tags, the workflow, versions), and their errors are shown next to the
fields. The preview is rendered by knowledge.service.preview, which calls the very functions
saving calls, so what you see is what will be stored.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from versehub.core.auth import (
    Principal,
    check_verified_email,
    current_principal,
    verified_email_required,
)
from versehub.core.errors import APIError
from versehub.core.pages import is_htmx, render_page, signed_in_page
from versehub.core.validation import validation_errors
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import EntryCreate, EntryUpdate
from versehub.modules.knowledge.service import categories, entries, preview, revisions
from versehub.modules.knowledge.service import tags as tag_service
from versehub.modules.knowledge.web import once
from versehub.modules.knowledge.web.blueprint import bp
from versehub.modules.knowledge.web.common import (
    FORM_FIELDS,
    attach_errors,
    entry_url,
    has_errors,
    viewer,
)
from versehub.modules.knowledge.web.conflict import conflict_page
from versehub.modules.knowledge.web.forms import EntryForm
from versehub.modules.knowledge.web.workflow import actions_for

EDITOR = "knowledge/editor.html"
PREVIEW = "knowledge/_preview.html"


def _new_form(entry: Entry | None = None) -> EntryForm:
    data: dict[str, Any] | None = None
    if entry is not None and request.method == "GET":
        data = {
            "title": entry.title,
            "summary": entry.summary,
            "content": entry.content,
            "plain_language": entry.plain_language or "",
            "category": entry.category.slug if entry.category else "",
            "tags": ", ".join(entry.tag_names),
            "visibility": "public" if entry.is_public else "private",
            "language": entry.language,
            "version": str(entry.version),
        }
    form = EntryForm(data=data)
    form.set_categories([(c.slug, c.name) for c in categories.list_()])
    return form


def editor_page(
    form: EntryForm,
    *,
    principal: Principal,
    entry: Entry | None,
    status: int = 200,
) -> ResponseReturnValue:
    """The write/edit page for `form`, with the preview of what it holds now."""
    shown = preview.preview(content=form.content.data, plain_language=form.plain_language.data)
    unverified = not principal.email_verified and verified_email_required()
    return render_page(
        EDITOR,
        status=status,
        form=form,
        entry=entry,
        preview=shown,
        preview_lang=preview.lang_attribute(form.language.data),
        unverified=unverified,
        actions=actions_for(entry=entry, viewer=principal) if entry is not None else [],
        form_has_errors=has_errors(form),
    )


def _previewed(
    form: EntryForm, *, principal: Principal, entry: Entry | None
) -> ResponseReturnValue:
    """The page again with the preview of the form's text (the Preview button, no JavaScript)."""
    # Nothing is saved, so nothing is validated: the preview shows what was typed.
    flash("Preview updated: it is shown under “Preview”. Nothing is saved yet.", "info")
    return editor_page(form, principal=principal, entry=entry)


def _checked(form: EntryForm, principal: Principal) -> dict[str, Any] | None:
    """The form's values when the form, the schema and the tag rules accept them."""
    form.validate()
    values = form.values()
    try:
        EntryCreate.model_validate(values)
    except ValidationError as exc:
        attach_errors(form, [e for e in validation_errors(exc) if not _field_has(form, e)])
    for name in values["tags"]:
        try:
            tag_service.normalise(name)
        except APIError as exc:
            attach_errors(form, exc.errors)
    if not has_errors(form):
        try:
            check_verified_email(principal)
        except APIError as exc:
            form.form_errors.append(exc.message or "Verify your email address first")
    return None if has_errors(form) else values


def _field_has(form: EntryForm, error: dict[str, str]) -> bool:
    name = error["field"].split(".")[0]
    field = getattr(form, FORM_FIELDS.get(name, name), None)
    return bool(field is not None and getattr(field, "errors", None))


@bp.route("/write", methods=["GET", "POST"])
@signed_in_page
def write_page() -> ResponseReturnValue:
    """Write a new entry (saved as a draft of the signed-in reader)."""
    principal = viewer()
    form = _new_form()
    if request.method == "GET":
        form.form_key.data = once.new_key()
        return editor_page(form, principal=principal, entry=None)
    if request.form.get("action") == "preview":
        return _previewed(form, principal=principal, entry=None)
    held = once.claim(key=form.form_key.data, viewer=principal)
    if held.outcome == "done":
        flash("This form was already sent: here is the entry it created.", "info")
        return redirect(held.location or url_for("hub.write_page"), 303)
    if held.outcome in ("in_flight", "mismatch"):
        form.form_key.data = once.new_key()
        form.form_errors.append(
            "This form is still being saved: wait a moment and check your entries."
            if held.outcome == "in_flight"
            else "This form was already sent and created an entry. To create another entry "
            "with this text, select Save draft again."
        )
        return editor_page(form, principal=principal, entry=None, status=409)
    try:
        created = _create(form, principal)
    except BaseException:
        once.release(held)
        raise
    if created is None:
        once.release(held)
        return editor_page(form, principal=principal, entry=None, status=422)
    location = entry_url(created.slug)
    once.complete(held, location=location)
    flash(f"Draft “{created.title}” saved. Submit it for review when it is ready.", "success")
    return redirect(location, 303)


def _create(form: EntryForm, principal: Principal) -> Entry | None:
    values = _checked(form, principal)
    if values is None:
        return None
    try:
        return entries.create(data=EntryCreate.model_validate(values), viewer=principal)
    except APIError as exc:
        db.session.rollback()
        if not exc.errors:
            raise
        attach_errors(form, exc.errors)
        return None


@bp.route("/entries/<slug>/edit", methods=["GET", "POST"])
@signed_in_page
def edit_page(slug: str) -> ResponseReturnValue:
    """Edit an entry (its author or an editor; anyone else: 404)."""
    principal = viewer()
    entry = entries.get_for_edit(slug=slug, viewer=principal)
    form = _new_form(entry)
    if request.method == "GET":
        return editor_page(form, principal=principal, entry=entry)
    if request.form.get("action") == "preview":
        return _previewed(form, principal=principal, entry=entry)
    values = _checked(form, principal)
    version = _version(form)
    if values is None or version is None:
        return editor_page(form, principal=principal, entry=entry, status=422)
    try:
        data = EntryUpdate.model_validate({**values, "version": version})
        entries.update(entry_id=entry.id, data=data, viewer=principal)
    except APIError as exc:
        db.session.rollback()
        if exc.code == "RES_CONFLICT":
            return conflict_page(form, entry=entry, principal=principal)
        if not exc.errors:
            raise
        attach_errors(form, exc.errors)
        return editor_page(form, principal=principal, entry=entry, status=422)
    flash(f"Saved “{entry.title}” (revision {_newest(entry)}).", "success")
    return redirect(entry_url(entry.slug), 303)


def _version(form: EntryForm) -> int | None:
    raw = (form.version.data or "").strip()
    if raw.isdigit() and len(raw) < 10:
        return int(raw)
    form.form_errors.append("This form is missing its version: open the edit page again.")
    return None


def _newest(entry: Entry) -> int:
    latest = revisions.latest(entry_id=entry.id)
    return latest.number if latest is not None else 1


@bp.post("/entries/preview")
def preview_entry() -> ResponseReturnValue:
    """The preview of the form's texts (HTMX fragment; a whole page without JavaScript)."""
    if current_principal() is None:
        # Signed out meanwhile (another tab): say so where the preview was; the text stays.
        if not is_htmx():
            return redirect(url_for("hub.write_page"))
        return render_page("knowledge/preview.html", fragment=PREVIEW, signed_out=True)
    shown = preview.preview(
        content=request.form.get("content"), plain_language=request.form.get("plain_language")
    )
    return render_page(
        "knowledge/preview.html",
        fragment=PREVIEW,
        preview=shown,
        preview_lang=preview.lang_attribute(request.form.get("language")),
        live_update=True,
    )

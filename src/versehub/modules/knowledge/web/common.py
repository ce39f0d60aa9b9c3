"""Helpers shared by the hub's writing pages: the viewer, entry links, errors on fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app, url_for

from versehub.core.auth import Principal, current_principal
from versehub.core.errors import APIError

# Schema field → form field, where their names differ.
FORM_FIELDS: Mapping[str, str] = {"is_public": "visibility"}
# Plain-language messages for schema errors (field, error type); field alone: any type.
FRIENDLY: Mapping[tuple[str, str | None], str] = {
    ("title", "string_too_short"): "Enter a title",
    ("content", "string_too_short"): "Enter the text of the entry",
    ("tags", "too_long"): "Use at most 20 tags",
}


def viewer() -> Principal:
    """The signed-in viewer (pages using this are behind core.pages.signed_in_page)."""
    principal = current_principal()
    if principal is None:
        raise APIError("AUTH_REQUIRED")
    return principal


def entry_url(slug: str) -> str:
    """Where an entry is read: its page (hub.entry_page), else its edit page."""
    # The reading pages are another part of the hub; until they are registered the edit page
    # is the one place an entry can be seen in the browser.
    if "hub.entry_page" in current_app.view_functions:
        return url_for("hub.entry_page", slug=slug)
    return url_for("hub.edit_page", slug=slug)


def attach_errors(form: Any, errors: Iterable[Mapping[str, Any]]) -> None:
    """Put service/schema field errors on the form's fields (unknown fields: form level)."""
    for error in errors:
        name = str(error.get("field", "")).split(".")[0]
        kind = str(error.get("type", ""))
        message = (
            FRIENDLY.get((name, kind))
            or FRIENDLY.get((name, None))
            or str(error.get("message", "Check this value"))
        )
        message = message.removeprefix("Value error, ")
        field = getattr(form, FORM_FIELDS.get(name, name), None) if name else None
        if field is not None and hasattr(field, "errors"):
            if message not in field.errors:
                field.errors = [*field.errors, message]
        elif message not in form.form_errors:
            form.form_errors.append(message)


def has_errors(form: Any) -> bool:
    """Whether the form or any of its fields holds an error."""
    return bool(form.form_errors) or any(field.errors for field in form)

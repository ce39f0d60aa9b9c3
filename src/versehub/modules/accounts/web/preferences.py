"""The display preferences page, for signed-in and anonymous readers alike.

A signed-in reader's choices are stored on the account (every device follows them); an
anonymous visitor's go into the signed display cookie of core.presentation, so that anyone can
make pages larger, calmer or higher in contrast before, or without, creating an account.
"""

from __future__ import annotations

from flask import Response, flash, make_response, redirect, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from versehub.core.pages import render_page
from versehub.core.presentation import (
    Presentation,
    clear_presentation_cookie,
    current_presentation,
    set_presentation_cookie,
)
from versehub.core.validation import validation_errors
from versehub.modules.accounts.models import User
from versehub.modules.accounts.schemas import PreferencesUpdate
from versehub.modules.accounts.service import users
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.forms import ActionForm, PreferencesForm
from versehub.modules.accounts.web.session import signed_in_user
from versehub.modules.accounts.web.views import attach_errors

DEFAULTS = PreferencesUpdate(
    visual_density=3,
    reading_level=3,
    high_contrast=False,
    reduced_motion=False,
    preferred_sign_language=None,
)


def _form_for(presentation: Presentation) -> PreferencesForm:
    return PreferencesForm(
        data={
            "visual_density": str(presentation.density),
            "reading_level": str(presentation.reading_level),
            "high_contrast": presentation.contrast == "high",
            "reduced_motion": presentation.motion == "reduce",
            "preferred_sign_language": presentation.sign_language or "",
        }
    )


def _page(form: PreferencesForm, *, status: int = 200) -> Response:
    return render_page(
        "accounts/preferences.html",
        form=form,
        reset=ActionForm(),
        signed_in=signed_in_user() is not None,
        status=status,
    )


def _changes(form: PreferencesForm) -> PreferencesUpdate:
    """The form's values through the API's schema (the same rules for both ways in)."""
    return PreferencesUpdate.model_validate(
        {
            "visual_density": int(form.visual_density.data),
            "reading_level": int(form.reading_level.data),
            "high_contrast": bool(form.high_contrast.data),
            "reduced_motion": bool(form.reduced_motion.data),
            "preferred_sign_language": form.preferred_sign_language.data or None,
        }
    )


def _as_presentation(changes: PreferencesUpdate) -> Presentation:
    return Presentation(
        density=changes.visual_density or 3,
        contrast="high" if changes.high_contrast else "normal",
        # Unticked leaves motion to the device's own setting (prefers-reduced-motion).
        motion="reduce" if changes.reduced_motion else "auto",
        reading_level=changes.reading_level or 3,
        sign_language=changes.preferred_sign_language,
    )


@bp.get("/preferences")
def preferences_page() -> ResponseReturnValue:
    """Density, reading level, contrast, motion and sign language, with a live preview."""
    return _page(_form_for(current_presentation()))


@bp.post("/preferences")
def preferences() -> ResponseReturnValue:
    """Save on the account (signed in) or in the display cookie (anonymous)."""
    form = PreferencesForm()
    if form.validate():
        try:
            changes = _changes(form)
        except ValidationError as exc:
            attach_errors(form, validation_errors(exc))
        else:
            return _saved(changes)
    return _page(form, status=422)


def _saved(changes: PreferencesUpdate) -> Response:
    user: User | None = signed_in_user()
    response = make_response(redirect(url_for("account.preferences_page")))
    if user is not None:
        users.update_preferences(user=user, changes=changes)
        flash("Preferences saved. Pages now follow them on every device you sign in on.", "success")
    else:
        set_presentation_cookie(response, _as_presentation(changes))
        flash("Display settings saved in this browser. Pages now follow them.", "success")
    return response


@bp.post("/preferences/reset")
def reset_preferences() -> ResponseReturnValue:
    """Back to the defaults: on the account, or by forgetting the display cookie."""
    form = ActionForm()
    if not form.validate():
        return _page(_form_for(current_presentation()), status=422)
    user = signed_in_user()
    response = make_response(redirect(url_for("account.preferences_page")))
    if user is not None:
        users.update_preferences(user=user, changes=DEFAULTS)
    else:
        clear_presentation_cookie(response)
    flash("Back to the default settings.", "success")
    return response

"""API key pages: create (the key is shown once), list page by page, revoke after a confirm.

The same service and schema as `/api/v1/auth/api-keys`: a person creates keys for their own
account, only admins may grant the admin scope, and other people's keys answer 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from versehub.core.api.pages import PAGE_MAX
from versehub.core.auth import verified_email_required
from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.core.pages import render_page
from versehub.core.validation import validation_errors
from versehub.extensions import db
from versehub.modules.accounts.api.blueprint import request_meta
from versehub.modules.accounts.models import User
from versehub.modules.accounts.schemas import ApiKeyCreate
from versehub.modules.accounts.service import api_keys
from versehub.modules.accounts.service.api_keys import ADMIN_SCOPE
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.forms import ActionForm
from versehub.modules.accounts.web.security_forms import ApiKeyForm
from versehub.modules.accounts.web.session import page_login_required, signed_in_user
from versehub.modules.accounts.web.twofactor import NO_STORE
from versehub.modules.accounts.web.views import attach_errors

PER_PAGE = 20
# Keys stop at the start of the day after their "last day": pages show that last day.
ONE_DAY = timedelta(days=1)


def _user() -> User:
    user = signed_in_user()
    assert user is not None  # page_login_required
    return user


def _key_form(user: User, formdata: object = None) -> ApiKeyForm:
    form = ApiKeyForm() if formdata is None else ApiKeyForm(formdata=formdata)
    if "admin" not in user.roles:
        form.scopes.choices = [c for c in form.scopes.choices if c.value != ADMIN_SCOPE]
    return form


def _list_page(user: User, form: ApiKeyForm, *, status: int = 200) -> ResponseReturnValue:
    number = request.args.get("page", 1, type=int) or 1  # garbage: the first page
    number = min(max(number, 1), PAGE_MAX)
    page = api_keys.page(user_id=user.id, page=number, per_page=PER_PAGE)
    return render_page(
        "accounts/api_keys.html",
        page=page,
        form=form,
        can_create=user.email_verified or not verified_email_required(),
        now=utcnow(),
        one_day=ONE_DAY,
        status=status,
    )


@bp.get("/api-keys")
@page_login_required
def api_keys_page() -> ResponseReturnValue:
    """The reader's keys, newest first, and the form for a new one."""
    user = _user()
    return _list_page(user, _key_form(user))


def _has_errors(form: ApiKeyForm, error: Mapping[str, Any]) -> bool:
    field = getattr(form, str(error.get("field", "")).split(".")[0], None)
    return bool(getattr(field, "errors", None))


def _expires_at(form: ApiKeyForm) -> datetime | None:
    day = form.expires_on.data
    if day is None:
        return None
    if day < utcnow().date():
        form.expires_on.errors = ["Choose today or a later day"]
        return None
    # "Last day the key works": it stops at the end of that day, UTC.
    return datetime.combine(day + ONE_DAY, time(), tzinfo=UTC)


@bp.post("/api-keys")
@page_login_required
def create_api_key() -> ResponseReturnValue:
    """Create a key; the page that answers is the only time it is shown."""
    user = _user()
    form = _key_form(user, formdata=request.form)
    if not (user.email_verified or not verified_email_required()):
        raise APIError("AUTH_EMAIL_UNVERIFIED", "Confirm your email address to create API keys")
    valid = form.validate()
    expires_at = _expires_at(form)
    try:
        body = ApiKeyCreate.model_validate(
            {
                "name": form.name.data or "",
                "scopes": form.scopes.data or [],
                "expires_at": expires_at,
            }
        )
    except ValidationError as exc:
        # One message per field: the form's own ("Give the key a name") wins.
        attach_errors(form, [e for e in validation_errors(exc) if not _has_errors(form, e)])
        body = None
    if not valid or body is None or form.expires_on.errors:
        return _list_page(user, form, status=422)
    try:
        row, key = api_keys.create(
            owner=user,
            actor_id=user.id,
            actor_is_admin="admin" in user.roles,
            name=body.name,
            scopes=body.scopes,
            expires_at=body.expires_at,
            meta=request_meta(),
        )
    except APIError as exc:
        db.session.rollback()
        if exc.code == "AUTH_INSUFFICIENT_PERMISSIONS":
            form.scopes.errors = ["Only admins may create keys with the admin scope"]
        elif exc.errors:
            attach_errors(form, exc.errors)
        else:
            raise
        return _list_page(user, form, status=422)
    flash(f"API key \u201c{row.name}\u201d created. Copy it now: it is shown only once.", "success")
    return render_page(
        "accounts/api_key_created.html", row=row, key=key, one_day=ONE_DAY, headers=NO_STORE
    )


@bp.get("/api-keys/<int:key_id>/revoke")
@page_login_required
def revoke_api_key_page(key_id: int) -> ResponseReturnValue:
    """Ask before revoking (another person's key, or no such key: 404)."""
    user = _user()
    row = api_keys.get_visible(key_id=key_id, viewer_id=user.id, viewer_is_admin=False)
    return render_page("accounts/api_key_revoke.html", row=row, form=ActionForm())


@bp.post("/api-keys/<int:key_id>/revoke")
@page_login_required
def revoke_api_key(key_id: int) -> ResponseReturnValue:
    """Revoke the key at once; it stays listed as revoked."""
    user = _user()
    row = api_keys.revoke(
        key_id=key_id, actor_id=user.id, actor_is_admin=False, meta=request_meta()
    )
    flash(f"API key \u201c{row.name}\u201d is revoked: it no longer works.", "success")
    return redirect(url_for("account.api_keys_page"), 303)

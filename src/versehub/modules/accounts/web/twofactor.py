"""Two-factor sign-in pages: set up (QR code and key), confirm, recovery codes, turn off.

The same service as the API (`/api/v1/auth/2fa/*`): a wrong password or code counts towards
the same lockout, and the same security events are published.
"""

from __future__ import annotations

from flask import Response, flash, redirect, url_for
from flask.typing import ResponseReturnValue

from versehub.core.errors import APIError
from versehub.core.limits import auth_limit
from versehub.core.pages import render_page
from versehub.extensions import db
from versehub.modules.accounts.api.blueprint import request_meta
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import otp_codes, twofactor
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.forms import ActionForm, canonical_code
from versehub.modules.accounts.web.security_forms import (
    ConfirmTwoFactorForm,
    DisableTwoFactorForm,
    RecoveryCodesForm,
)
from versehub.modules.accounts.web.session import page_login_required, signed_in_user
from versehub.modules.accounts.web.views import attach_errors, locked_message

# Secrets and recovery codes must not stay in browser or proxy caches.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CODES_FILE = "versehub-recovery-codes.txt"


def _user() -> User:
    user = signed_in_user()
    assert user is not None  # page_login_required
    return user


def _status_page(
    user: User, *, disable: DisableTwoFactorForm | None = None, status: int = 200
) -> Response:
    return render_page(
        "accounts/two_factor.html",
        state=twofactor.status(user=user),
        start=ActionForm(),
        disable=disable or DisableTwoFactorForm(),
        status=status,
    )


def _refusal(form: ConfirmTwoFactorForm | DisableTwoFactorForm, exc: APIError) -> None:
    """Put a refused password or code on the form; anything else is not ours to show."""
    db.session.rollback()
    if exc.code == "AUTH_ACCOUNT_LOCKED":
        form.form_errors.append(locked_message(exc))
    elif exc.code == "VAL_INVALID" and exc.errors:
        attach_errors(form, exc.errors)
    else:
        raise exc


@bp.get("/two-factor")
@page_login_required
def two_factor_page() -> ResponseReturnValue:
    """Whether two-factor sign-in is on; start it, or turn it off."""
    return _status_page(_user())


@bp.post("/two-factor/setup")
@page_login_required
def begin_two_factor() -> ResponseReturnValue:
    """A new secret (pending until confirmed), then the page that shows it."""
    try:
        twofactor.begin_setup(user=_user())
    except APIError as exc:
        if exc.code != "RES_CONFLICT":
            raise
        flash("Two-factor sign-in is already on.", "info")
        return redirect(url_for("account.two_factor_page"), 303)
    return redirect(url_for("account.two_factor_setup_page"), 303)


@bp.get("/two-factor/setup")
@page_login_required
def two_factor_setup_page() -> ResponseReturnValue:
    """The pending set-up: QR code, the key as text, and the confirm form."""
    return _setup_page(ConfirmTwoFactorForm())


def _setup_page(form: ConfirmTwoFactorForm, *, status: int = 200) -> ResponseReturnValue:
    setup = twofactor.pending_setup(user=_user())
    if setup is None:
        return redirect(url_for("account.two_factor_page"), 303)
    return render_page(
        "accounts/two_factor_setup.html", setup=setup, form=form, status=status, headers=NO_STORE
    )


@bp.post("/two-factor/confirm")
@auth_limit("two_factor")
@page_login_required
def confirm_two_factor() -> ResponseReturnValue:
    """Turn two-factor sign-in on with a code and the password; show the recovery codes once."""
    form = ConfirmTwoFactorForm()
    if not form.validate():
        return _setup_page(form, status=422)
    user = _user()
    try:
        codes = twofactor.confirm(
            user=user,
            otp=canonical_code(form.otp.data) or "",
            password=form.password.data,
            meta=request_meta(),
        )
    except APIError as exc:
        if exc.code == "RES_CONFLICT":
            return redirect(url_for("account.two_factor_page"), 303)
        _refusal(form, exc)
        return _setup_page(form, status=exc.status)
    flash("Two-factor sign-in is on. Keep your recovery codes somewhere safe.", "success")
    # formdata=None: filled from the new codes, not from this request's (confirm) form.
    download = RecoveryCodesForm(formdata=None, data={"codes": codes})
    return render_page(
        "accounts/recovery_codes.html", codes=codes, download=download, headers=NO_STORE
    )


@bp.post("/two-factor/recovery-codes.txt")
@page_login_required
def download_recovery_codes() -> ResponseReturnValue:
    """The codes the page showed, as a text file (they are sent back: never kept in clear)."""
    form = RecoveryCodesForm()
    codes = [otp_codes.normalise(code) for code in form.codes.data or []] if form.validate() else []
    if not codes or any(found is None or found[0] != "recovery_code" for found in codes):
        raise APIError("VAL_INVALID", "These are not recovery codes")
    lines = [
        "VerseHub recovery codes",
        f"Account: {_user().email}",
        "Each code signs you in once when you cannot use your authenticator app.",
        "",
        *(str(code) for code in form.codes.data),
        "",
    ]
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{CODES_FILE}"'}
    return Response("\r\n".join(lines), mimetype="text/plain", headers=headers)


@bp.post("/two-factor/disable")
@auth_limit("two_factor")
@page_login_required
def disable_two_factor() -> ResponseReturnValue:
    """Turn two-factor sign-in off with the password and a code (or a recovery code)."""
    form = DisableTwoFactorForm()
    user = _user()
    if not form.validate():
        return _status_page(user, disable=form, status=422)
    try:
        twofactor.disable(
            user=user,
            password=form.password.data,
            code=canonical_code(form.code.data) or "",
            field="code",
            meta=request_meta(),
        )
    except APIError as exc:
        if exc.code == "RES_CONFLICT":
            return redirect(url_for("account.two_factor_page"), 303)
        _refusal(form, exc)
        return _status_page(user, disable=form, status=exc.status)
    flash("Two-factor sign-in is off. Your password alone now signs you in.", "success")
    return redirect(url_for("account.two_factor_page"), 303)

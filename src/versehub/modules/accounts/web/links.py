"""The pages that mailed links open: confirm an email address, choose a new password.

Opening a link only shows a page; the single-use token is spent by the button's POST. Mail
scanners and link previews fetch links on their own, and a GET that spent the token would leave
the person with a dead link.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from versehub.core.errors import APIError
from versehub.core.limits import auth_limit
from versehub.extensions import db
from versehub.modules.accounts.api.blueprint import request_meta
from versehub.modules.accounts.service import password_reset, verification
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.forms import LinkForm, ResetPasswordForm
from versehub.modules.accounts.web.session import end_session, signed_in_user
from versehub.modules.accounts.web.views import attach_errors

LINK_PROBLEMS = {
    "expired": "This link has expired. Ask for a new one: links work for a limited time.",
    "used": "This link has already been used, or a newer link replaced it.",
    "invalid": "This link is not valid. Check that you copied the whole link from the email.",
}
LINK_CODES = frozenset({"AUTH_TOKEN_INVALID", "AUTH_TOKEN_EXPIRED"})


def _link_problem(exc: APIError) -> str:
    return LINK_PROBLEMS.get(str(exc.details.get("reason")), LINK_PROBLEMS["invalid"])


@bp.get("/verify")
def verify_page() -> ResponseReturnValue:
    """The page an email verification link opens: one button confirms."""
    form = LinkForm(data={"token": request.args.get("token", "")})
    return render_template("accounts/verify.html", form=form)


@bp.post("/verify")
@auth_limit("email_verification")
def verify() -> ResponseReturnValue:
    """Spend the verification token through the same service as the API."""
    form = LinkForm()
    if form.validate():
        try:
            verification.verify_email(token=form.token.data, meta=request_meta())
        except APIError as exc:
            db.session.rollback()
            if exc.code not in LINK_CODES:
                raise
            form.form_errors.append(_link_problem(exc))
        else:
            flash("Your email address is confirmed. Thank you.", "success")
            signed_in = signed_in_user() is not None
            return redirect(url_for("account.overview" if signed_in else "account.login_page"))
    return render_template("accounts/verify.html", form=form), 400


@bp.get("/reset")
def reset_page() -> ResponseReturnValue:
    """The page a password reset link opens: choose a new password."""
    form = ResetPasswordForm(data={"token": request.args.get("token", "")})
    return render_template("accounts/reset.html", form=form)


@bp.post("/reset")
@auth_limit("password_reset")
def reset() -> ResponseReturnValue:
    """Set the new password (policy applies); every session and token of the account ends."""
    form = ResetPasswordForm()
    if form.validate():
        try:
            password_reset.reset_password(
                token=form.token.data, new_password=form.password.data, meta=request_meta()
            )
        except APIError as exc:
            db.session.rollback()
            if exc.code in LINK_CODES:
                form.form_errors.append(_link_problem(exc))
            elif exc.errors:
                attach_errors(form, exc.errors)
            else:
                raise
        else:
            end_session(meta=request_meta())
            flash(
                "Your password is changed and you are signed out everywhere. "
                "Sign in with the new password.",
                "success",
            )
            return redirect(url_for("account.login_page"))
    return render_template("accounts/reset.html", form=form), 422

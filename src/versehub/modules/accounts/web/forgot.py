"""Forgot password: the request form. The mailed link opens the reset page (links.py).

The answer is the same whether or not an account uses the address, and so is the work the
request does (the job decides, see service.password_reset): the page reveals no accounts.
"""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from versehub.core.limits import auth_limit
from versehub.core.pages import render_page
from versehub.core.validation import validation_errors
from versehub.modules.accounts.api.blueprint import request_meta
from versehub.modules.accounts.schemas import PasswordResetRequest
from versehub.modules.accounts.service import password_reset
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.security_forms import ForgotPasswordForm
from versehub.modules.accounts.web.views import attach_errors


def _valid_minutes() -> int:
    return max(1, int(current_app.extensions["versehub.settings"].password_reset_max_age) // 60)


@bp.get("/forgot-password")
def forgot_password_page() -> ResponseReturnValue:
    """The form asking for the account's email address."""
    return render_page("accounts/forgot_password.html", form=ForgotPasswordForm())


@bp.post("/forgot-password")
@auth_limit("password_reset", name_field="email")
def forgot_password() -> ResponseReturnValue:
    """Queue the reset mail (same as the API) and give the same answer for every address."""
    form = ForgotPasswordForm()
    if form.validate():
        try:
            body = PasswordResetRequest.model_validate({"email": form.email.data})
        except ValidationError as exc:
            attach_errors(form, validation_errors(exc))
        else:
            password_reset.request_reset(email=str(body.email), meta=request_meta())
            return render_page(
                "accounts/forgot_password_sent.html",
                email=str(body.email),
                valid_minutes=_valid_minutes(),
            )
    return render_page("accounts/forgot_password.html", form=form, status=422)

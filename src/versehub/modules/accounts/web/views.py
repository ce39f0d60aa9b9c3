"""The account pages: sign in, register, sign out (here or everywhere), overview.

Thin like the API routes: read the form, call the same services (lockout, rate limits, the
2FA checks and events apply unchanged), and show service errors next to the fields they name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from versehub.core.errors import APIError
from versehub.core.limits import auth_limit
from versehub.core.validation import validation_errors
from versehub.extensions import db
from versehub.modules.accounts.api.auth import LOGIN_CHECKS
from versehub.modules.accounts.api.blueprint import request_meta
from versehub.modules.accounts.schemas import UserCreate
from versehub.modules.accounts.service import sessions, users
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.forms import (
    ActionForm,
    LoginForm,
    RegisterForm,
    canonical_code,
)
from versehub.modules.accounts.web.session import (
    end_session,
    page_login_required,
    safe_next,
    signed_in_user,
    start_session,
)

# Plain-language messages for schema errors (field, error type); field alone: any type.
FRIENDLY: Mapping[tuple[str, str | None], str] = {
    ("email", None): "Enter an email address in the form name@example.com",
    ("preferred_sign_language", None): "Choose a sign language from the list, or None",
    ("scopes", None): "Choose at least one of the listed permissions",
    ("username", "string_too_short"): "Username must be 3 to 32 characters",
    ("username", "string_too_long"): "Username must be 3 to 32 characters",
    ("password", "string_too_short"): "Password must be at least 12 characters",
    ("password", "string_too_long"): "Password must be at most 256 characters",
}


def attach_errors(form: Any, errors: Iterable[Mapping[str, Any]]) -> None:
    """Put service/schema field errors on the form's fields (unknown fields: form level)."""
    for error in errors:
        # "scopes.1" (one item of a list) belongs to the list's field.
        parts = [p for p in str(error.get("field", "")).split(".") if not p.isdigit()]
        name = parts[-1] if parts else ""
        kind = str(error.get("type", ""))
        message = (
            FRIENDLY.get((name, kind))
            or FRIENDLY.get((name, None))
            or str(error.get("message", "Check this value"))
        )
        message = message.removeprefix("Value error, ")
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def locked_message(exc: APIError) -> str:
    """What a reader is told when wrong passwords or codes locked the account (for how long)."""
    minutes = max(1, round(int(exc.details.get("retry_after", 60)) / 60))
    return (
        "Too many wrong attempts: this account is locked for about "
        f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later."
    )


def _has_errors(form: Any, name: str) -> bool:
    field = getattr(form, name, None)
    return bool(field is not None and getattr(field, "errors", None))


def _login_page(
    form: LoginForm, *, show_otp: bool, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    next_url = safe_next(request.args.get("next"))
    html = render_template("accounts/login.html", form=form, show_otp=show_otp, next_url=next_url)
    return make_response(html, status, dict(headers or {}))


@bp.get("/login")
def login_page() -> ResponseReturnValue:
    """The sign-in form."""
    if signed_in_user() is not None:
        return redirect(url_for("account.overview"))
    return _login_page(LoginForm(), show_otp=False)


@bp.post("/login")
@auth_limit("login", name_field="login")
def login() -> ResponseReturnValue:
    """Check the credentials through the login service and start a fresh web session."""
    form = LoginForm()
    show_otp = bool(form.otp.data)
    if not form.validate():
        return _login_page(form, show_otp=show_otp, status=422)
    try:
        user = sessions.authenticate(
            login=form.login.data,
            password=form.password.data,
            otp=canonical_code(form.otp.data),
            meta=request_meta(),
            checks=current_app.extensions.get(LOGIN_CHECKS, ()),
        )
    except APIError as exc:
        db.session.rollback()
        if exc.code == "AUTH_2FA_REQUIRED":
            form.otp.errors = [
                "This account uses two-factor sign-in: enter your password again and the "
                "6-digit code from your authenticator app (or a recovery code)"
            ]
            return _login_page(form, show_otp=True, status=exc.status)
        if exc.code == "AUTH_ACCOUNT_LOCKED":
            form.form_errors.append(locked_message(exc))
            return _login_page(form, show_otp=show_otp, status=exc.status, headers=exc.headers)
        if exc.code == "AUTH_INVALID_CREDENTIALS":
            form.login.errors = ["The email or username and password do not match an account"]
            return _login_page(form, show_otp=show_otp, status=exc.status)
        raise
    start_session(user)
    flash(f"Signed in as {user.username}.", "success")
    return redirect(safe_next(request.args.get("next")) or url_for("account.overview"))


@bp.get("/register")
def register_page() -> ResponseReturnValue:
    """The registration form."""
    return render_template("accounts/register.html", form=RegisterForm())


@bp.post("/register")
@auth_limit("register")
def register() -> ResponseReturnValue:
    """Create an account through the same schema and service as the API."""
    form = RegisterForm()
    form_ok = form.validate()
    try:
        body = UserCreate.model_validate(
            {
                "email": form.email.data or "",
                "username": form.username.data or "",
                "password": form.password.data or "",
            }
        )
    except ValidationError as exc:
        # All problems at once (one round trip), but one message per field: the form's own
        # ("Enter your email address") wins over the schema's for the same field.
        attach_errors(
            form, [e for e in validation_errors(exc) if not _has_errors(form, e["field"])]
        )
        body = None
    if form_ok and body is not None:
        try:
            users.create(
                email=body.email,
                username=body.username,
                password=body.password,
                meta=request_meta(),
            )
        except APIError as exc:
            db.session.rollback()
            if not exc.errors:
                raise
            attach_errors(form, exc.errors)
        else:
            flash("Your account is ready. Sign in with your email or username.", "success")
            return redirect(url_for("account.login_page"))
    return render_template("accounts/register.html", form=form), 422


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out of this browser."""
    end_session(meta=request_meta())
    flash("You are signed out.", "success")
    return redirect(url_for("account.login_page"))


@bp.post("/logout-everywhere")
@page_login_required
def logout_everywhere() -> ResponseReturnValue:
    """End every session and token of the reader, on every device (this one too)."""
    user = signed_in_user()
    assert user is not None  # login_required
    sessions.logout_all(user=user, meta=request_meta())
    end_session(meta=request_meta())
    flash("You are signed out on every device.", "success")
    return redirect(url_for("account.login_page"))


@bp.get("/")
@page_login_required
def overview() -> ResponseReturnValue:
    """The reader's account at a glance."""
    return render_template("accounts/overview.html", user=signed_in_user(), action=ActionForm())

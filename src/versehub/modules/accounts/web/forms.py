"""WTForms forms of the account pages (CSRF token included by FlaskForm).

Forms only carry and label the fields; the rules (password policy, unique names, lockout) stay
in the services, whose errors the views attach to these fields.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from versehub.modules.accounts.service import otp_codes

LEVELS = [SelectChoice(str(n)) for n in range(1, 6)]


def canonical_code(raw: str | None) -> str | None:
    """A TOTP or recovery code as the 2FA service expects it (spaces, dashes, case ignored)."""
    found = otp_codes.normalise(raw) if raw else None
    return found[1] if found else None


def _one_time_code(_form: object, field: StringField) -> None:
    if field.data and canonical_code(field.data) is None:
        raise ValidationError(
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes"
        )


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Email or username, password, and a one-time code when the account has 2FA."""

    login = StringField(
        "Email or username",
        validators=[InputRequired("Enter your email address or username"), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )
    otp = StringField(
        "One-time code",
        validators=[Optional(), Length(max=64), _one_time_code],
    )


class RegisterForm(FlaskForm):  # type: ignore[misc]
    """A new account; the service checks the password policy and uniqueness."""

    email = EmailField(
        "Email address", validators=[InputRequired("Enter your email address"), Length(max=254)]
    )
    username = StringField(
        "Username", validators=[InputRequired("Choose a username"), Length(max=64)]
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Choose a password"), Length(max=256)]
    )


class PreferencesForm(FlaskForm):  # type: ignore[misc]
    """The five accessibility preferences."""

    visual_density = RadioField("Visual density", choices=LEVELS)
    reading_level = RadioField("Reading level", choices=LEVELS)
    high_contrast = BooleanField("High contrast colours")
    reduced_motion = BooleanField("Reduce motion (no animations or transitions)")
    preferred_sign_language = StringField(
        "Preferred sign language", validators=[Optional(), Length(max=20)]
    )


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button-only form (log out, log out everywhere): just the CSRF token."""


class LinkForm(FlaskForm):  # type: ignore[misc]
    """A mailed single-use link's token, sent back by a button (confirming takes a POST)."""

    token = HiddenField(validators=[InputRequired("This link has no token"), Length(max=2048)])


class ResetPasswordForm(LinkForm):
    """The new password chosen from a reset link; the service applies the password policy."""

    password = PasswordField(
        "New password", validators=[InputRequired("Choose a new password"), Length(max=256)]
    )

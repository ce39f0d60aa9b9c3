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
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from versehub.core import sign_languages
from versehub.modules.accounts.service import otp_codes

LEVELS = [SelectChoice(str(n)) for n in range(1, 6)]
# "None" first: choosing no sign language is as valid as choosing one.
SIGN_LANGUAGE_CHOICES = [
    SelectChoice("", "None"),
    *(SelectChoice(lang.code, lang.label) for lang in sign_languages.SIGN_LANGUAGES),
]


def canonical_code(raw: str | None) -> str | None:
    """A TOTP or recovery code as the 2FA service expects it (spaces, dashes, case ignored)."""
    found = otp_codes.normalise(raw) if raw else None
    return found[1] if found else None


def one_time_code(_form: object, field: StringField) -> None:
    """WTForms validator: a TOTP or recovery code in any of the ways people type them."""
    if field.data and canonical_code(field.data) is None:
        raise ValidationError(
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes"
        )


def _listed_sign_language(_form: object, field: SelectField) -> None:
    if field.data and sign_languages.known(field.data) is None:
        raise ValidationError("Choose a sign language from the list, or None")


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
        validators=[Optional(), Length(max=64), one_time_code],
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
    preferred_sign_language = SelectField(
        "Preferred sign language",
        choices=SIGN_LANGUAGE_CHOICES,
        validate_choice=False,  # checked below, with a message people understand
        validators=[Length(max=64), _listed_sign_language],
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

"""Forms of the security pages: two-factor sign-in, API keys, forgotten password.

As in forms.py, the forms carry and label the fields; the services decide (wrong codes,
lockout, scopes an account may grant) and the views put their errors on these fields.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    FieldList,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from versehub.modules.accounts.web.forms import one_time_code

SCOPE_LABELS = {
    "entries:read": "Read entries, including those only you or your roles can see",
    "entries:write": "Write entries: create, edit, submit",
    "media:write": "Upload and change media (sign-language videos, images)",
    "agents:write": "Manage agents",
    "admin": "Administer VerseHub (admin accounts only)",
}


class ConfirmTwoFactorForm(FlaskForm):  # type: ignore[misc]
    """A code from the newly set-up authenticator, and the password (re-authentication)."""

    otp = StringField(
        "Code from your authenticator app",
        validators=[
            InputRequired("Enter the 6-digit code shown in your authenticator app"),
            Length(max=64),
            one_time_code,
        ],
    )
    password = PasswordField(
        "Your password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )


class DisableTwoFactorForm(FlaskForm):  # type: ignore[misc]
    """The password and a current code (or a recovery code) to turn two-factor sign-in off."""

    password = PasswordField(
        "Your password", validators=[InputRequired("Enter your password"), Length(max=256)]
    )
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[
            InputRequired("Enter a 6-digit code from your authenticator app, or a recovery code"),
            Length(max=64),
            one_time_code,
        ],
    )


class RecoveryCodesForm(FlaskForm):  # type: ignore[misc]
    """The codes just shown, sent back to be downloaded as a text file."""

    codes = FieldList(HiddenField(validators=[Length(max=64)]), max_entries=20)


class ApiKeyForm(FlaskForm):  # type: ignore[misc]
    """A new key: a name, its scopes and an optional last day."""

    name = StringField("Name", validators=[InputRequired("Give the key a name"), Length(max=100)])
    scopes = SelectMultipleField(
        "What the key may do",
        choices=[SelectChoice(scope, label) for scope, label in SCOPE_LABELS.items()],
        validate_choice=False,  # the schema names the scopes; its message is clearer
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    expires_on = DateField("Last day the key works (optional)", validators=[Optional()])


class ForgotPasswordForm(FlaskForm):  # type: ignore[misc]
    """The email address to send a reset link to."""

    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter the email address of your account"), Length(max=254)],
    )

"""`/api/v1/auth/verify-email*` and `/api/v1/auth/password-reset*`: the mailed-link flows."""

from __future__ import annotations

from flask import Response

from versehub.core.api import AUTH_ERRORS, BODY_ERRORS, SIGNED_IN, validated
from versehub.core.auth import login_required
from versehub.core.envelope import envelope
from versehub.core.limits import auth_limit, limit
from versehub.core.openapi import Envelope, ErrorEnvelope
from versehub.modules.accounts.api.blueprint import (
    AUTH_TAG,
    bp,
    person,
    request_meta,
    user_envelope,
)
from versehub.modules.accounts.schemas import (
    PasswordResetConfirm,
    PasswordResetRequest,
    VerifyEmailRequest,
)
from versehub.modules.accounts.schemas.api import (
    PasswordResetDone,
    ResetRequested,
    UserData,
    VerificationSent,
)
from versehub.modules.accounts.service import password_reset, users, verification

# One message for every reset request: it must not tell whether the address has an account.
RESET_REQUESTED = "If an account uses this email address, a password reset link is on its way"
# Mail costs the recipient attention and us reputation: a few resends per person.
VERIFY_REQUEST_LIMIT = "3/minute;10/hour"
TAGS = [AUTH_TAG]


@bp.post(
    "/auth/verify-email/request",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[VerificationSent], 202: Envelope[VerificationSent], **AUTH_ERRORS},
)
@login_required
@limit(VERIFY_REQUEST_LIMIT)
@validated
def request_email_verification() -> Response:
    """Send (or resend) the verification mail to the caller's address.

    202 when a mail was sent; 200 when the address is already verified.
    """
    user = users.get_or_404(user_id=person().user_id)
    if not verification.request_verification(user=user, meta=request_meta()):
        return envelope(
            {"email_verified": True, "sent": False}, message="Email address already verified"
        )
    return envelope(
        {"email_verified": False, "sent": True},
        message="Verification email sent; the link is valid for a limited time",
        status=202,
    )


@bp.post(
    "/auth/verify-email",
    tags=TAGS,
    responses={200: Envelope[UserData], 401: ErrorEnvelope, 409: ErrorEnvelope, **BODY_ERRORS},
)
@auth_limit("email_verification")
@validated
def verify_email(body: VerifyEmailRequest) -> Response:
    """`{token}` from the mailed link → the address is verified (the link is then spent)."""
    user = verification.verify_email(token=body.token, meta=request_meta())
    return user_envelope(user, message="Email address verified")


@bp.post(
    "/auth/password-reset/request",
    tags=TAGS,
    responses={202: Envelope[ResetRequested], **BODY_ERRORS},
)
@auth_limit("password_reset", name_field="email")
@validated
def request_password_reset(body: PasswordResetRequest) -> Response:
    """`{email}` → 202 with the same answer whether or not an account uses the address."""
    password_reset.request_reset(email=str(body.email), meta=request_meta())
    return envelope({"requested": True}, message=RESET_REQUESTED, status=202)


@bp.post(
    "/auth/password-reset",
    tags=TAGS,
    responses={200: Envelope[PasswordResetDone], 401: ErrorEnvelope, **BODY_ERRORS},
)
@auth_limit("password_reset")
@validated
def reset_password(body: PasswordResetConfirm) -> Response:
    """`{token, new_password}` → new password; every session and token of the account ends."""
    password_reset.reset_password(
        token=body.token, new_password=body.new_password, meta=request_meta()
    )
    return envelope({"password_reset": True}, message="Password changed; sign in again")

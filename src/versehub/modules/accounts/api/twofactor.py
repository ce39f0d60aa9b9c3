"""`/api/v1/auth/2fa/*`: set up, confirm, disable two-factor authentication; recovery codes.

People only: an API key cannot see or change 2FA (AUTH_INSUFFICIENT_PERMISSIONS), because 2FA
protects a person's login and a key never logs in.
"""

from __future__ import annotations

from flask import Response

from versehub.core.api import AUTH_ERRORS, BODY_ERRORS, CONFLICT, SIGNED_IN, validated
from versehub.core.auth import login_required
from versehub.core.envelope import envelope
from versehub.core.limits import auth_limit
from versehub.core.openapi import Envelope
from versehub.modules.accounts.api.blueprint import (
    TWO_FACTOR_TAG,
    bp,
    person,
    person_required,
    request_meta,
)
from versehub.modules.accounts.schemas.twofactor import (
    RecoveryCodes,
    TwoFactorCode,
    TwoFactorConfirm,
    TwoFactorDisable,
    TwoFactorSetup,
    TwoFactorStatus,
)
from versehub.modules.accounts.service import twofactor, users

# Secrets and recovery codes must not stay in browser or proxy caches.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
TAGS = [TWO_FACTOR_TAG]


@bp.get(
    "/auth/2fa",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[TwoFactorStatus], **AUTH_ERRORS},
)
@login_required
@validated
def get_two_factor() -> Response:
    """Whether 2FA is on (or being set up) and how many recovery codes are left."""
    user = users.get_or_404(user_id=person().user_id)
    return envelope(twofactor.status(user=user).model_dump(mode="json"))


@bp.post(
    "/auth/2fa/setup",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[TwoFactorSetup], **AUTH_ERRORS, **CONFLICT},
)
@login_required
@validated
def setup_two_factor() -> Response:
    """Start set-up: a new secret as URI, text and QR code; 2FA is on only after confirm."""
    user = users.get_or_404(user_id=person().user_id)
    setup = twofactor.begin_setup(user=user)
    return envelope(setup.model_dump(mode="json"), headers=NO_STORE)


@bp.post(
    "/auth/2fa/confirm",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[RecoveryCodes], **AUTH_ERRORS, **CONFLICT, **BODY_ERRORS},
)
@auth_limit("two_factor")
@login_required
@person_required
@validated
def confirm_two_factor(body: TwoFactorConfirm) -> Response:
    """`{otp, password}`: turn 2FA on; answers the ten recovery codes, shown this once."""
    user = users.get_or_404(user_id=person().user_id)
    codes = twofactor.confirm(user=user, otp=body.otp, password=body.password, meta=request_meta())
    answer = RecoveryCodes(recovery_codes=codes)
    return envelope(answer.model_dump(mode="json"), headers=NO_STORE)


@bp.post(
    "/auth/2fa/disable",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[TwoFactorStatus], **AUTH_ERRORS, **CONFLICT, **BODY_ERRORS},
)
@auth_limit("two_factor")
@login_required
@person_required
@validated
def disable_two_factor(body: TwoFactorDisable) -> Response:
    """`{password, otp}` or `{password, recovery_code}`: turn 2FA off."""
    user = users.get_or_404(user_id=person().user_id)
    field, code = body.factor()
    twofactor.disable(
        user=user, password=body.password, code=code, field=field, meta=request_meta()
    )
    return envelope(twofactor.status(user=user).model_dump(mode="json"))


@bp.post(
    "/auth/2fa/recovery-codes",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[RecoveryCodes], **AUTH_ERRORS, **CONFLICT, **BODY_ERRORS},
)
@auth_limit("two_factor")
@login_required
@person_required
@validated
def regenerate_recovery_codes(body: TwoFactorCode) -> Response:
    """`{otp}`: replace all recovery codes; answers the new ones, shown this once."""
    user = users.get_or_404(user_id=person().user_id)
    codes = twofactor.regenerate_recovery_codes(user=user, otp=body.otp, meta=request_meta())
    return envelope(RecoveryCodes(recovery_codes=codes).model_dump(mode="json"), headers=NO_STORE)

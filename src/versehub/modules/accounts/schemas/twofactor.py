"""Wire shapes of two-factor authentication (`/api/v1/auth/2fa/*`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from versehub.modules.accounts.schemas import Input, OneTimeCode


class TwoFactorConfirm(Input):
    """`POST /auth/2fa/confirm`: a current code from the new authenticator, and the password."""

    otp: OneTimeCode
    # Re-authentication: a stolen access token alone must not be able to bind the account to
    # the thief's authenticator (which would lock the owner out).
    password: str = Field(min_length=1, max_length=256)


class TwoFactorDisable(Input):
    """`POST /auth/2fa/disable`: the password and one second factor (`otp` or `recovery_code`)."""

    password: str = Field(min_length=1, max_length=256)
    otp: OneTimeCode | None = None
    recovery_code: OneTimeCode | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> TwoFactorDisable:
        if (self.otp is None) == (self.recovery_code is None):
            raise ValueError("Send either otp or recovery_code")
        return self

    def factor(self) -> tuple[str, str]:
        """The field sent and its (canonical) code."""
        if self.otp is not None:
            return "otp", self.otp
        assert self.recovery_code is not None  # the validator guarantees one of the two
        return "recovery_code", self.recovery_code


class TwoFactorCode(Input):
    """`POST /auth/2fa/recovery-codes`: a current code (TOTP or recovery code)."""

    otp: OneTimeCode


class TwoFactorSetup(BaseModel):
    """The pending set-up: what an authenticator app needs, three ways."""

    provisioning_uri: str
    secret: str = Field(description="Base32 secret for manual entry.")
    secret_grouped: str = Field(description="The secret in groups of four, easier to type.")
    qr_code: str = Field(description="QR code of provisioning_uri as an SVG data URI.")
    qr_alt: str = Field(description="Text alternative of the QR code image.")
    issuer: str
    account_name: str
    algorithm: str
    digits: int
    period: int


class RecoveryCodes(BaseModel):
    """Recovery codes: shown once, each works once."""

    recovery_codes: list[str]


class TwoFactorStatus(BaseModel):
    """Whether 2FA is on, and how many recovery codes are left."""

    enabled: bool
    enabled_at: datetime | None
    pending_setup: bool
    recovery_codes_remaining: int

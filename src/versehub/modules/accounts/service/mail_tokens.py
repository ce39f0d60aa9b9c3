"""Signed, expiring, single-use links for email verification and password reset.

Single use without a table: the signed payload carries a fingerprint of the account state that
using the link changes. A verification link fingerprints the address and "not yet verified"
(verifying, or changing the address, voids it); a reset link fingerprints the current password
hash (the reset replaces it, so the link and every older one stop working).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Literal

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.settings import Settings

Purpose = Literal["verify-email", "password-reset"]
# One salt per purpose: a verification link can never be replayed as a reset link.
SALTS: dict[Purpose, str] = {
    "verify-email": "versehub.accounts.verify-email",
    "password-reset": "versehub.accounts.password-reset",
}
MAX_TOKEN_LENGTH = 1024
USED_MESSAGE = "This link was already used or is no longer valid; request a new one"


def _settings() -> Settings:
    settings: Settings = current_app.extensions["versehub.settings"]
    return settings


def _secret() -> str:
    key = _settings().secret_key
    if key is None:  # load_settings always fills it; a bare Settings() may not
        raise RuntimeError("secret_key is not set")
    return key.get_secret_value()


def serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    """The serializer of one purpose, keyed with `secret_key`."""
    return URLSafeTimedSerializer(_secret(), salt=SALTS[purpose])


def max_age(purpose: Purpose) -> int:
    """Seconds a link of this purpose stays valid (from settings)."""
    settings = _settings()
    if purpose == "verify-email":
        return settings.email_verification_max_age
    return settings.password_reset_max_age


def fingerprint(purpose: Purpose, user: User) -> str:
    """What the link binds to: changes when the link has been used (see the module doc)."""
    if purpose == "verify-email":
        state = f"{user.email_key}|{'verified' if user.email_verified_at else 'unverified'}"
    else:
        state = user.password_hash
    # Keyed, so the payload (readable by anyone holding the link) reveals nothing about the
    # password hash or the address.
    return hmac.new(
        _secret().encode(), f"{purpose}|{user.id}|{state}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def make(purpose: Purpose, user: User) -> str:
    """A new link token for `user`."""
    return serializer(purpose).dumps({"u": user.id, "f": fingerprint(purpose, user)})


def load(purpose: Purpose, token: str) -> User:
    """The user a still-valid, unused token belongs to, else AUTH_TOKEN_EXPIRED/INVALID."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise APIError(
            "AUTH_TOKEN_INVALID", "This link is not valid", details={"reason": "invalid"}
        )
    try:
        payload: Any = serializer(purpose).loads(token, max_age=max_age(purpose))
    except SignatureExpired:
        # Only raised once the signature checked out: a tampered token is never "expired".
        raise APIError(
            "AUTH_TOKEN_EXPIRED",
            "This link has expired; request a new one",
            details={"reason": "expired"},
        ) from None
    except BadSignature:
        raise APIError(
            "AUTH_TOKEN_INVALID", "This link is not valid", details={"reason": "invalid"}
        ) from None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    sent = payload.get("f") if isinstance(payload, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(sent, str):
        raise APIError(
            "AUTH_TOKEN_INVALID", "This link is not valid", details={"reason": "invalid"}
        )
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.is_active
        or not hmac.compare_digest(sent, fingerprint(purpose, user))
    ):
        raise APIError("AUTH_TOKEN_INVALID", USED_MESSAGE, details={"reason": "used"})
    return user

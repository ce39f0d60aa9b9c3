"""Two-factor authentication: TOTP set-up, the login check, recovery codes, key rotation."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from datetime import datetime

import pyotp
import segno
import structlog
from cryptography.fernet import InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import delete, func, or_, select, update

from versehub.core.db import utcnow
from versehub.core.errors import APIError, StartupError, field_error
from versehub.core.fernet_keys import multi_fernet
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import RecoveryCode, User
from versehub.modules.accounts.schemas.twofactor import TwoFactorSetup, TwoFactorStatus
from versehub.modules.accounts.service import lockout, otp_codes, passwords
from versehub.modules.accounts.service.meta import RequestMeta

log = structlog.get_logger(__name__)

FERNET = "versehub.accounts.totp_fernet"
ISSUER = "VerseHub"
PERIOD = 30
DIGITS = otp_codes.TOTP_DIGITS
# One step either side: clocks drift and people type slowly; replays are stopped by the
# last-used step, not by a narrow window.
VALID_WINDOW = 1
FACTORS = ("totp", "recovery_code")
QR_ALT = (
    "QR code for adding your VerseHub account to an authenticator app. If you cannot scan "
    "it, type the setup key shown with it into the app instead (time-based, 6 digits)."
)

# Seconds since the epoch; tests replace it to compute codes for chosen moments.
clock: Callable[[], float] = time.time


# --- encryption at rest ------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Build the key ring for TOTP secrets from the settings (refuse to start without one)."""
    keys = app.extensions["versehub.settings"].totp_encryption_keys
    if keys is None or not keys.get_secret_value().strip():
        raise StartupError("accounts: VERSEHUB_TOTP_ENCRYPTION_KEYS is not set")
    app.extensions[FERNET] = multi_fernet(keys.get_secret_value())


def _fernet() -> MultiFernet:
    fernet: MultiFernet = current_app.extensions[FERNET]
    return fernet


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(user: User) -> str:
    assert user.totp_secret_encrypted is not None
    try:
        return _fernet().decrypt(user.totp_secret_encrypted.encode()).decode()
    except InvalidToken:
        # Fail closed: without the secret no code can be checked, so no 2FA login succeeds.
        log.error("totp_secret_undecryptable", user_id=user.id)
        raise APIError(
            "SYS_SERVICE_UNAVAILABLE", "Two-factor codes cannot be checked right now"
        ) from None


def rotate_secrets() -> int:
    """Re-encrypt every stored TOTP secret with the first key; commits; returns how many."""
    fernet = _fernet()
    rows = db.session.scalars(select(User).where(User.totp_secret_encrypted.is_not(None))).all()
    for user in rows:
        assert user.totp_secret_encrypted is not None
        user.totp_secret_encrypted = fernet.rotate(user.totp_secret_encrypted.encode()).decode()
    db.session.commit()
    return len(rows)


# --- codes ---------------------------------------------------------------------------------------
def _matching_step(*, secret: str, code: str, last_step: int | None, now: float) -> int | None:
    """The time step `code` belongs to within the window, if it is later than `last_step`."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int(now // PERIOD)
    matched = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Constant-time compare of every candidate: timing does not reveal a near miss.
        if hmac.compare_digest(totp.generate_otp(step), code) and matched is None:
            matched = step
    if matched is None or (last_step is not None and matched <= last_step):
        return None  # wrong, or a replay of this step or of an earlier one
    return matched


def _claim_step(*, user_id: int, step: int) -> bool:
    # One conditional UPDATE: of two requests with the same code only one moves the step on.
    result = db.session.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return getattr(result, "rowcount", 0) == 1


def _use_totp(*, user: User, code: str) -> bool:
    step = _matching_step(
        secret=_decrypt(user), code=code, last_step=user.totp_last_step, now=clock()
    )
    return step is not None and _claim_step(user_id=user.id, step=step)


def _use_recovery_code(*, user: User, code: str) -> bool:
    rows = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    found = otp_codes.find_match(
        otp_codes.recovery_hash(user_id=user.id, code=code),
        [(row_id, digest) for row_id, digest in rows],
    )
    if found is None:
        return False
    # Conditional too: a code spent by a concurrent request is not accepted twice.
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == found, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return getattr(result, "rowcount", 0) == 1


def _use_code(*, user: User, code: str) -> otp_codes.CodeKind | None:
    """Spend a TOTP or recovery code (staged, not committed); its kind, or None if refused."""
    found = otp_codes.normalise(code)
    if found is None:
        return None
    kind, canonical = found
    accepted = (
        _use_totp(user=user, code=canonical)
        if kind == "totp"
        else _use_recovery_code(user=user, code=canonical)
    )
    return kind if accepted else None


def _replace_recovery_codes(*, user: User) -> list[str]:
    codes = otp_codes.new_recovery_codes()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(
        RecoveryCode(
            user_id=user.id,
            code_hash=otp_codes.recovery_hash(user_id=user.id, code=code.replace("-", "")),
        )
        for code in codes
    )
    return codes


def remaining_recovery_codes(*, user: User) -> int:
    """Unused recovery codes of the user."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- re-authentication for managing 2FA --------------------------------------------------------
def _ensure_not_locked(*, user: User, now: datetime) -> None:
    until = lockout.locked_until(key=lockout.key_for_user(user.id), now=now)
    if until is not None:
        raise lockout.locked_error(until, now)


def _refused(*, user: User, field: str, message: str, meta: RequestMeta) -> APIError:
    """Count a wrong password or code like a failed login (same lockout); the error to raise."""
    now = utcnow()
    outcome = lockout.record_failure(key=lockout.key_for_user(user.id), now=now)
    db.session.commit()  # before raising: the error handler rolls the session back
    target = f"user:{user.id}"
    events.publish_security(
        events.TWO_FACTOR_CHECK_FAILED,
        meta=meta,
        actor_id=user.id,
        target=target,
        field=field,
        failures=outcome.failures,
    )
    if outcome.locked_until is None:
        return APIError("VAL_INVALID", errors=[field_error(field, message)])
    events.publish_security(
        events.ACCOUNT_LOCKED,
        meta=meta,
        actor_id=user.id,
        target=target,
        locked_until=outcome.locked_until.isoformat(),
    )
    return lockout.locked_error(outcome.locked_until, now)


def _check_password(*, user: User, password: str, meta: RequestMeta) -> None:
    if not passwords.verify_password(user.password_hash, password):
        raise _refused(user=user, field="password", message="Wrong password", meta=meta)


# --- use cases ---------------------------------------------------------------------------------
def status(*, user: User) -> TwoFactorStatus:
    """Whether 2FA is on or being set up, and the recovery codes left."""
    return TwoFactorStatus(
        enabled=user.two_factor_enabled,
        enabled_at=user.totp_enabled_at,
        pending_setup=user.totp_secret_encrypted is not None and not user.two_factor_enabled,
        recovery_codes_remaining=remaining_recovery_codes(user=user),
    )


def begin_setup(*, user: User) -> TwoFactorSetup:
    """Store a new secret (pending until confirmed); commits. RES_CONFLICT when 2FA is on."""
    if user.two_factor_enabled:
        raise APIError("RES_CONFLICT", "Two-factor authentication is already on")
    secret = pyotp.random_base32()  # 32 characters: 160 bits, as RFC 4226 recommends
    user.totp_secret_encrypted = _encrypt(secret)
    user.totp_last_step = None
    db.session.commit()
    return _setup_of(user=user, secret=secret)


def pending_setup(*, user: User) -> TwoFactorSetup | None:
    """The set-up begun and not yet confirmed (same secret, QR code again), or None."""
    if user.two_factor_enabled or user.totp_secret_encrypted is None:
        return None
    return _setup_of(user=user, secret=_decrypt(user))


def _setup_of(*, user: User, secret: str) -> TwoFactorSetup:
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    uri = totp.provisioning_uri(name=user.email, issuer_name=ISSUER)
    # Dark on a white ground in every colour scheme: cameras need the contrast.
    qr = segno.make(uri, error="m").svg_data_uri(
        scale=4, light="#fff", title=f"{ISSUER} two-factor set-up QR code", desc=QR_ALT
    )
    return TwoFactorSetup(
        provisioning_uri=uri,
        secret=secret,
        secret_grouped=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr_code=qr,
        qr_alt=QR_ALT,
        issuer=ISSUER,
        account_name=user.email,
        algorithm="SHA1",
        digits=DIGITS,
        period=PERIOD,
    )


def confirm(*, user: User, otp: str, password: str, meta: RequestMeta) -> list[str]:
    """Turn 2FA on after a valid code and the password; commits; the new recovery codes."""
    if user.two_factor_enabled:
        raise APIError("RES_CONFLICT", "Two-factor authentication is already on")
    if user.totp_secret_encrypted is None:
        raise APIError("RES_CONFLICT", "Start with POST /api/v1/auth/2fa/setup")
    _ensure_not_locked(user=user, now=utcnow())
    _check_password(user=user, password=password, meta=meta)
    found = otp_codes.normalise(otp)
    if found is None or found[0] != "totp" or not _use_totp(user=user, code=found[1]):
        raise _refused(
            user=user,
            field="otp",
            message="Wrong code: enter the current 6-digit code from your authenticator app",
            meta=meta,
        )
    user.totp_enabled_at = utcnow()
    codes = _replace_recovery_codes(user=user)
    db.session.commit()
    events.publish_security(
        events.TWO_FACTOR_ENABLED, meta=meta, actor_id=user.id, target=f"user:{user.id}"
    )
    return codes


def disable(*, user: User, password: str, code: str, field: str, meta: RequestMeta) -> None:
    """Turn 2FA off with the password and a TOTP or recovery code; commits."""
    if not user.two_factor_enabled:
        raise APIError("RES_CONFLICT", "Two-factor authentication is not on")
    _ensure_not_locked(user=user, now=utcnow())
    _check_password(user=user, password=password, meta=meta)
    kind = _use_code(user=user, code=code)
    if kind is None:
        raise _refused(user=user, field=field, message="Wrong or already used code", meta=meta)
    _switch_off(user=user)
    db.session.commit()
    target = f"user:{user.id}"
    if kind == "recovery_code":
        events.publish_security(
            events.TWO_FACTOR_RECOVERY_USED, meta=meta, actor_id=user.id, target=target
        )
    events.publish_security(
        events.TWO_FACTOR_DISABLED, meta=meta, actor_id=user.id, target=target, factor=kind
    )


def _switch_off(*, user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset(*, user: User, actor_id: int | None, meta: RequestMeta) -> bool:
    """Turn 2FA off without a code (operator help for a lost device); commits; True if it was on."""
    was_on = user.two_factor_enabled
    _switch_off(user=user)
    db.session.commit()
    if was_on:
        events.publish_security(
            events.TWO_FACTOR_DISABLED,
            meta=meta,
            actor_id=actor_id,
            target=f"user:{user.id}",
            factor="operator_reset",
        )
    return was_on


def regenerate_recovery_codes(*, user: User, otp: str, meta: RequestMeta) -> list[str]:
    """Replace every recovery code after a valid code; commits; the new codes (shown once)."""
    if not user.two_factor_enabled:
        raise APIError("RES_CONFLICT", "Two-factor authentication is not on")
    _ensure_not_locked(user=user, now=utcnow())
    kind = _use_code(user=user, code=otp)
    if kind is None:
        raise _refused(user=user, field="otp", message="Wrong or already used code", meta=meta)
    codes = _replace_recovery_codes(user=user)
    db.session.commit()
    target = f"user:{user.id}"
    if kind == "recovery_code":
        events.publish_security(
            events.TWO_FACTOR_RECOVERY_USED, meta=meta, actor_id=user.id, target=target
        )
    events.publish_security(
        events.TWO_FACTOR_RECOVERY_REGENERATED, meta=meta, actor_id=user.id, target=target
    )
    return codes


def login_check(*, user: User, otp: str | None, **_: object) -> None:
    """The login hook: with 2FA on, a code is required and spent (see sessions.LoginCheck)."""
    if not user.two_factor_enabled:
        return
    if not otp:
        raise APIError(
            "AUTH_2FA_REQUIRED",
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes",
            details={"factors": list(FACTORS)},
        )
    kind = _use_code(user=user, code=otp)
    if kind is None:
        raise APIError("AUTH_INVALID_CREDENTIALS")  # counted by the login like a bad password
    if kind == "recovery_code":
        # Committed now: the code is spent even if the rest of the login fails, and the event
        # is published after the commit. The request facts are filled in by the subscriber.
        db.session.commit()
        events.publish_security(
            events.TWO_FACTOR_RECOVERY_USED,
            meta=RequestMeta(),
            actor_id=user.id,
            target=f"user:{user.id}",
            remaining=remaining_recovery_codes(user=user),
        )

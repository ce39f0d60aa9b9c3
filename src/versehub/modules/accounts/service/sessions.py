"""Logging in and out: credentials to a token family, rotation with reuse detection, logout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, update

from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.core.events import publish
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import RefreshToken, User
from versehub.modules.accounts.schemas import TokenPair
from versehub.modules.accounts.service import lockout, passwords, revocation, tokens, users
from versehub.modules.accounts.service.meta import RequestMeta

# A second-factor check, called as `check(user=..., otp=...)` once the password is right; it
# raises APIError: AUTH_2FA_REQUIRED when a code is needed, AUTH_INVALID_CREDENTIALS when the
# code is wrong (counted as a failed login like a wrong password).
LoginCheck = Callable[..., None]


def _fail(
    *, user: User | None, key: str, now: datetime, meta: RequestMeta, reason: str
) -> APIError:
    outcome = lockout.record_failure(key=key, now=now)
    # Committed before the error is raised: the error handler rolls the session back.
    db.session.commit()
    actor = user.id if user else None
    target = f"user:{user.id}" if user else key
    events.publish_security(
        events.LOGIN_FAILED,
        meta=meta,
        actor_id=actor,
        target=target,
        reason=reason,
        failures=outcome.failures,
    )
    if outcome.locked_until is None:
        return APIError("AUTH_INVALID_CREDENTIALS")
    events.publish_security(
        events.ACCOUNT_LOCKED,
        meta=meta,
        actor_id=actor,
        target=target,
        locked_until=outcome.locked_until.isoformat(),
    )
    return lockout.locked_error(outcome.locked_until, now)


def login(
    *,
    login: str,
    password: str,
    otp: str | None,
    meta: RequestMeta,
    checks: Sequence[LoginCheck] = (),
) -> tuple[User, TokenPair]:
    """Check credentials (and lockout, and the second factor) and start a token family."""
    user = authenticate(login=login, password=password, otp=otp, meta=meta, checks=checks)
    pair = tokens.issue_pair(user=user, now=utcnow())
    db.session.commit()
    return user, pair


def authenticate(
    *,
    login: str,
    password: str,
    otp: str | None,
    meta: RequestMeta,
    checks: Sequence[LoginCheck] = (),
) -> User:
    """Check credentials, lockout and the second factor; record the login (commits, publishes).

    The API login adds a token pair; the web login (accounts.web) a session cookie instead.
    """
    now = utcnow()
    user = users.get_by_login(login=login)
    key = lockout.key_for_user(user.id) if user else lockout.key_for_unknown(users.login_key(login))
    until = lockout.locked_until(key=key, now=now)
    if until is not None:
        events.publish_security(
            events.LOGIN_FAILED,
            meta=meta,
            actor_id=user.id if user else None,
            target=f"user:{user.id}" if user else key,
            reason="locked",
        )
        raise lockout.locked_error(until, now)
    # Unknown users are verified against a dummy hash: same answer, same work.
    if not passwords.verify_password(user.password_hash if user else None, password) or not user:
        raise _fail(user=user, key=key, now=now, meta=meta, reason="bad_credentials")
    if not user.is_active:
        events.publish_security(
            events.LOGIN_FAILED,
            meta=meta,
            actor_id=user.id,
            target=f"user:{user.id}",
            reason="inactive",
        )
        raise APIError("AUTH_INVALID_CREDENTIALS")
    # Second factor: registered checks (2FA) run here, after the password and before any
    # token exists, so a password alone never yields tokens for an account that has one.
    for check in checks:
        try:
            check(user=user, otp=otp)
        except APIError as exc:
            if exc.code != "AUTH_INVALID_CREDENTIALS":
                raise
            raise _fail(
                user=user, key=key, now=now, meta=meta, reason="bad_second_factor"
            ) from None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    lockout.record_success(key=key)
    user.last_login_at = now
    db.session.commit()
    publish("user.login", user_id=user.id)
    events.publish_security(
        events.LOGIN_SUCCEEDED, meta=meta, actor_id=user.id, target=f"user:{user.id}"
    )
    return user


def refresh(*, token: str, meta: RequestMeta) -> TokenPair:
    """Exchange a refresh token for a new pair in its family; a second exchange is reuse."""
    claims = tokens.decode(token, expected="refresh")
    now = utcnow()
    digest = tokens.jti_hash(claims.jti)
    # The exchange is one conditional UPDATE: of two concurrent requests with the same token
    # exactly one changes the row (rowcount 1); the other sees it used.
    won = db.session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti_hash == digest,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    row = db.session.scalars(select(RefreshToken).where(RefreshToken.jti_hash == digest)).first()
    if getattr(won, "rowcount", 0) != 1 or row is None:
        if row is not None and row.used_at is not None:
            tokens.revoke_family(family_id=row.family_id, user_id=row.user_id, now=now)
            db.session.commit()
            events.publish_security(
                events.TOKEN_REUSE,
                meta=meta,
                actor_id=row.user_id,
                target=f"user:{row.user_id}",
                family=row.family_id,
            )
        raise APIError("AUTH_TOKEN_REVOKED")
    try:
        user = tokens.ensure_usable(claims=claims, user=users.get(user_id=claims.user_id))
    except APIError:
        db.session.commit()  # the refused token stays spent
        raise
    pair = tokens.issue_pair(user=user, now=now, family_id=claims.fam)
    db.session.commit()
    return pair


def logout(
    *,
    user_id: int,
    access_jti: str,
    family_id: str,
    access_expires_at: datetime,
    refresh_token: str | None,
    meta: RequestMeta,
) -> bool:
    """Revoke this login: the access token, its family and an optional refresh token.

    Returns False when `refresh_token` was given but is not a live refresh token of this user
    (nothing more to revoke then; logging out never fails for it).
    """
    now = utcnow()
    revocation.revoke(
        token_id=access_jti, kind="access", expires_at=access_expires_at, user_id=user_id, now=now
    )
    families = {family_id}
    refresh_ok = True
    if refresh_token:
        try:
            claims = tokens.decode(refresh_token, expected="refresh")
        except APIError:
            claims = None
        refresh_ok = claims is not None and claims.user_id == user_id
        if claims is not None and refresh_ok:
            families.add(claims.fam)
    for family in sorted(families):
        tokens.revoke_family(family_id=family, user_id=user_id, now=now)
    db.session.commit()
    publish("user.logout", user_id=user_id)
    events.publish_security(events.LOGOUT, meta=meta, actor_id=user_id, target=f"user:{user_id}")
    return refresh_ok


def logout_all(*, user: User, meta: RequestMeta) -> None:
    """End every token of the user: bump the token generation, revoke all refresh rows."""
    now = utcnow()
    user.token_generation += 1
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.commit()
    publish("user.logout", user_id=user.id, everywhere=True)
    events.publish_security(
        events.LOGOUT_ALL, meta=meta, actor_id=user.id, target=f"user:{user.id}"
    )

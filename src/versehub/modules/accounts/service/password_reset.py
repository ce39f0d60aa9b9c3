"""Password reset: an identical answer for every request, a mail from a job, the reset itself."""

from __future__ import annotations

from sqlalchemy import select, update

from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import RefreshToken, User
from versehub.modules.accounts.service import (
    lockout,
    mail,
    mail_tokens,
    passwords,
    tokens,
    users,
)
from versehub.modules.accounts.service.meta import RequestMeta

SEND_TASK = "accounts.send_password_reset_email"
SUBJECT = "Reset your VerseHub password"


def request_reset(*, email: str, meta: RequestMeta) -> None:
    """Queue the reset job for whatever address was typed; the same work for every address."""
    # No account lookup here: whether the address exists is decided in the job, so the answer,
    # its timing and the work done by this request are the same for known and unknown emails.
    mail.enqueue(SEND_TASK, email, meta.ip, meta.request_id)


def send_reset_mail(*, email: str, ip: str | None = None, request_id: str | None = None) -> str:
    """The job: mail a reset link when `email` belongs to an active account, else nothing."""
    user = users.get_by_login(login=email) if "@" in email else None
    if user is None or not user.is_active:
        return "skipped"
    token = mail_tokens.make("password-reset", user)
    link = mail.page_link(mail.RESET_PAGE, token)
    minutes = mail.settings().password_reset_max_age // 60
    message = mail.compose(
        "password_reset",
        to=user.email,
        subject=SUBJECT,
        context={"username": user.username, "link": link, "valid_minutes": max(minutes, 1)},
    )
    where = mail.send(message, kind="password_reset", user_id=user.id, link=link)
    # Audited from the job (committed with it): the request itself must not know the account.
    events.publish_security(
        events.PASSWORD_RESET_REQUESTED,
        meta=RequestMeta(ip=ip, request_id=request_id),
        actor_id=None,
        target=f"user:{user.id}",
    )
    return where


def reset_password(*, token: str, new_password: str, meta: RequestMeta) -> User:
    """Set a new password from a valid, unused link and end every session and token."""
    user = mail_tokens.load("password-reset", token)
    passwords.check_password(new_password, email=user.email, username=user.username)
    old_hash, new_hash = user.password_hash, passwords.hash_password(new_password)
    now = utcnow()
    # Conditional on the hash the link was made for: of two requests racing with one link,
    # exactly one changes the password. The generation bump refuses every token issued before.
    won = db.session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == old_hash)
        .values(
            password_hash=new_hash,
            token_generation=User.token_generation + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        raise APIError("AUTH_TOKEN_INVALID", mail_tokens.USED_MESSAGE, details={"reason": "used"})
    families = db.session.scalars(
        select(RefreshToken.family_id)
        .where(
            RefreshToken.user_id == user.id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .distinct()
    ).all()
    for family in sorted(families):
        tokens.revoke_family(family_id=family, user_id=user.id, now=now)
    # Whoever holds the mailbox may sign in again: a lockout from guessing attempts ends.
    lockout.record_success(key=lockout.key_for_user(user.id))
    db.session.commit()
    events.publish_security(
        events.PASSWORD_RESET,
        meta=meta,
        actor_id=user.id,
        target=f"user:{user.id}",
        sessions_revoked=len(families),
    )
    return user

"""Email verification: queue the mail, send it from a job, and verify a link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import mail, mail_tokens, users
from versehub.modules.accounts.service.meta import RequestMeta

SEND_TASK = "accounts.send_verification_email"
SUBJECT = "Confirm your email address for VerseHub"


def request_verification(*, user: User, meta: RequestMeta) -> bool:
    """Queue a (new) verification mail; False when the address is verified already."""
    if user.email_verified:
        return False
    mail.enqueue(SEND_TASK, user.id)
    events.publish_security(
        events.EMAIL_VERIFICATION_REQUESTED, meta=meta, actor_id=user.id, target=f"user:{user.id}"
    )
    return True


def send_verification_mail(*, user_id: int) -> str:
    """The job: mail a fresh link to an unverified, active user; returns what happened."""
    user = users.get(user_id=user_id)
    if user is None or not user.is_active or user.email_verified:
        return "skipped"
    token = mail_tokens.make("verify-email", user)
    link = mail.page_link(mail.VERIFY_PAGE, token)
    hours = mail.settings().email_verification_max_age // 3600
    message = mail.compose(
        "verify_email",
        to=user.email,
        subject=SUBJECT,
        context={"username": user.username, "link": link, "valid_hours": max(hours, 1)},
    )
    return mail.send(message, kind="verify_email", user_id=user.id, link=link)


def _set_verified(user: User) -> bool:
    """Mark `user`'s address verified unless it already is; commits; True when this call did."""
    # Conditional: of two requests racing (one link used twice), exactly one verifies.
    won = db.session.execute(
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None))
        .values(email_verified_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        db.session.rollback()
        return False
    db.session.commit()
    db.session.refresh(user)
    return True


def verify_email(*, token: str, meta: RequestMeta) -> User:
    """Mark the address of a valid, unused link verified; commits and publishes."""
    user = mail_tokens.load("verify-email", token)
    if not _set_verified(user):
        raise APIError("AUTH_TOKEN_INVALID", mail_tokens.USED_MESSAGE, details={"reason": "used"})
    events.publish_security(
        events.EMAIL_VERIFIED, meta=meta, actor_id=user.id, target=f"user:{user.id}"
    )
    return user


def mark_verified(*, user: User, meta: RequestMeta) -> bool:
    """Mark the address verified on an operator's word (no link); False if it already was."""
    if not _set_verified(user):
        return False
    events.publish_security(
        events.EMAIL_VERIFIED, meta=meta, actor_id=None, target=f"user:{user.id}", by="operator"
    )
    return True


def on_user_created(name: str, payload: dict[str, Any]) -> None:
    """Subscriber of `user.created` (published after the commit): queue the first mail."""
    user_id = payload.get("user_id")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        mail.enqueue(SEND_TASK, user_id)

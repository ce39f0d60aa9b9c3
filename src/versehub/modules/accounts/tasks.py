"""Celery jobs of the accounts module: the hourly purge and the account mails.

Mail jobs take ids and strings, never ORM objects or tokens: the link is signed when the job
runs, so no token sits in the broker or in a dead letter. SMTP trouble retries with backoff
(TransientJobError); when retries run out, or the server rejects the mail, the job becomes a
dead letter. The app's task base (JobTask) pushes the app context and owns the transaction.
"""

from __future__ import annotations

from celery import shared_task

from versehub.modules.accounts.service import maintenance, password_reset, verification

PURGE_TASK = "accounts.purge_expired_tokens"
# Beat entry added to the app's Celery schedule by the module's init.
PURGE_SCHEDULE = {"task": PURGE_TASK, "schedule": 3600.0}


@shared_task(name=PURGE_TASK)  # type: ignore[untyped-decorator]
def purge_expired_tokens() -> dict[str, int]:
    """Hourly: drop expired revocations, refresh tokens and stale lockouts (the job commits)."""
    return maintenance.purge_expired()


@shared_task(name=verification.SEND_TASK)  # type: ignore[untyped-decorator]
def send_verification_email(user_id: int) -> str:
    """Mail a verification link to an unverified user."""
    return verification.send_verification_mail(user_id=user_id)


@shared_task(name=password_reset.SEND_TASK)  # type: ignore[untyped-decorator]
def send_password_reset_email(
    email: str, ip: str | None = None, request_id: str | None = None
) -> str:
    """Mail a reset link when `email` belongs to an active account (nothing otherwise)."""
    return password_reset.send_reset_mail(email=email, ip=ip, request_id=request_id)

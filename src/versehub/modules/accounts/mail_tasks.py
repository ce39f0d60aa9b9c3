"""Mail jobs of the accounts module (imported by `tasks.py`, so the worker knows them).

They take ids and strings, never ORM objects or tokens: the link is signed when the job runs,
so no token sits in the broker or in a dead letter. SMTP trouble retries with backoff
(TransientJobError); when retries run out, or the server rejects the mail, the job becomes a
dead letter. The app's task base (JobTask) pushes the app context and owns the transaction.
"""

from __future__ import annotations

from celery import shared_task

from versehub.modules.accounts.service import password_reset, verification


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

"""Celery tasks of the accounts module."""

from __future__ import annotations

from celery import shared_task

from versehub.modules.accounts import mail_tasks  # noqa: F401 - registers the mail jobs
from versehub.modules.accounts.service import maintenance

PURGE_TASK = "accounts.purge_expired_tokens"
# Beat entry added to the app's Celery schedule by the module's init.
PURGE_SCHEDULE = {"task": PURGE_TASK, "schedule": 3600.0}


@shared_task(name=PURGE_TASK)  # type: ignore[untyped-decorator]
def purge_expired_tokens() -> dict[str, int]:
    """Hourly: drop expired revocations, refresh tokens and stale lockouts (the job commits)."""
    return maintenance.purge_expired()

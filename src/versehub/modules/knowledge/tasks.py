"""Celery tasks of the knowledge module."""

from __future__ import annotations

from typing import Any

from celery import Celery, shared_task

from versehub.modules.knowledge.service import recycle_bin

PURGE_BIN_TASK = "knowledge.purge_recycle_bin"
# Beat entry added to the app's Celery schedule by the module's init.
PURGE_BIN_SCHEDULE: dict[str, Any] = {"task": PURGE_BIN_TASK, "schedule": 3600.0}


@shared_task(name=PURGE_BIN_TASK)  # type: ignore[untyped-decorator]
def purge_recycle_bin() -> dict[str, int]:
    """Hourly: delete entries whose time in the recycle bin is over (the job commits)."""
    return {"purged": recycle_bin.purge_expired()}


def schedule(celery_app: Celery) -> None:
    """Add the purge job to the app's beat schedule."""
    entries = dict(celery_app.conf.beat_schedule or {})
    entries[PURGE_BIN_TASK] = dict(PURGE_BIN_SCHEDULE)
    celery_app.conf.beat_schedule = entries

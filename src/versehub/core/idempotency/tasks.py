"""The hourly job that deletes idempotency records past their retention."""

from __future__ import annotations

from celery import Celery, shared_task
from flask import Flask, current_app

from versehub.core.db import utcnow
from versehub.core.idempotency import EXTENSION, IdempotencyConfig, store

PURGE_TASK = "core.purge_idempotency_keys"
PURGE_SCHEDULE = {"task": PURGE_TASK, "schedule": 3600.0}


@shared_task(name=PURGE_TASK)  # type: ignore[untyped-decorator]
def purge_idempotency_keys() -> dict[str, int]:
    """Hourly: delete records older than `idempotency_ttl` (the job commits)."""
    config: IdempotencyConfig = current_app.extensions[EXTENSION]
    return {"purged": store.purge_expired(now=utcnow(), ttl=config.ttl)}


def schedule(app: Flask) -> None:
    """Add the purge job to the app's beat schedule (when the app has jobs)."""
    celery_app: Celery | None = app.extensions.get("celery")
    if celery_app is None:
        return
    entries = dict(celery_app.conf.beat_schedule or {})
    entries[PURGE_TASK] = dict(PURGE_SCHEDULE)
    celery_app.conf.beat_schedule = entries

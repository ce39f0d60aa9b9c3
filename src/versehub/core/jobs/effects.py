"""Outside effects done at most once per job, even when the broker delivers the job again.

Delivery is at least once: a worker killed after a job sent its mail but before the broker got
the acknowledgement runs the job again (the embedded broker at once, Redis after the visibility
timeout). A job guards such an effect with `effect_done` before and `record_effect` right after
it; the record is committed on its own connection at once, not with the job's transaction, so it
survives the job failing or being killed later. What remains is the moment between the effect
and its record (a kill there, or the database failing right then, repeats the effect once).
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery import current_task
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from versehub.core.db import utcnow
from versehub.core.jobs.models import JobEffect
from versehub.extensions import db

log = structlog.get_logger(__name__)


def current_job_id() -> str | None:
    """The id of the job running in this thread (the same on every redelivery); None outside."""
    task = current_task
    request = getattr(task, "request", None) if task else None
    job_id = getattr(request, "id", None)
    return str(job_id) if job_id else None


def effect_key(kind: str, job_id: str | None = None) -> str | None:
    """`kind:job-id` for the running job (or `job_id`); None outside a job."""
    job_id = job_id or current_job_id()
    return f"{kind}:{job_id}"[:200] if job_id else None


def effect_done(*, key: str) -> bool:
    """Whether the effect `key` was recorded (by this job's earlier delivery)."""
    return db.session.scalar(select(JobEffect.key).where(JobEffect.key == key)) is not None


def record_effect(*, key: str) -> None:
    """Record the effect `key` as done, committed at once on a connection of its own."""
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(JobEffect).values(key=key, done_at=utcnow()))
    except IntegrityError:  # recorded already (two deliveries raced): done either way
        log.info("job_effect_recorded_twice", key=key)


def purge_effects(*, older_than_days: int) -> int:
    """Forget effects older than this (redeliveries come within hours); the caller commits."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(
        delete(JobEffect).where(JobEffect.done_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)

"""Jobs on Celery: an embedded durable SQLite broker by default, Redis when scaled out.

Declare tasks with `@shared_task` in a module's `tasks.py`, taking ids rather than ORM objects;
raise `TransientJobError` for failures worth retrying. See `base.JobTask` for what every job gets.
"""

from __future__ import annotations

from versehub.core.jobs.celery_app import init_jobs
from versehub.core.jobs.errors import TransientJobError
from versehub.core.jobs.models import DeadLetter
from versehub.core.jobs.worker import start_embedded_worker, stop_embedded_worker

__all__ = [
    "DeadLetter",
    "TransientJobError",
    "init_jobs",
    "start_embedded_worker",
    "stop_embedded_worker",
]

"""The base class of every job: app context, one transaction, retries, dead letters, metrics."""

from __future__ import annotations

import random
import time
from typing import Any, ClassVar

import structlog
from celery import Task
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval
from flask import Flask
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from versehub.core.jobs.deadletters import dead_letter_values
from versehub.core.jobs.errors import TransientJobError
from versehub.core.jobs.models import DeadLetter
from versehub.core.jobs.spool import spool_dead_letter, spool_folder
from versehub.core.metrics import JOBS_FINISHED
from versehub.extensions import db
from versehub.settings import Settings

log = structlog.get_logger(__name__)

# Errors that mean "the database cannot be reached right now", not "this job is wrong":
# connection failures and pool timeouts (SQLAlchemy wraps the driver's errors in these).
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    SQLAlchemyTimeoutError,
)

RETRYABLE: tuple[type[BaseException], ...] = (TransientJobError, *DATABASE_UNAVAILABLE)


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database is unreachable (worth waiting for), not a bug."""
    return isinstance(error, DATABASE_UNAVAILABLE)


def database_retry_limit(*, retry_for: int, backoff_max: int) -> int:
    """Retries whose shortest total wait (half of each capped backoff) covers `retry_for` s."""
    waited, retries = 0.0, 0
    while waited < retry_for:
        waited += min(2**retries, backoff_max) / 2
        retries += 1
    return retries


def database_backoff(retries: int, backoff_max: int) -> float:
    """Capped exponential backoff with "equal jitter": between half and all of the step."""
    step = float(min(2**retries, backoff_max))
    # Jitter spreads a crowd of waiting jobs; the lower half bound keeps the total predictable.
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - timing, not secrets


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the job's own error is the one to report
        log.warning("job_rollback_failed", exc_info=True)


class JobTask(Task):  # type: ignore[misc]
    """Runs a task inside its Flask app's context and owns the job's database transaction.

    The task body runs in one transaction committed when it returns and rolled back when it
    raises (tasks call service functions and never commit themselves). `TransientJobError` is
    retried `job_retries` times with exponential backoff and full jitter. A database that
    cannot be reached (connection errors, in the body or the commit) is retried on its own,
    longer schedule: capped exponential backoff for at least `db_retry_for` seconds, so a job
    outlives an outage. When retries run out, or on any other error, the job becomes a dead
    letter (spooled to a file when the database cannot take it). `init_jobs` makes a subclass
    per app that sets these from settings.
    """

    flask_app: ClassVar[Flask | None] = None
    job_retries: ClassVar[int] = 5
    retry_backoff_max: ClassVar[int] = 600
    db_retry_for: ClassVar[int] = 1800
    db_retry_backoff_max: ClassVar[int] = 60
    # Limits are applied here (`_retry`), not by Celery: its `max_retries` is one per task
    # and cannot tell a transient error from a database outage.
    max_retries = None
    acks_late = True
    reject_on_worker_lost = True

    def _flask(self) -> Flask:
        if self.flask_app is None:
            raise RuntimeError(f"task {self.name} belongs to a Celery app without a Flask app")
        return self.flask_app

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        started = time.perf_counter()
        # Names and ids only: arguments may hold personal data or secrets.
        with (
            structlog.contextvars.bound_contextvars(task_id=request.id, task_name=self.name),
            self._flask().app_context(),
        ):
            log.debug("job_started", retries=request.retries)
            try:
                result = self.run(*args, **kwargs)
                db.session.commit()
            except RETRYABLE as exc:
                _rollback()
                retry = self._retry(exc)
                if retry is exc:
                    raise
                raise retry from exc
            except BaseException:
                _rollback()
                raise
            log.info(
                "job_succeeded",
                retries=request.retries,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            return result

    def _retry(self, exc: BaseException) -> BaseException:
        """The Retry to raise, or `exc` itself when this kind of failure has no retries left."""
        retries = int(self.request.retries or 0)
        if is_database_unavailable(exc):
            limit = database_retry_limit(
                retry_for=self.db_retry_for, backoff_max=self.db_retry_backoff_max
            )
            countdown = database_backoff(retries, self.db_retry_backoff_max)
        else:
            limit = self.job_retries
            countdown = get_exponential_backoff_interval(
                factor=1, retries=retries, maximum=self.retry_backoff_max, full_jitter=True
            )
        if retries >= limit:
            return exc
        try:
            retry: BaseException = self.retry(exc=exc, countdown=countdown)
        except Retry as raised:  # `retry` raises it (eager runs included)
            retry = raised
        return retry

    def on_success(self, retval: Any, task_id: str, args: Any, kwargs: Any) -> None:
        """Count the success."""
        JOBS_FINISHED.labels(self.name, "success").inc()

    def on_retry(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        """Count and log the retry (the error type only: messages may carry data)."""
        JOBS_FINISHED.labels(self.name, "retry").inc()
        log.warning(
            "job_retry",
            task_id=task_id,
            task_name=self.name,
            retries=self.request.retries,
            error_type=type(exc).__name__,
        )

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        """Count the failure and keep the job as a dead letter for inspection and re-queueing."""
        JOBS_FINISHED.labels(self.name, "failure").inc()
        retries = int(self.request.retries or 0)
        log.error(
            "job_failed",
            task_id=task_id,
            task_name=self.name,
            retries=retries,
            error_type=type(exc).__name__,
        )
        values = dead_letter_values(
            task_id=task_id,
            task_name=self.name,
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            retries=retries,
            error=exc,
            traceback=str(getattr(einfo, "traceback", "") or ""),
        )
        keep_dead_letter(self._flask(), values)


def keep_dead_letter(app: Flask, values: dict[str, Any]) -> None:
    """Write a dead letter to the table, or spool it to a file when the database cannot take it."""
    try:
        with app.app_context():
            db.session.add(DeadLetter(**values))
            db.session.commit()
        return
    except Exception as exc:  # noqa: BLE001 - any database failure: the letter goes to a file
        with app.app_context():
            _rollback()
        log.warning(
            "dead_letter_write_failed",
            task_id=values["task_id"],
            task_name=values["task_name"],
            error_type=type(exc).__name__,
        )
    settings: Settings = app.extensions["versehub.settings"]
    try:
        path = spool_dead_letter(spool_folder(settings.instance_path), values)
    except OSError:
        # Nowhere left to keep it: the log line (without arguments) is all that remains.
        log.exception("dead_letter_lost", task_id=values["task_id"], task_name=values["task_name"])
        return
    log.warning(
        "dead_letter_spooled",
        task_id=values["task_id"],
        task_name=values["task_name"],
        path=str(path),
    )

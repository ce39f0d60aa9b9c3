"""The base class of every job: app context, one transaction, retries, dead letters, metrics."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import structlog
from celery import Task
from celery.utils.time import get_exponential_backoff_interval
from flask import Flask
from sqlalchemy.exc import OperationalError

from versehub.core.jobs.deadletters import record_dead_letter
from versehub.core.jobs.errors import TransientJobError
from versehub.core.metrics import JOBS_FINISHED
from versehub.extensions import db

log = structlog.get_logger(__name__)

RETRYABLE: tuple[type[BaseException], ...] = (TransientJobError, OperationalError)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the job's own error is the one to report
        log.warning("job_rollback_failed", exc_info=True)


class JobTask(Task):  # type: ignore[misc]
    """Runs a task inside its Flask app's context and owns the job's database transaction.

    The task body runs in one transaction committed when it returns and rolled back when it
    raises (tasks call service functions and never commit themselves). `TransientJobError` and
    database `OperationalError`s are retried with exponential backoff and jitter; when retries run
    out, or on any other error, the job is written to the dead-letter table. `init_jobs` makes a
    subclass per app that sets `flask_app`, `max_retries` and `retry_backoff_max` from settings.
    """

    flask_app: ClassVar[Flask | None] = None
    autoretry_for = RETRYABLE
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
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
                self._commit()
            except BaseException:
                _rollback()
                raise
            log.info(
                "job_succeeded",
                retries=request.retries,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            return result

    def _commit(self) -> None:
        try:
            db.session.commit()
        except OperationalError as exc:
            # The body's retry wrapper has returned already: retry a failed commit the same way.
            _rollback()
            countdown = get_exponential_backoff_interval(
                factor=1,
                retries=self.request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=self.retry_jitter,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc

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
        try:
            with self._flask().app_context():
                record_dead_letter(
                    task_id=task_id,
                    task_name=self.name,
                    args=list(args or ()),
                    kwargs=dict(kwargs or {}),
                    retries=retries,
                    error=exc,
                    traceback=str(getattr(einfo, "traceback", "") or ""),
                )
                db.session.commit()
        except Exception:  # the worker must survive a database outage; the log line remains
            log.exception("dead_letter_write_failed", task_id=task_id, task_name=self.name)

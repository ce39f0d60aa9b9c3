"""Dead letters: record a job that failed for good, list them, re-queue one, purge old ones.

Service functions flush; the caller owns the transaction (the task base class, a CLI command).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from flask import current_app
from sqlalchemy import delete, func, select

from versehub.core.api.pages import Page, paginate
from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.core.jobs.models import DeadLetter
from versehub.core.jobs.spool import import_spooled, spool_folder
from versehub.core.logging import REDACTED, SENSITIVE_VALUE
from versehub.extensions import db

ERROR_MESSAGE_LIMIT = 4000
TRACEBACK_LIMIT = 20000


def _clean(text: str, limit: int) -> str:
    # Error texts can quote connection strings or tokens: redact before they reach a table.
    cleaned = SENSITIVE_VALUE.sub(REDACTED, text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def error_type(error: BaseException) -> str:
    """`ValueError` for built-ins, `package.module.Name` for everything else."""
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def dead_letter_values(
    *,
    task_id: str,
    task_name: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    retries: int,
    error: BaseException,
    traceback: str,
) -> dict[str, Any]:
    """The columns of a dead letter, bounded and with secrets redacted (table or spool file)."""
    return {
        "task_id": task_id[:64],
        "task_name": task_name[:200],
        "args": list(args),
        "kwargs": dict(kwargs),
        "retries": retries,
        "error_type": error_type(error)[:200],
        "error_message": _clean(str(error), ERROR_MESSAGE_LIMIT),
        "traceback": _clean(traceback, TRACEBACK_LIMIT),
        "failed_at": utcnow(),
    }


def record_dead_letter(
    *,
    task_id: str,
    task_name: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    retries: int,
    error: BaseException,
    traceback: str,
) -> DeadLetter:
    """Add a failed job to the dead-letter table (flushed; the caller commits)."""
    letter = DeadLetter(
        **dead_letter_values(
            task_id=task_id,
            task_name=task_name,
            args=args,
            kwargs=kwargs,
            retries=retries,
            error=error,
            traceback=traceback,
        )
    )
    db.session.add(letter)
    db.session.flush()
    return letter


def _newest_first(task_name: str | None) -> Any:
    query = select(DeadLetter).order_by(DeadLetter.failed_at.desc(), DeadLetter.id.desc())
    return query.where(DeadLetter.task_name == task_name) if task_name else query


def list_dead_letters(*, limit: int = 50, task_name: str | None = None) -> list[DeadLetter]:
    """Dead letters, newest first."""
    return list(db.session.scalars(_newest_first(task_name).limit(limit)))


def page_dead_letters(
    *, page: int, per_page: int, task_name: str | None = None
) -> Page[DeadLetter]:
    """One page of dead letters, newest first, with the total."""
    return paginate(_newest_first(task_name), page=page, per_page=per_page)


def count_dead_letters(*, older_than: timedelta | None = None, now: datetime | None = None) -> int:
    """How many dead letters there are (only those that failed before `now - older_than`)."""
    query = select(func.count()).select_from(DeadLetter)
    if older_than is not None:
        query = query.where(DeadLetter.failed_at < (now or utcnow()) - older_than)
    return int(db.session.scalar(query) or 0)


def import_spooled_letters(*, instance_path: Path) -> str | None:
    """Move dead letters spooled to files (database outage) into the table, committed.

    Returns None, or the type of the error that kept them in their files for now.
    """
    try:
        import_spooled(spool_folder(instance_path))
    except Exception as exc:  # noqa: BLE001 - the table still lists what it has; files stay
        db.session.rollback()
        return type(exc).__name__
    return None


def get_dead_letter(*, letter_id: int) -> DeadLetter:
    """One dead letter; RES_NOT_FOUND when absent."""
    letter = db.session.get(DeadLetter, letter_id)
    if letter is None:
        raise APIError("RES_NOT_FOUND", f"Dead letter {letter_id} not found")
    return letter


def requeue_dead_letter(
    *, letter_id: int, force: bool = False, celery_app: Celery | None = None
) -> tuple[DeadLetter, str]:
    """Send a dead letter's job again (new task id) and stamp `requeued_at`; the caller commits."""
    letter = get_dead_letter(letter_id=letter_id)
    if letter.requeued_at is not None and not force:
        raise APIError(
            "RES_CONFLICT",
            f"Dead letter {letter_id} was re-queued at {letter.requeued_at.isoformat()}",
        )
    celery: Celery = celery_app or current_app.extensions["celery"]
    if letter.task_name not in celery.tasks:
        raise APIError("RES_CONFLICT", f"Task {letter.task_name!r} is not registered here")
    letter.requeued_at = utcnow()
    db.session.flush()
    result = celery.send_task(letter.task_name, args=list(letter.args), kwargs=dict(letter.kwargs))
    return letter, str(result.id)


def purge_dead_letters(*, older_than: timedelta | None, now: datetime | None = None) -> int:
    """Delete dead letters that failed before `now - older_than` (None: all); caller commits."""
    statement = delete(DeadLetter)
    if older_than is not None:
        statement = statement.where(DeadLetter.failed_at < (now or utcnow()) - older_than)
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)

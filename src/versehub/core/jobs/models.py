"""Dead letters: jobs that failed after their last retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from versehub.core.db import utcnow
from versehub.extensions import db


class DeadLetter(db.Model):  # type: ignore[name-defined,misc]
    """A job that exhausted its retries, kept for inspection and manual re-queueing."""

    __tablename__ = "job_dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    task_name: Mapped[str] = mapped_column(String(200), index=True)
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retries: Mapped[int] = mapped_column(default=0)
    error_type: Mapped[str] = mapped_column(String(200))
    error_message: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text, default="")
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    requeued_at: Mapped[datetime | None] = mapped_column(default=None)


class JobEffect(db.Model):  # type: ignore[name-defined,misc]
    """An outside effect a job completed (a mail sent), so a redelivered job does not repeat it."""

    __tablename__ = "job_effects"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

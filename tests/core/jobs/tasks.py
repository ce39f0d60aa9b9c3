"""Tasks used only by the job tests; each records what it did in a file, so tests check effects."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import structlog
from celery import shared_task
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from versehub.core.jobs import TransientJobError
from versehub.core.jobs.deadletters import record_dead_letter
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db


def note(path: str, line: str) -> None:
    """Append one line (one write call with O_APPEND: lines never interleave)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def lines(path: str | Path) -> list[str]:
    """The lines written so far (none when the file does not exist yet)."""
    try:
        return Path(path).read_text().splitlines()
    except FileNotFoundError:
        return []


def attempts(path: str, key: str) -> int:
    """How many times the job `key` ran so far."""
    return lines(path).count(f"attempt {key}")


@shared_task
def record(path: str, key: str) -> None:
    """Succeeds at once."""
    note(path, f"done {key}")


@shared_task
def record_context(path: str, key: str) -> None:
    """Records which app and database it ran in (the app context is pushed for it)."""
    instance = current_app.instance_path
    dialect = db.engine.dialect.name
    db.session.scalars(select(DeadLetter.id).limit(1)).all()
    note(path, f"context {key} {instance} {dialect}")


@shared_task
def flaky(path: str, key: str, failures: int) -> None:
    """Fails with a transient error `failures` times, then succeeds."""
    note(path, f"attempt {key}")
    if attempts(path, key) <= failures:
        raise TransientJobError(f"not yet ({key})")
    note(path, f"done {key}")


@shared_task
def database_blip(path: str, key: str, failures: int) -> None:
    """Fails with a database OperationalError `failures` times, then succeeds."""
    note(path, f"attempt {key}")
    if attempts(path, key) <= failures:
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
    note(path, f"done {key}")


@shared_task
def always_transient(path: str, key: str) -> None:
    """Never succeeds: ends as a dead letter once retries run out."""
    note(path, f"attempt {key}")
    raise TransientJobError(f"still failing ({key}) token=Bearer abcdefghijklmnop")


@shared_task
def broken(path: str, key: str) -> None:
    """A bug, not worth retrying: a dead letter at once."""
    note(path, f"attempt {key}")
    raise ValueError(f"bad input ({key})")


@shared_task
def write_then(path: str, key: str, fail: bool) -> None:
    """Adds a row in the job's transaction (no commit), then fails or returns."""
    record_dead_letter(
        task_id=f"written-by-{key}",
        task_name="tests.written",
        args=[],
        kwargs={},
        retries=0,
        error=RuntimeError("a row written by a job"),
        traceback="",
    )
    note(path, f"attempt {key}")
    if fail:
        raise ValueError("after writing")


@shared_task
def slow(path: str, key: str, seconds: float) -> None:
    """Notes its start, sleeps, notes its end: a job to kill in the middle."""
    note(path, f"started {key} pid={os.getpid()}")
    time.sleep(seconds)
    note(path, f"done {key}")


@shared_task
def stall_once(path: str, key: str) -> None:
    """Hangs on its first run (to be killed there), completes on the next."""
    first = not any(line.startswith(f"started {key} ") for line in lines(path))
    note(path, f"started {key} pid={os.getpid()}")
    if first:
        time.sleep(600)
    note(path, f"done {key}")


@shared_task
def record_log_context(path: str, key: str, secret: str) -> None:
    """Records the structlog context bound while it runs (it must name the job, not its args)."""
    context = structlog.contextvars.get_contextvars()
    note(path, f"log-context {key} {json.dumps(context, sort_keys=True)}")

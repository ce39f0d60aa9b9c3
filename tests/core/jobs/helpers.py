"""Bounded waiting, enqueueing on an explicit app, and subprocesses cleaned up by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import Task
from flask import Flask

from tests.conftest import TEST_JWT_SECRET, TEST_SECRET

REPO = Path(__file__).resolve().parents[3]
WAIT_LIMIT = 60.0  # an upper bound so a broken build fails instead of hanging; never a threshold


def wait_until(
    condition: Callable[[], Any], what: str, limit: float = WAIT_LIMIT, every: float = 0.05
) -> Any:
    """Poll `condition` until it returns something truthy; fail with `what` after `limit`."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(every)


def send(app: Flask, task: Task, *args: Any, **kwargs: Any) -> str:
    """Enqueue `task` through `app`'s own Celery app (never whichever is current)."""
    celery = app.extensions["celery"]
    return str(celery.tasks[task.name].apply_async(args=args, kwargs=kwargs).id)


def cli_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a `versehub` subprocess on this test's instance folder and database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("VERSEHUB_")
        and key not in {"DATABASE_URL", "REDIS_URL", "VAULT_ADDR", "VAULT_TOKEN"}
        and not key.startswith(("FLASK_", "WERKZEUG_", "PROMETHEUS_"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        VERSEHUB_ENV="testing",
        VERSEHUB_INSTANCE_PATH=str(instance),
        VERSEHUB_DATABASE_URL=database_url,
        VERSEHUB_SECRET_KEY=TEST_SECRET,
        VERSEHUB_JWT_SECRET_KEY=TEST_JWT_SECRET,
        VERSEHUB_LOG_LEVEL="INFO",
        VERSEHUB_JOB_RETRY_BACKOFF_MAX="1",
        VERSEHUB_JOB_MAX_RETRIES="2",
        VERSEHUB_JOB_DB_RETRY_BACKOFF_MAX="1",
        VERSEHUB_JOB_DB_RETRY_FOR="10",
    )
    env.update(extra)
    return env


# `versehub` with the test tasks imported first, exactly as the console script runs otherwise.
VERSEHUB_WITH_TEST_TASKS = [
    sys.executable,
    "-c",
    "import tests.core.jobs.tasks; from versehub.cli import main; main()",
]


@contextmanager
def spawned(
    args: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a process in its own process group; if it still runs at the end, kill that group.

    The group id is the PID of a process we started and that has not exited, so it is ours.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def exit_status(proc: subprocess.Popen[bytes], what: str, limit: float = WAIT_LIMIT) -> int:
    """Wait (bounded) for `proc` to exit and return its status."""
    try:
        return proc.wait(timeout=limit)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"gave up waiting: {what}") from exc

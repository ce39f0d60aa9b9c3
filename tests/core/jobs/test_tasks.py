"""Jobs through a real worker: app context, retries, dead letters, transactions, metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Task
from celery.contrib.testing.worker import start_worker
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.core.jobs import tasks
from tests.core.jobs.helpers import send, wait_until
from versehub.core.jobs import start_embedded_worker, stop_embedded_worker
from versehub.core.jobs.base import database_backoff, database_retry_limit
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db


def finished(task_name: str, outcome: str) -> float:
    """The `versehub_jobs_total` counter for a task and outcome."""
    value = REGISTRY.get_sample_value(
        "versehub_jobs_total", {"task": task_name, "outcome": outcome}
    )
    return value or 0.0


def dead_letters(app: Flask) -> list[DeadLetter]:
    with app.app_context():
        letters = list(db.session.scalars(select(DeadLetter).order_by(DeadLetter.id)))
        db.session.expunge_all()
        return letters


def wait_for_dead_letter(app: Flask, task_id: str) -> DeadLetter:
    return wait_until(
        lambda: next((d for d in dead_letters(app) if d.task_id == task_id), None),
        f"dead letter for job {task_id}",
    )


def test_job_runs_in_its_app_context_and_database(worker: Flask, runs: str) -> None:
    send(worker, tasks.record_context, runs, "ctx")
    line = wait_until(
        lambda: next((x for x in tasks.lines(runs) if x.startswith("context ctx")), None),
        "the job's context line",
    )
    with worker.app_context():
        dialect = db.engine.dialect.name
    assert line == f"context ctx {worker.instance_path} {dialect}"


def test_success_is_counted(worker: Flask, runs: str) -> None:
    before = finished(tasks.record.name, "success")
    send(worker, tasks.record, runs, "ok")
    wait_until(lambda: "done ok" in tasks.lines(runs), "the job to run")
    wait_until(lambda: finished(tasks.record.name, "success") == before + 1, "the success count")
    assert dead_letters(worker) == []


@pytest.mark.parametrize("task", [tasks.flaky, tasks.database_blip], ids=["transient", "database"])
def test_retryable_failures_retry_then_succeed(worker: Flask, runs: str, task: Task) -> None:
    name = task.name
    retries_before = finished(name, "retry")
    send(worker, task, runs, "r", 2)
    wait_until(lambda: "done r" in tasks.lines(runs), "the job to succeed after two failures")
    assert tasks.lines(runs).count("attempt r") == 3
    assert tasks.lines(runs).count("done r") == 1
    assert finished(name, "retry") == retries_before + 2
    assert dead_letters(worker) == []


def test_database_outages_have_their_own_longer_budget(worker: Flask, runs: str) -> None:
    # Five connection failures: more than job_max_retries (2), within job_db_retry_for (10 s).
    send(worker, tasks.database_blip, runs, "outage", 5)
    wait_until(lambda: "done outage" in tasks.lines(runs), "the job to outlive the outage")
    assert tasks.lines(runs).count("attempt outage") == 6
    assert dead_letters(worker) == []


@pytest.mark.parametrize(
    ("retry_for", "backoff_max"), [(0, 1), (10, 1), (60, 8), (1800, 60), (1800, 600)]
)
def test_database_retry_schedule_covers_its_budget(retry_for: int, backoff_max: int) -> None:
    limit = database_retry_limit(retry_for=retry_for, backoff_max=backoff_max)
    gaps = [database_backoff(n, backoff_max) for n in range(limit)]
    # Even with the shortest jitter every time, the retries span at least `retry_for` seconds.
    assert sum(min(2**n, backoff_max) / 2 for n in range(limit)) >= retry_for
    assert all(0 < gap <= backoff_max for gap in gaps)
    assert limit == 0 if retry_for == 0 else limit > 0


def test_exhausted_retries_leave_a_dead_letter(worker: Flask, runs: str) -> None:
    failures_before = finished(tasks.always_transient.name, "failure")
    task_id = send(worker, tasks.always_transient, runs, "x")
    letter = wait_for_dead_letter(worker, task_id)
    assert tasks.lines(runs).count("attempt x") == 3  # the first run and job_max_retries=2
    assert letter.task_name == tasks.always_transient.name
    assert letter.retries == 2
    assert letter.args == [runs, "x"]
    assert letter.kwargs == {}
    assert letter.error_type == "versehub.core.jobs.errors.TransientJobError"
    # Credentials in an error text are redacted before they are stored.
    assert letter.error_message == "still failing (x) token=[REDACTED]"
    assert "TransientJobError" in letter.traceback
    assert "abcdefghijklmnop" not in letter.traceback
    assert letter.failed_at.tzinfo is not None
    assert letter.requeued_at is None
    assert finished(tasks.always_transient.name, "failure") == failures_before + 1


def test_other_errors_are_not_retried(worker: Flask, runs: str) -> None:
    task_id = send(worker, tasks.broken, runs, "b")
    letter = wait_for_dead_letter(worker, task_id)
    assert tasks.lines(runs).count("attempt b") == 1
    assert letter.retries == 0
    assert letter.error_type == "ValueError"
    assert letter.error_message == "bad input (b)"


def test_the_job_owns_its_transaction(worker: Flask, runs: str) -> None:
    send(worker, tasks.write_then, runs, "kept", False)
    failed_id = send(worker, tasks.write_then, runs, "lost", True)
    wait_for_dead_letter(worker, failed_id)
    wait_until(
        lambda: any(d.task_id == "written-by-kept" for d in dead_letters(worker)),
        "the successful job's row to be committed",
    )
    # The failed job's own write was rolled back; only its dead letter remains.
    assert [d.task_id for d in dead_letters(worker) if d.task_id.startswith("written-by-")] == [
        "written-by-kept"
    ]


def test_a_job_for_an_unknown_task_becomes_a_dead_letter(worker: Flask) -> None:
    celery = worker.extensions["celery"]
    result = celery.send_task(
        "tests.core.jobs.tasks.no_such_task", args=[1, "two"], kwargs={"k": 3}
    )
    letter = wait_for_dead_letter(worker, str(result.id))
    assert letter.task_name == "tests.core.jobs.tasks.no_such_task"
    assert letter.args == [1, "two"]
    assert letter.kwargs == {"k": 3}


@pytest.fixture
def solo_worker(jobs_app: Flask) -> Iterator[Flask]:
    """Celery's own test worker (solo pool) instead of ours: the app works with either."""
    with start_worker(jobs_app.extensions["celery"], pool="solo", perform_ping_check=False):
        yield jobs_app


def test_celery_test_worker_runs_jobs_too(solo_worker: Flask, runs: str, tmp_path: Path) -> None:
    send(solo_worker, tasks.record, runs, "solo")
    task_id = send(solo_worker, tasks.broken, runs, "solo-broken")
    wait_until(lambda: "done solo" in tasks.lines(runs), "the job to run")
    assert wait_for_dead_letter(solo_worker, task_id).retries == 0


def test_job_logs_carry_its_id_and_name_not_its_arguments(worker: Flask, runs: str) -> None:
    task_id = send(worker, tasks.record_log_context, runs, "log", "hunter2")
    line = wait_until(
        lambda: next((x for x in tasks.lines(runs) if x.startswith("log-context log ")), None),
        "the job's log context",
    )
    context = json.loads(line.removeprefix("log-context log "))
    assert context == {"task_id": task_id, "task_name": tasks.record_log_context.name}


def test_embedded_beat_sends_periodic_jobs(jobs_app: Flask, runs: str) -> None:
    jobs_app.extensions["celery"].conf.beat_schedule = {
        "tick": {"task": tasks.record.name, "schedule": 0.5, "args": (runs, "tick")}
    }
    start_embedded_worker(jobs_app, beat=True)
    wait_until(lambda: tasks.lines(runs).count("done tick") >= 2, "two periodic runs")
    assert stop_embedded_worker(jobs_app)
    # Beat keeps its schedule in the instance folder, not in the working directory.
    assert any(Path(jobs_app.instance_path).glob("celerybeat-schedule*"))

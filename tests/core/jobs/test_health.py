"""The broker's readiness check: kind, queue depth, embedded worker; failures answer fast."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.core.jobs import tasks
from tests.core.jobs.helpers import (
    VERSEHUB_WITH_TEST_TASKS,
    cli_env,
    exit_status,
    send,
    spawned,
    wait_until,
)
from tests.servers import free_port
from versehub.core.jobs import start_embedded_worker, stop_embedded_worker
from versehub.core.jobs.broker_store import sqlite_path
from versehub.core.jobs.celery_app import WORKER_EXTENSION, check_broker

AppMaker = Callable[..., Flask]


def broker_check(app: Flask) -> tuple[int, dict[str, object]]:
    response = app.test_client().get("/health/ready")
    return response.status_code, response.get_json()["checks"]["broker"]


def test_embedded_broker_reports_kind_and_queue(jobs_app: Flask, runs: str) -> None:
    send(jobs_app, tasks.record, runs, "waiting")
    _, check = broker_check(jobs_app)
    assert check["status"] == "ok"
    assert check["kind"] == "sqlite"
    assert check["queued"] == 1
    assert check["fetched"] == 0
    assert "embedded_worker" not in check  # none was started in this process


def test_embedded_worker_alive_then_dead(jobs_app: Flask) -> None:
    worker = start_embedded_worker(jobs_app, beat=False)
    with jobs_app.app_context():
        assert check_broker(jobs_app).details["embedded_worker"] == "alive"
    assert worker.stop(timeout=30)  # the thread ends but the app still counts on it
    assert jobs_app.extensions[WORKER_EXTENSION] is worker
    _, check = broker_check(jobs_app)
    assert check["status"] == "degraded"
    assert check["embedded_worker"] == "dead"


def test_unusable_broker_file_fails(make_jobs_app: AppMaker, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("a file where the broker's folder should be")
    app = make_jobs_app(broker_url=f"vhsqla+sqlite:///{not_a_folder / 'broker.sqlite'}")
    status, check = broker_check(app)
    assert status == 503
    assert check["status"] == "fail"
    assert check["kind"] == "sqlite"
    assert check["error"] == "OperationalError"


def test_locked_broker_fails_instead_of_hanging(jobs_app: Flask, runs: str) -> None:
    send(jobs_app, tasks.record, runs, "x")  # creates the broker file
    path = sqlite_path(jobs_app.extensions["celery"].conf.broker_url)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # a writer that never finishes
        status, check = broker_check(jobs_app)
    finally:
        holder.close()
    assert status == 503
    assert check["status"] == "fail"
    assert check["error"] == "OperationalError"


def test_unreachable_redis_broker_is_degraded_fast(make_jobs_app: AppMaker) -> None:
    # Every instance shares the Redis broker: pulling this one would help nobody.
    app = make_jobs_app(broker_url=f"redis://127.0.0.1:{free_port()}/0")
    status, check = broker_check(app)
    assert status == 200
    assert check["status"] == "degraded"
    assert check["kind"] == "redis"
    assert check["error"] == "ConnectionError"


@pytest.mark.integration
def test_redis_broker_ok(make_jobs_app: AppMaker, redis_url: str) -> None:
    app = make_jobs_app(redis_url=redis_url)
    _, check = broker_check(app)
    # The test server runs without AOF: reported, since a restart would lose the queue.
    assert check == {**check, "status": "degraded", "kind": "redis", "queued": 0}
    assert check["persistence"] == "none"


def jobs_check(app: Flask) -> tuple[int, dict[str, object]]:
    response = app.test_client().get("/health/ready")
    return response.status_code, response.get_json()["checks"]["jobs"]


def test_jobs_check_sees_the_embedded_worker_come_and_go(make_jobs_app: AppMaker) -> None:
    app = make_jobs_app(job_worker_stale_after=2)
    status, check = jobs_check(app)
    assert status == 200  # nobody consumes the queue: reported, the instance still serves
    assert check == {**check, "status": "degraded", "error": "no worker seen"}
    start_embedded_worker(app, beat=False)
    wait_until(lambda: jobs_check(app)[1]["status"] == "ok", "the worker's heartbeat")
    assert stop_embedded_worker(app)
    assert jobs_check(app)[1]["error"] == "no worker seen"  # a clean stop says goodbye


@pytest.mark.integration
def test_jobs_check_sees_a_worker_process_on_redis_and_its_death(
    make_jobs_app: AppMaker, redis_url: str, database_url: str, tmp_path: Path, runs: str
) -> None:
    app = make_jobs_app(redis_url=redis_url, job_worker_stale_after=2)
    assert jobs_check(app)[1]["error"] == "no worker seen"
    env = cli_env(tmp_path / "instance", database_url, REDIS_URL=redis_url)
    env["VERSEHUB_JOB_WORKER_STALE_AFTER"] = "2"
    with spawned([*VERSEHUB_WITH_TEST_TASKS, "worker"], env, tmp_path, tmp_path / "w.log") as proc:
        wait_until(lambda: jobs_check(app)[1]["status"] == "ok", "the worker process's heartbeat")
        os.killpg(proc.pid, signal.SIGKILL)  # dies without a goodbye
        assert exit_status(proc, "the killed worker") == -signal.SIGKILL
    status, check = wait_until(
        lambda: (found := jobs_check(app))[1]["status"] == "degraded" and found,
        "the heartbeat to grow stale",
    )
    assert status == 200
    age = check["last_seen_s"]
    assert isinstance(age, int)
    assert age > 2
    assert check["error"] == f"no worker seen for {age} s"

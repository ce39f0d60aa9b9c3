"""The scaled-out path: the same jobs on a real Redis broker, in-process and `versehub worker`."""

from __future__ import annotations

import signal
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
from tests.core.jobs.test_tasks import wait_for_dead_letter
from versehub.core.jobs import start_embedded_worker, stop_embedded_worker

pytestmark = pytest.mark.integration

AppMaker = Callable[..., Flask]


def test_redis_settings_switch_the_broker(make_jobs_app: AppMaker, redis_url: str) -> None:
    app = make_jobs_app(redis_url=redis_url, embedded_worker=None)
    settings = app.extensions["versehub.settings"]
    assert app.extensions["celery"].conf.broker_url == redis_url
    assert settings.use_embedded_worker is False  # `versehub worker` processes instead


def test_jobs_retry_and_dead_letter_on_redis(
    make_jobs_app: AppMaker, redis_url: str, runs: str
) -> None:
    app = make_jobs_app(redis_url=redis_url)
    start_embedded_worker(app, beat=False)
    send(app, tasks.record, runs, "plain")
    send(app, tasks.flaky, runs, "flaky", 1)
    failed = send(app, tasks.broken, runs, "broken")
    wait_until(lambda: {"done plain", "done flaky"} <= set(tasks.lines(runs)), "the jobs on Redis")
    assert wait_for_dead_letter(app, failed).error_type == "ValueError"
    assert stop_embedded_worker(app)
    assert tasks.lines(runs).count("attempt flaky") == 2


def test_worker_process_on_redis(
    make_jobs_app: AppMaker, redis_url: str, database_url: str, tmp_path: Path, runs: str
) -> None:
    app = make_jobs_app(redis_url=redis_url)
    send(app, tasks.record, runs, "queued-first")  # waits in Redis until a worker starts
    env = cli_env(tmp_path / "instance", database_url, REDIS_URL=redis_url)
    log = tmp_path / "worker.log"
    with spawned([*VERSEHUB_WITH_TEST_TASKS, "worker", "--beat"], env, tmp_path, log) as proc:
        wait_until(lambda: "done queued-first" in tasks.lines(runs), "the queued job")
        send(app, tasks.record, runs, "sent-later")
        wait_until(lambda: "done sent-later" in tasks.lines(runs), "the second job")
        proc.send_signal(signal.SIGTERM)
        assert exit_status(proc, "the worker to stop") == 0
    output = log.read_text()
    assert "broker=redis" in output
    assert "job_worker_stopped" in output

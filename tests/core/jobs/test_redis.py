"""The scaled-out path: the same jobs on a real Redis broker, in-process and `versehub worker`."""

from __future__ import annotations

import os
import signal
import time
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
from tests.servers import own_redis_server
from versehub.core.jobs import start_embedded_worker, stop_embedded_worker
from versehub.settings import SettingsError, load_settings

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


def test_a_killed_workers_job_comes_back_within_the_visibility_timeout(
    make_jobs_app: AppMaker, database_url: str, tmp_path: Path, runs: str
) -> None:
    with own_redis_server() as server:
        url = server.url()
        app = make_jobs_app(redis_url=url, job_visibility_timeout=3)
        assert app.extensions["celery"].conf.broker_transport_options["visibility_timeout"] == 3
        env = cli_env(tmp_path / "instance", database_url, REDIS_URL=url)
        env["VERSEHUB_JOB_VISIBILITY_TIMEOUT"] = "3"
        send(app, tasks.stall_once, runs, "victim")
        with spawned([*VERSEHUB_WITH_TEST_TASKS, "worker"], env, tmp_path, tmp_path / "a.log") as a:
            wait_until(lambda: "started victim" in " ".join(tasks.lines(runs)), "the first run")
            os.killpg(a.pid, signal.SIGKILL)  # no acknowledgement, no goodbye
            assert exit_status(a, "the killed worker") == -signal.SIGKILL
        killed_at = time.monotonic()
        # The job sits in Redis's unacknowledged set until the visibility timeout, then any
        # worker gets it again (not an hour later).
        with spawned([*VERSEHUB_WITH_TEST_TASKS, "worker"], env, tmp_path, tmp_path / "b.log") as b:
            wait_until(lambda: "done victim" in tasks.lines(runs), "the redelivered job", limit=30)
            b.send_signal(signal.SIGTERM)
            assert exit_status(b, "the second worker to stop") == 0
        assert time.monotonic() - killed_at < 30
        started = [line for line in tasks.lines(runs) if line.startswith("started victim")]
        assert len(started) == 2
        assert started[0] != started[1]  # the second worker ran it


@pytest.mark.parametrize(
    "overrides",
    [
        {"job_visibility_timeout": 600},  # the default transient backoff cap is 600
        {
            "job_visibility_timeout": 100,
            "job_retry_backoff_max": 10,
            "job_db_retry_backoff_max": 100,
        },
    ],
)
def test_a_visibility_timeout_shorter_than_a_retry_wait_is_refused(
    overrides: dict[str, int], tmp_path: Path
) -> None:
    # Celery holds a job waiting for its retry unacknowledged: Redis would hand it out twice.
    with pytest.raises(SettingsError, match="job_visibility_timeout"):
        load_settings({"env": "testing", "instance_path": tmp_path, **overrides})

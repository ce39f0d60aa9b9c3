"""Jobs survive restarts: queued ones, retrying ones, and ones running in a worker killed hard."""

from __future__ import annotations

import os
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
from versehub.core.jobs import start_embedded_worker, stop_embedded_worker
from versehub.core.jobs.broker_store import probe

AppMaker = Callable[..., Flask]


def broker(app: Flask) -> dict[str, int]:
    """Queued and fetched job counts in the app's broker file."""
    return probe(app.extensions["celery"].conf.broker_url, timeout=5)


def test_a_job_queued_before_a_restart_runs_after_it(make_jobs_app: AppMaker, runs: str) -> None:
    before = make_jobs_app()
    send(before, tasks.record, runs, "kept")
    before.extensions["celery"].close()  # the process "stops" without ever running a worker
    assert broker(before) == {"queued": 1, "fetched": 0}

    after = make_jobs_app()  # same instance folder, same broker file
    start_embedded_worker(after, beat=False)
    wait_until(lambda: "done kept" in tasks.lines(runs), "the job to run after the restart")
    assert stop_embedded_worker(after)
    assert tasks.lines(runs).count("done kept") == 1
    assert broker(after) == {"queued": 0, "fetched": 0}


def test_a_graceful_stop_loses_and_repeats_nothing(make_jobs_app: AppMaker, runs: str) -> None:
    first = make_jobs_app(worker_concurrency=1)
    start_embedded_worker(first, beat=False)
    send(first, tasks.flaky, runs, "retrying", 1)  # fails once, then waits for its retry
    send(first, tasks.slow, runs, "running", 0.5)
    for n in range(4):
        send(first, tasks.record, runs, f"queued-{n}")
    wait_until(lambda: "attempt retrying" in tasks.lines(runs), "the first attempt")
    assert stop_embedded_worker(first)
    # Whatever the worker held (a retry countdown, prefetched jobs) is back in the queue.
    assert broker(first)["fetched"] == 0

    second = make_jobs_app()
    start_embedded_worker(second, beat=False)
    expected = ["done retrying", "done running", *(f"done queued-{n}" for n in range(4))]
    wait_until(
        lambda: all(line in tasks.lines(runs) for line in expected), "every job after the restart"
    )
    assert stop_embedded_worker(second)
    done = [line for line in tasks.lines(runs) if line.startswith("done ")]
    assert sorted(done) == sorted(expected)  # each exactly once
    assert tasks.lines(runs).count("attempt retrying") == 2
    assert broker(second) == {"queued": 0, "fetched": 0}


@pytest.mark.slow
def test_a_job_running_in_a_killed_worker_runs_again(
    make_jobs_app: AppMaker, database_url: str, tmp_path: Path, runs: str
) -> None:
    app = make_jobs_app()
    env = cli_env(tmp_path / "instance", database_url)
    args = [*VERSEHUB_WITH_TEST_TASKS, "worker", "--concurrency", "2"]
    log = tmp_path / "worker.log"
    with spawned(args, env, tmp_path, log) as proc:
        wait_until(lambda: "job_worker_started" in log.read_text(), "the worker process to start")
        for n in range(4):
            send(app, tasks.record, runs, f"quick-{n}")
        send(app, tasks.stall_once, runs, "victim")
        wait_until(
            lambda: (
                any(line.startswith("started victim") for line in tasks.lines(runs))
                and all(f"done quick-{n}" in tasks.lines(runs) for n in range(4))
            ),
            "the quick jobs to finish and the victim to start",
        )
        # Finished jobs were acknowledged (their rows deleted); only the victim is held.
        wait_until(lambda: broker(app) == {"queued": 0, "fetched": 1}, "the acks of quick jobs")
        os.kill(proc.pid, signal.SIGKILL)
        assert exit_status(proc, "the killed worker") == -signal.SIGKILL

    start_embedded_worker(app, beat=False)  # a new worker on the same broker file
    wait_until(lambda: "done victim" in tasks.lines(runs), "the victim to run again")
    assert stop_embedded_worker(app)
    lines = tasks.lines(runs)
    started = [line for line in lines if line.startswith("started victim")]
    assert len(started) == 2
    assert started[0] != started[1]  # another process ran it the second time
    assert sorted(line for line in lines if line.startswith("done ")) == sorted(
        ["done victim", *(f"done quick-{n}" for n in range(4))]
    )
    assert broker(app) == {"queued": 0, "fetched": 0}

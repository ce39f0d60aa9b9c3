"""`versehub run`: serves the app, runs jobs in its embedded worker, stops without losing any."""

from __future__ import annotations

import json
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from versehub.core.jobs.broker_store import probe

pytestmark = pytest.mark.slow

AppMaker = Callable[..., Flask]
VERSEHUB_SCRIPT = str(Path(sys.executable).parent / "versehub")


def get_json(port: int, path: str) -> Any:
    """GET a local URL; None while nothing answers yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)
    except OSError:
        return None


def wait_live(port: int, log: Path) -> None:
    try:
        wait_until(lambda: get_json(port, "/health/live") == {"status": "ok"}, "the server")
    except AssertionError as exc:
        # Read the log now, at failure time: it says why the server did not answer.
        output = log.read_text() if log.exists() else "(no log file)"
        raise AssertionError(f"{exc}; its log:\n{output}") from None


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_serves_and_works_jobs_then_stops(
    make_jobs_app: AppMaker,
    database_url: str,
    tmp_path: Path,
    runs: str,
    stop: signal.Signals,
) -> None:
    port = free_port()
    log = tmp_path / "run.log"
    args = [*VERSEHUB_WITH_TEST_TASKS, "run", "--no-reload", "--port", str(port)]
    with spawned(args, cli_env(tmp_path / "instance", database_url), tmp_path, log) as proc:
        wait_live(port, log)
        app = make_jobs_app()  # a "web request" elsewhere enqueues on the same broker
        send(app, tasks.record, runs, "via-run")
        send(app, tasks.record_log_context, runs, "via-run", "hunter2-not-for-logs")
        wait_until(lambda: "done via-run" in tasks.lines(runs), "the embedded worker to run it")
        wait_until(
            lambda: any(line.startswith("log-context via-run") for line in tasks.lines(runs)),
            "the second job",
        )
        ready = get_json(port, "/health/ready")
        assert ready["checks"]["broker"]["embedded_worker"] == "alive"
        assert ready["checks"]["broker"]["kind"] == "sqlite"
        proc.send_signal(stop)
        assert exit_status(proc, "the server to stop") == 0
    output = log.read_text()
    assert "job_worker_started" in output
    assert f"task_name={tasks.record_log_context.name}" in output  # each job logs its name
    assert "hunter2-not-for-logs" not in output  # and never its arguments
    assert "job_worker_stopped" in output
    assert output.count("server_stopping") == 1


def test_ctrl_c_under_the_reloader_lets_the_running_job_finish(
    make_jobs_app: AppMaker, database_url: str, tmp_path: Path, runs: str
) -> None:
    port = free_port()
    log = tmp_path / "run.log"
    args = [*VERSEHUB_WITH_TEST_TASKS, "run", "--reload", "--port", str(port)]
    with spawned(args, cli_env(tmp_path / "instance", database_url), tmp_path, log) as proc:
        wait_live(port, log)
        app = make_jobs_app()
        send(app, tasks.slow, runs, "in-flight", 1.0)
        wait_until(
            lambda: any(line.startswith("started in-flight") for line in tasks.lines(runs)),
            "the job to start",
        )
        # What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
        os.killpg(proc.pid, signal.SIGINT)
        assert exit_status(proc, "the server to stop") == 0
    lines = tasks.lines(runs)
    assert lines.count("done in-flight") == 1  # finished, not killed by the reloader parent
    assert len([line for line in lines if line.startswith("started in-flight")]) == 1
    assert probe(app.extensions["celery"].conf.broker_url, timeout=5) == {
        "queued": 0,
        "fetched": 0,
    }
    output = log.read_text()
    assert output.count("job_worker_stopped") == 1


def test_sigterm_to_the_reloader_parent_stops_the_server_gracefully(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "run.log"
    args = [VERSEHUB_SCRIPT, "run", "--reload", "--port", str(port)]  # the console script itself
    with spawned(args, cli_env(tmp_path / "instance", database_url), tmp_path, log) as proc:
        wait_live(port, log)
        proc.send_signal(signal.SIGTERM)  # the parent only, as a process manager would
        assert exit_status(proc, "the server to stop") == 0
    output = log.read_text()
    assert "server_started" in output
    assert "job_worker_stopped" in output

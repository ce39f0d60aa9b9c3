"""Jobs accepted before or during a PostgreSQL outage run after it or end as dead letters."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import base_settings, migrate_to_head
from tests.core.jobs import tasks
from tests.core.jobs.helpers import send, wait_until
from tests.servers import PostgresServer, own_postgres_server
from versehub import create_app
from versehub.cli import cli
from versehub.core.jobs import start_embedded_worker, stop_embedded_worker
from versehub.core.jobs.base import keep_dead_letter
from versehub.core.jobs.deadletters import dead_letter_values
from versehub.core.jobs.models import DeadLetter
from versehub.core.jobs.spool import pending, spool_folder
from versehub.extensions import db

pytestmark = pytest.mark.integration

# Quick retries for both kinds of failure; heartbeats (and spool imports) every 0.5 s.
OUTAGE_SETTINGS: dict[str, Any] = {
    "job_retry_backoff_max": 1,
    "job_max_retries": 2,
    "job_db_retry_backoff_max": 1,
    "job_worker_stale_after": 2,
}


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test alone: it is stopped and started again mid-test."""
    with own_postgres_server() as server:
        with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE vh_outage")
        yield server


@pytest.fixture
def make_outage_app(postgres: PostgresServer, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps on the test's own PostgreSQL (migrated) and embedded broker; stopped afterwards."""
    instance = tmp_path / "instance"
    url = postgres.url("vh_outage")
    migrate_to_head(url, tmp_path / "migrate")
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app({**base_settings(instance, url), **OUTAGE_SETTINGS, **overrides})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        stop_embedded_worker(app, timeout=30)
        app.extensions["celery"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def dead_letters(app: Flask) -> list[tuple[str, str]]:
    """(task id, error type) of every dead letter in the table."""
    with app.app_context():
        rows = db.session.execute(
            select(DeadLetter.task_id, DeadLetter.error_type).order_by(DeadLetter.id)
        )
        letters = [(task_id, error) for task_id, error in rows]
        db.session.rollback()
        return letters


def spooled(app: Flask) -> list[Path]:
    return pending(spool_folder(app.extensions["versehub.settings"].instance_path))


def test_jobs_outlive_an_outage_and_failures_are_kept(
    make_outage_app: Callable[..., Flask], postgres: PostgresServer, runs: str
) -> None:
    app = make_outage_app(job_db_retry_for=120)
    start_embedded_worker(app, beat=False)
    send(app, tasks.record_context, runs, "before")
    wait_until(lambda: any(line.startswith("context before") for line in tasks.lines(runs)), "ok")

    postgres.pause()
    reading = [send(app, tasks.record_context, runs, f"during-{n}") for n in range(5)]
    failed = send(app, tasks.broken, runs, "during-bug")  # a bug: a dead letter at once
    # The database cannot take that dead letter: it waits in a file instead of being lost.
    (file,) = wait_until(lambda: spooled(app), "the dead letter spooled to a file")
    assert json.loads(file.read_text())["task_id"] == failed
    # An outage longer than the ordinary retries (2, at most 1 s apart) would have lasted.
    time.sleep(6)
    postgres.resume()

    wait_until(
        lambda: all(f"during-{n}" in " ".join(tasks.lines(runs)) for n in range(5)),
        "every job accepted during the outage to run after it",
    )
    letters = wait_until(
        lambda: dead_letters(app), "the spooled dead letter imported by the worker"
    )
    assert letters == [(failed, "ValueError")]
    assert spooled(app) == []
    assert stop_embedded_worker(app)
    assert not any(task_id in reading for task_id, _ in dead_letters(app))


def test_jobs_past_their_outage_budget_are_dead_letters_after_recovery(
    make_outage_app: Callable[..., Flask], postgres: PostgresServer, runs: str
) -> None:
    app = make_outage_app(job_db_retry_for=2)
    start_embedded_worker(app, beat=False)
    postgres.pause()
    sent = {send(app, tasks.record_context, runs, f"lost-{n}") for n in range(3)}
    wait_until(lambda: len(spooled(app)) == 3, "three jobs to give up into the spool")
    assert stop_embedded_worker(app)
    postgres.resume()

    # `versehub jobs failed` imports the spool first, so the operator sees every failed job.
    result = app.test_cli_runner().invoke(cli, ["jobs", "failed", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["task_id"] for row in rows} == sent
    assert {row["error_type"] for row in rows} == {"sqlalchemy.exc.OperationalError"}
    assert spooled(app) == []
    again = app.test_cli_runner().invoke(cli, ["jobs", "failed", "--json"])
    assert len(json.loads(again.output)) == 3  # imported once, never twice
    assert not any(line.startswith("context lost") for line in tasks.lines(runs))


def test_a_spooled_dead_letter_keeps_secrets_out(
    make_outage_app: Callable[..., Flask], postgres: PostgresServer
) -> None:
    app = make_outage_app()
    postgres.pause()
    try:
        with app.app_context():
            keep_dead_letter(
                app,
                dead_letter_values(
                    task_id="t-1",
                    task_name="tests.secret",
                    args=[],
                    kwargs={},
                    retries=0,
                    error=RuntimeError("failed with token=Bearer abcdefghijklmnop"),
                    traceback="password=hunter2hunter2",
                ),
            )
        (file,) = spooled(app)
        text = file.read_text()
        assert "abcdefghijklmnop" not in text
        assert "hunter2" not in text
        assert "[REDACTED]" in text
    finally:
        postgres.resume()

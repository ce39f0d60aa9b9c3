"""Fixtures for the job tests: apps with small retry backoff, a real worker, a runs file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import AppFactory
from versehub.core.jobs import leases, start_embedded_worker, stop_embedded_worker

# Small backoff (at most 1 s per retry) and few retries keep failure paths quick; a database
# outage is waited out for 10 s.
JOB_TEST_SETTINGS: dict[str, Any] = {
    "job_retry_backoff_max": 1,
    "job_max_retries": 2,
    "job_db_retry_backoff_max": 1,
    "job_db_retry_for": 10,
}


@pytest.fixture(autouse=True)
def _release_leases() -> Iterator[None]:
    """After each test (workers stopped by then), drop this process's locks on its broker files."""
    yield
    leases.release_all()


@pytest.fixture
def make_jobs_app(make_app: AppFactory) -> Iterator[Callable[..., Flask]]:
    """Apps with test job settings; their Celery connections are closed afterwards."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = make_app(**{**JOB_TEST_SETTINGS, **overrides})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        stop_embedded_worker(app, timeout=30)
        app.extensions["celery"].close()


@pytest.fixture
def jobs_app(make_jobs_app: Callable[..., Flask]) -> Flask:
    """An app on the embedded SQLite broker in this test's instance folder."""
    return make_jobs_app()


@pytest.fixture
def worker(jobs_app: Flask) -> Iterator[Flask]:
    """`jobs_app` with its embedded worker running (stopped, and checked, afterwards)."""
    start_embedded_worker(jobs_app, beat=False)
    yield jobs_app
    assert stop_embedded_worker(jobs_app, timeout=30)


@pytest.fixture
def runs(tmp_path: Path) -> str:
    """The file test tasks append their effects to."""
    return str(tmp_path / "runs.log")

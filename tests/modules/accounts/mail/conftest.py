"""Fixtures of the mail-flow tests: a real SMTP server (aiosmtpd) and apps that send to it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import AppFactory
from tests.modules.accounts.mail.support import SmtpSink
from versehub.core.jobs import leases, start_embedded_worker, stop_embedded_worker

# Small backoff (at most 1 s per retry) and few retries keep the failure paths quick.
MAIL_TEST_SETTINGS: dict[str, Any] = {"job_retry_backoff_max": 1, "job_max_retries": 2}


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 and a free port, collecting every message."""
    sink = SmtpSink(port=free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(autouse=True)
def _release_leases() -> Iterator[None]:
    """After each test (workers stopped by then), drop this process's locks on broker files."""
    yield
    leases.release_all()


@pytest.fixture
def make_mail_app(make_app: AppFactory) -> Iterator[Callable[..., Flask]]:
    """Apps with quick job retries; their workers and Celery connections end with the test."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = make_app(**{**MAIL_TEST_SETTINGS, **overrides})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        assert stop_embedded_worker(app, timeout=30)
        app.extensions["celery"].close()


@pytest.fixture
def smtp_app(make_mail_app: Callable[..., Flask], smtp: SmtpSink) -> Flask:
    """An app that sends mail to `smtp` (plain SMTP, no TLS: a local test server)."""
    return make_mail_app(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none")


@pytest.fixture
def smtp_worker(smtp_app: Flask) -> Flask:
    """`smtp_app` with its embedded job worker running."""
    start_embedded_worker(smtp_app, beat=False)
    return smtp_app

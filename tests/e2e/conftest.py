"""Browser tests: the app served from a thread, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import psycopg
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page
from werkzeug.serving import make_server

from tests.conftest import base_settings, migrate_to_head
from tests.e2e.mailbox import Mailbox
from tests.modules.accounts.support import PASSWORD
from tests.servers import PostgresServer, missing
from versehub import create_app
from versehub.core.errors import APIError
from versehub.core.jobs import leases, start_embedded_worker, stop_embedded_worker
from versehub.extensions import db
from versehub.modules.accounts.api.auth import LOGIN_CHECKS
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import users
from versehub.modules.accounts.service.meta import RequestMeta

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # One element: without it Chromium still looks up outside hosts on every run.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
OTP_USER = "otp-user"
OTP_CODE = "123456"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here needs Chromium: mark them integration (a skip fails under CI=true)."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium (never `playwright install`); fails under CI when it is missing."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not found (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "channel": None,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


def _second_factor(*, user: User, otp: str | None) -> None:
    # A stand-in for the TOTP check, for one account, so the code field can be tested here.
    if user.username != OTP_USER:
        return
    if otp is None:
        raise APIError("AUTH_2FA_REQUIRED")
    if otp != OTP_CODE:
        raise APIError("AUTH_INVALID_CREDENTIALS")


@dataclass
class LiveServer:
    """The app under test and where it listens."""

    app: Flask
    url: str

    def make_user(self, username: str, **preferences: Any) -> int:
        """An account `username` (password PASSWORD) with these preferences."""
        with self.app.app_context():
            user = users.create(
                email=f"{username}@example.com",
                username=username,
                password=PASSWORD,
                meta=RequestMeta(),
            )
            for name, value in preferences.items():
                setattr(user, name, value)
            from versehub.extensions import db

            db.session.commit()
            return user.id


@contextmanager
def _served(root: Path, url: str) -> Iterator[LiveServer]:
    """The app on the migrated database `url`, served by werkzeug on a free port in a thread."""
    # The port is known once the server listens, and links in mails must point at it: the
    # server starts with a stand-in that hands each request to the app made right after.
    served: list[Flask] = []

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return served[0](environ, start_response)

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app = create_app({**base_settings(root / "instance", url), "public_base_url": base})
    app.extensions[LOGIN_CHECKS].append(_second_factor)
    served.append(app)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=base)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["celery"].close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a migrated SQLite file, served by werkzeug on a free port in a thread."""
    root = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{root / 'e2e.db'}"
    migrate_to_head(url, root / "instance")
    with _served(root, url) as server:
        yield server


@pytest.fixture(scope="session")
def pg_live_server(
    pg_server: PostgresServer, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The same, on a PostgreSQL database of its own (made from the migrated template)."""
    admin_url = pg_server.url("postgres").replace("+psycopg", "")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "vh_e2e" TEMPLATE "{pg_template}"')
    try:
        with _served(tmp_path_factory.mktemp("e2e-pg"), pg_server.url("vh_e2e")) as server:
            yield server
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "vh_e2e" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def any_live_server(request: pytest.FixtureRequest) -> LiveServer:
    """For flows that must hold on both databases: the SQLite and the PostgreSQL live server."""
    name = "live_server" if request.param == "sqlite" else "pg_live_server"
    server: LiveServer = request.getfixturevalue(name)
    return server


@contextmanager
def _mail_for(server: LiveServer) -> Iterator[Mailbox]:
    # Worker threads find their Flask app through Celery's default app, which is the app made
    # last in this process: a test that built another app (and deleted its database) would
    # otherwise have the live server's jobs run against that one.
    server.app.extensions["celery"].set_default()
    start_embedded_worker(server.app, beat=False)
    try:
        yield Mailbox(server.app.extensions["versehub.settings"].instance_path)
    finally:
        assert stop_embedded_worker(server.app, timeout=30)
        leases.release_all()  # this process's lock on the broker file, as after every worker


@pytest.fixture
def mailbox(live_server: LiveServer) -> Iterator[Mailbox]:
    """Mail the live server sends during this test (its job worker runs until the test ends).

    `mailbox.latest_mail(to="ada@example.com")` waits for the message and gives its subject,
    text and links (absolute, pointing at the live server). Mail queued earlier by other tests
    is delivered too, so look mail up by recipient. Celery allows one worker per process, so
    it runs per test, not per session (tests elsewhere start their own).
    """
    with _mail_for(live_server) as box:
        yield box


@pytest.fixture
def any_mailbox(any_live_server: LiveServer) -> Iterator[Mailbox]:
    """`mailbox` for `any_live_server`."""
    with _mail_for(any_live_server) as box:
        yield box


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright opens relative URLs against the live server."""
    return live_server.url


class ConsoleLog:
    """Console messages and page errors of one browser context."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page: Page) -> None:
        """Collect everything `page` reports."""

        def on_console(message: ConsoleMessage) -> None:
            self.messages.append(f"{message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def csp_violations(self) -> list[str]:
        """Messages about the Content Security Policy."""
        return [m for m in self.messages if "Content Security Policy" in m or "CSP" in m]


@pytest.fixture
def console() -> ConsoleLog:
    """A console collector for this test."""
    return ConsoleLog()


@pytest.fixture
def new_context(browser: Browser, base_url: str, console: ConsoleLog) -> Iterator[Any]:
    """Open extra browser contexts (separate cookie jars, like separate devices)."""
    contexts: list[BrowserContext] = []

    def make() -> tuple[BrowserContext, Page]:
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        page = context.new_page()
        console.attach(page)
        return context, page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, login: str, password: str = PASSWORD, otp: str | None = None) -> None:
    """Sign in through the form like a person would."""
    page.goto("/account/login")
    page.get_by_label("Email or username").fill(login)
    page.get_by_label("Password").fill(password)
    if otp is not None:
        page.get_by_label("One-time code").fill(otp)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

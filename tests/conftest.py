"""Fixture chain: servers → database per test (SQLite and PostgreSQL) → app → client."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.servers import (
    PostgresServer,
    RedisServer,
    in_ci,
    missing,
    own_redis_server,
    postgres_bindir,
)
from versehub import create_app
from versehub.core.changes import close_changes
from versehub.extensions import db

TEST_SECRET = "test-secret-key-not-for-production-0123456789abcdef"
TEST_JWT_SECRET = "test-jwt-secret-not-for-production-0123456789abcdef"
_db_counter = itertools.count()


# --- CI: an integration test that skips is a failure -------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if in_ci() and report.skipped and item.get_closest_marker("integration"):
        report.outcome = "failed"
        report.longrepr = f"integration test skipped under CI=true: {report.longrepr}"
    return report


# --- servers (one per test session) ------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole run."""
    bindir = postgres_bindir()
    if bindir is None:
        missing("PostgreSQL server binaries not found (apt-get install postgresql)")
    assert bindir is not None
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the whole run."""
    with own_redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """An empty Redis database for this test."""
    import redis

    url = redis_server.url(0)
    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()
    return url


# --- settings and databases ---------------------------------------------------------------------
def base_settings(instance: Path, database_url: str) -> dict[str, Any]:
    """Settings every test app starts from."""
    return {
        "env": "testing",
        "instance_path": instance,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "jwt_secret_key": TEST_JWT_SECRET,
        "log_level": "WARNING",
        "embedded_worker": False,
        # Limits are tested where they are the subject (tests/core/test_limits*.py).
        "rate_limits_enabled": False,
    }


def migrate_to_head(database_url: str, instance: Path) -> None:
    """Build a database through the real migrations (never `create_all`)."""
    from flask_migrate import upgrade

    app = create_app(base_settings(instance, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    root = tmp_path_factory.mktemp("sqlite-template")
    path = root / "template.db"
    migrate_to_head(f"sqlite:///{path}", root / "instance")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated PostgreSQL database used as TEMPLATE for each test's database."""
    with psycopg.connect(pg_server.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
        c.execute("CREATE DATABASE vh_template")
    migrate_to_head(pg_server.url("vh_template"), tmp_path_factory.mktemp("pg-template"))
    return "vh_template"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Every database test runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def database_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"vh_test_{next(_db_counter)}"
    admin_url = server.url("postgres").replace("+psycopg", "")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- apps ---------------------------------------------------------------------------------------
AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[AppFactory]:
    """Build apps on this test's database (several share it, like gunicorn workers)."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        settings = {**base_settings(tmp_path / "instance", database_url), **overrides}
        app = create_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        close_changes(app)  # the listener's connection would outlive the test's database
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """The app on this test's database."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of `app`."""
    return app.test_client()

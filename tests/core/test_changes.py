"""The change bus: what is not ours is ignored, and a listener that is away bypasses the caches.

The caches it feeds (callers, knowledge answers) are tested in their modules; here the bus itself,
on a real PostgreSQL (a killed listener, a restarted server) and a real SQLite file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from structlog.testing import capture_logs

from tests.conftest import AppFactory, base_settings, migrate_to_head
from tests.modules.accounts.support import bearer, make_user, tokens_for
from tests.servers import PostgresServer, own_postgres_server
from tests.sql import sql_statements
from versehub import create_app
from versehub.core.auth import Principal
from versehub.core.changes import ChangeBus, bus_for, close_changes, decode, encode, publish
from versehub.core.changes.backends import APPLICATION_NAME, CHANNEL
from versehub.core.errors import APIError
from versehub.core.limits.bans import Ban
from versehub.core.limits.state import EXTENSION_KEY
from versehub.extensions import db
from versehub.modules.accounts.api.resolvers import bearer_principal
from versehub.modules.accounts.models import User

ME = "/api/v1/auth/me"


def resolve(app: Flask, token: str) -> tuple[Principal | str, int]:
    """The caller (or the refusal's code) and how many SQL statements resolving it ran."""
    with app.test_request_context(ME, headers=bearer(token)), sql_statements(app) as seen:
        try:
            found: Principal | str | None = bearer_principal()
        except APIError as exc:
            found = exc.code
        finally:
            db.session.remove()
    assert found is not None
    return found, len(seen)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def send_foreign(app: Flask, database_url: str, text: str) -> None:
    """What another program using the same channel (or table) might send."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            conn.execute("INSERT INTO change_log (message) VALUES (?)", (text,))
        conn.close()
        return
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, text))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"v": 2, "topic": "accounts.user", "payload": {}, "origin": "x"}',
        '{"v": 1, "topic": 7, "payload": {}, "origin": "x"}',
        '{"v": 1, "topic": "accounts.user", "payload": [], "origin": "x"}',
        "x" * 8000,
    ],
    ids=["text", "list", "version", "topic-type", "payload-type", "too-long"],
)
def test_a_message_that_is_not_ours_is_ignored(text: str) -> None:
    assert decode(text) is None


def test_ours_round_trips() -> None:
    found = decode(encode("accounts.user", {"id": 3}, "abc"))
    assert found is not None
    assert (found.topic, found.payload, found.origin) == ("accounts.user", {"id": 3}, "abc")


def test_foreign_payloads_are_ignored_and_logged_once(
    make_app: AppFactory, database_url: str
) -> None:
    app = make_app()
    make_user(app)
    token = tokens_for(app.test_client())["access_token"]
    resolve(app, token)
    with capture_logs() as logs:
        for text in ("hello", '{"v": 1}', "hello again"):
            send_foreign(app, database_url, text)
        unknown = encode("someone.else", {}, "another-process")
        send_foreign(app, database_url, unknown)
        send_foreign(app, database_url, unknown)
        # SQLite reads the log when asked (each request); PostgreSQL's listener as it comes.
        wait_for(
            lambda: bus_for(app).ready() and "change_bus_unknown_topic" in _events(logs),
            "the warning",
        )
        # Still listening, still caching: the next request runs no SQL.
        found, statements = resolve(app, token)
    assert isinstance(found, Principal)
    assert statements == 0
    assert _events(logs).count("change_bus_foreign_message") == 1
    assert _events(logs).count("change_bus_unknown_topic") == 1
    assert bus_for(app).state == "connected"


def _events(logs: list[dict[str, object]]) -> list[object]:
    return [entry["event"] for entry in logs]


def test_health_reports_the_bus(make_app: AppFactory, db_backend: str) -> None:
    body = make_app().test_client().get("/health/ready").get_json()
    assert body["checks"]["changes"]["backend"] == db_backend
    assert body["checks"]["changes"]["state"] == "connected"
    assert body["checks"]["changes"]["status"] == "ok"
    off = make_app(change_bus="off").test_client().get("/health/ready").get_json()
    assert off["checks"]["changes"]["backend"] == "off"


@pytest.mark.parametrize("choice", ["redis", "postgresql"])
def test_a_bus_that_cannot_work_here_stops_start_up(tmp_path: Path, choice: str) -> None:
    settings = base_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(Exception, match="VERSEHUB_CHANGE_BUS"):
        create_app({**settings, "change_bus": choice})


def test_a_change_published_in_a_rolled_back_transaction_is_never_heard(
    make_app: AppFactory,
) -> None:
    one, two = make_app(), make_app()
    heard: list[str] = []
    for app in (one, two):
        bus_for(app).subscribe("test.topic", lambda message: heard.append(message.topic))
        bus_for(app).ready()
    with one.app_context():
        db.session.get(User, 1)
        publish("test.topic", {"id": 1})
        db.session.rollback()
        publish("test.topic", {"id": 2})
        db.session.commit()
    wait_for(lambda: bus_for(two).ready() and len(heard) == 2, "the committed message")
    assert heard == ["test.topic", "test.topic"]  # once in each app: the committed one


# --- PostgreSQL: a listener that goes away ------------------------------------------------------
def _terminate_listeners(database_url: str) -> int:
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        ).fetchall()
    return len(rows)


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_a_killed_listener_bypasses_the_cache_then_resyncs(
    make_app: AppFactory, database_url: str
) -> None:
    # A long reconnect delay keeps the listener away while this process is asked.
    one, two = make_app(change_bus_reconnect_delay=3), make_app(change_bus_reconnect_delay=0.1)
    user_id = make_user(one)
    token = tokens_for(one.test_client())["access_token"]
    resolve(one, token)
    assert resolve(one, token)[1] == 0  # cached
    bus = bus_for(one)
    assert _terminate_listeners(database_url) >= 1
    wait_for(lambda: bus.state == "down", "the listener to notice")
    with two.app_context():
        db.session.get_one(User, user_id).is_active = False
        db.session.commit()
    # Down: the database answers (one statement), and the answer is the new one.
    found, statements = resolve(one, token)
    assert (found, statements) == ("AUTH_TOKEN_REVOKED", 1)
    wait_for(lambda: bus.state == "connected", "the listener to resync")
    assert bus.resyncs == 1
    with two.app_context():
        db.session.get_one(User, user_id).is_active = True
        db.session.commit()
    fresh = tokens_for(two.test_client())["access_token"]
    wait_for(lambda: isinstance(resolve(one, fresh)[0], Principal), "the re-enabled user")
    assert resolve(one, fresh)[1] == 0  # cached again


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with own_postgres_server() as server:
        migrate_to_head(server.url("postgres"), tmp_path_factory.mktemp("restart-migrate"))
        yield server


@pytest.mark.integration
def test_a_database_restart_bypasses_then_resyncs(
    own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.url("postgres")
    settings = base_settings(tmp_path / "instance", url)
    one = create_app({**settings, "change_bus_reconnect_delay": 0.2})
    two = create_app(settings)
    try:
        user_id = make_user(one)
        token = tokens_for(one.test_client())["access_token"]
        resolve(one, token)
        assert resolve(one, token)[1] == 0
        bus: ChangeBus = bus_for(one)
        own_server.pause()
        wait_for(lambda: bus.state == "down", "the listener to notice the restart")
        own_server.resume()
        # The first change after the restart may come before the listener is back: never stale.
        with two.app_context():
            db.session.get_one(User, user_id).is_active = False
            db.session.commit()
        wait_for(lambda: resolve(one, token)[0] == "AUTH_TOKEN_REVOKED", "the refusal")
        wait_for(lambda: bus.state == "connected", "the listener to resync")
        assert bus.resyncs >= 1
        resolve(one, token)
        assert resolve(one, token) == ("AUTH_TOKEN_REVOKED", 0)  # cached again, as it now is
    finally:
        for app in (one, two):
            close_changes(app)
            with app.app_context():
                db.engine.dispose()


def test_a_savepoint_rollback_keeps_the_outer_transactions_messages(make_app: AppFactory) -> None:
    app = make_app()
    heard: list[object] = []
    bus_for(app).subscribe("test.topic", lambda message: heard.append(message.payload["id"]))
    with app.app_context():
        publish("test.topic", {"id": 1})
        savepoint = db.session.begin_nested()
        publish("test.topic", {"id": 2})
        savepoint.rollback()
        db.session.commit()
    assert 1 in heard


def test_a_ban_applies_in_every_process_at_once(make_app: AppFactory) -> None:
    # The snapshot is trusted for an hour: only the change bus can bring the ban over.
    one, two = make_app(ban_cache_ttl=3600), make_app(ban_cache_ttl=3600)
    stores = [app.extensions[EXTENSION_KEY].bans for app in (one, two)]
    with two.test_request_context("/"):
        two.preprocess_request()
        assert stores[1].get("ip:192.0.2.1") is None
    now = time.time()
    with one.app_context():
        assert stores[0].add(Ban("ip:192.0.2.1", now, now + 600, 1))

    def banned_in_two() -> bool:
        with two.test_request_context("/"):
            two.preprocess_request()  # the change bus's check runs first
            return stores[1].get("ip:192.0.2.1") is not None

    wait_for(banned_in_two, "the ban in the other process")
    with one.app_context():
        stores[0].lift("ip:192.0.2.1")
    wait_for(lambda: not banned_in_two(), "the lift in the other process")

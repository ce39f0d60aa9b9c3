"""A database outage: 503 with Retry-After (never a 500), one log line per interval, recovery
without restarting the app, and a committed write whose teardown rollback fails keeps its answer.

The outage tests stop and start a PostgreSQL server of their own (the session's shared one stays
up for every other test).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import select
from structlog.testing import capture_logs

from tests.conftest import AppFactory, base_settings, migrate_to_head
from tests.modules.accounts.support import bearer, make_user, tokens_for
from tests.modules.accounts.web_support import web_login
from tests.servers import PostgresServer, free_port, own_postgres_server
from versehub import create_app
from versehub.core.outages import RETRY_AFTER, ThrottledLog
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry


@pytest.fixture(scope="module")
def own_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A dedicated, migrated PostgreSQL server for this module (its tests stop and start it)."""
    with own_postgres_server() as server:
        migrate_to_head(server.url("postgres"), tmp_path_factory.mktemp("outage-migrate"))
        yield server


@pytest.fixture
def outage_app(own_pg: PostgresServer, tmp_path: Path) -> Iterator[Flask]:
    settings = base_settings(tmp_path / "instance", own_pg.url("postgres"))
    app = create_app({**settings, "api_cache_timeout": 0})  # every read reaches the database
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def writer(app: Flask, client: FlaskClient) -> tuple[str, dict[str, str]]:
    name = f"w{time.monotonic_ns()}"[-12:]
    make_user(app, email=f"{name}@example.com", username=name, verified=True)
    return name, bearer(tokens_for(client, name)["access_token"])


def outage_lines(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == "database_unavailable"]


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.data
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    body = response.get_json()
    assert body["success"] is False
    assert body["error"]["code"] == "SYS_SERVICE_UNAVAILABLE"
    assert body["error"]["details"]["retry_after"] == RETRY_AFTER


ENTRIES_QUERY = "{ entries(first: 5) { edges { node { id title } } } }"


@pytest.mark.integration
def test_outage_answers_503_logs_once_and_recovers(
    outage_app: Flask, own_pg: PostgresServer
) -> None:
    client = outage_app.test_client()
    name, headers = writer(outage_app, client)
    browser = outage_app.test_client()
    assert web_login(browser, name).status_code == 302
    assert client.get("/api/v1/entries").status_code == 200
    own_pg.pause()
    try:
        with capture_logs() as logs:
            for _ in range(10):
                assert_unavailable(client.get("/api/v1/entries"))
                assert_unavailable(
                    client.post(
                        "/api/v1/entries",
                        json={"title": "During the outage", "content": "Nothing"},
                        headers=headers,
                    )
                )
            page = browser.get("/account/", headers={"Accept": "text/html"})
            graphql = client.post("/graphql", json={"query": ENTRIES_QUERY})
            signed_in_graphql = client.post(
                "/graphql", json={"query": ENTRIES_QUERY}, headers=headers
            )
    finally:
        own_pg.resume()
    assert page.status_code == 503
    assert page.mimetype == "text/html"
    assert page.headers["Retry-After"] == str(RETRY_AFTER)
    error = graphql.get_json()["errors"][0]
    assert error["extensions"]["code"] == "SYS_SERVICE_UNAVAILABLE"
    assert graphql.headers["Retry-After"] == str(RETRY_AFTER)
    # A bearer token is checked before the operation runs: that fails first, in GraphQL's format.
    assert signed_in_graphql.status_code == 503
    assert signed_in_graphql.headers["Retry-After"] == str(RETRY_AFTER)
    error = signed_in_graphql.get_json()["errors"][0]
    assert error["extensions"]["code"] == "SYS_SERVICE_UNAVAILABLE"
    lines = outage_lines(logs)
    assert len(lines) == 1, lines  # 23 failed requests, one line in the interval
    assert lines[0]["log_level"] == "warning"
    assert "exc_info" not in lines[0]
    assert not [e for e in logs if e["log_level"] in {"error", "critical"} or "exc_info" in e]
    # Back without restarting the app: the pool replaces its dead connections.
    assert client.get("/api/v1/entries").status_code == 200
    created = client.post(
        "/api/v1/entries", json={"title": "After the outage", "content": "Back"}, headers=headers
    )
    assert created.status_code == 201, created.get_json()


@pytest.mark.integration
def test_a_failed_rollback_in_teardown_keeps_the_committed_answer(
    outage_app: Flask, own_pg: PostgresServer
) -> None:
    stopped: list[bool] = []

    @outage_app.after_request
    def stop_database(response: Response) -> Response:
        # The fault lands between the committed write's answer and the session's teardown.
        if response.status_code == 201 and not stopped:
            own_pg.pause()
            stopped.append(True)
        return response

    client = outage_app.test_client()
    _, headers = writer(outage_app, client)

    try:
        with capture_logs() as logs:
            response = client.post(
                "/api/v1/entries", json={"title": "Committed", "content": "Kept"}, headers=headers
            )
    finally:
        own_pg.resume()
    assert stopped
    assert response.status_code == 201, response.data
    assert response.get_json()["success"] is True
    assert "Committed" in response.get_data(as_text=True)
    assert [line["where"] for line in outage_lines(logs)] == ["teardown"]
    with outage_app.app_context():
        assert db.session.scalar(select(Entry.title).where(Entry.title == "Committed"))


def test_sqlite_that_cannot_be_opened_is_503(tmp_path: Path) -> None:
    # A volume that is gone: "unable to open database file".
    app = create_app(base_settings(tmp_path / "instance", f"sqlite:///{tmp_path}/gone/x.db"))
    with capture_logs() as logs:
        response = app.test_client().get("/api/v1/entries")
    assert_unavailable(response)
    assert len(outage_lines(logs)) == 1


def test_a_missing_table_is_a_bug_not_an_outage(tmp_path: Path) -> None:
    app = create_app(base_settings(tmp_path / "instance", f"sqlite:///{tmp_path}/empty.db"))
    response = app.test_client().get("/api/v1/entries")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "SYS_INTERNAL_ERROR"


def test_the_throttled_log_counts_what_it_held_back() -> None:
    throttled = ThrottledLog("probe", interval=0.3)
    with capture_logs() as logs:
        results = [throttled.report(n=n) for n in range(5)]
        time.sleep(0.35)
        results.append(throttled.report(n=5))
    assert results == [True, False, False, False, False, True]
    assert [(e["n"], e["suppressed"]) for e in logs] == [(0, 0), (5, 4)]


def test_the_mail_queue_503_says_when_to_retry(make_app: AppFactory) -> None:
    app = make_app(broker_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    response = app.test_client().post(
        "/api/v1/auth/password-reset/request", json={"email": "ada@example.org"}
    )
    assert response.status_code == 503, response.data
    body = response.get_json()
    assert body["error"]["code"] == "SYS_SERVICE_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) > 0
    assert body["error"]["details"]["retry_after"] == int(response.headers["Retry-After"])

"""Login, registration and refresh use the strict auth limits, per IP and per login name."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import PASSWORD, login, make_user, register


def strict_client(make_app: AppFactory) -> FlaskClient:
    app = make_app(
        rate_limits_enabled=True, rate_limit_auth="4/minute", rate_limit_auth_login="2/minute"
    )
    make_user(app)
    return app.test_client()


def test_login_name_limit_stops_guessing_before_the_lockout(make_app: AppFactory) -> None:
    client = strict_client(make_app)
    statuses = [login(client, "ada", "wrong-password-123").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    third = login(client, "ada", PASSWORD)
    assert third.status_code == 429
    assert third.get_json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(third.headers["Retry-After"]) > 0


def test_ip_limit_is_shared_by_every_auth_route(make_app: AppFactory) -> None:
    client = strict_client(make_app)
    assert login(client, "ada", PASSWORD).status_code == 200
    assert login(client, "someone-else", PASSWORD).status_code == 401
    assert register(client, email="b@example.com", username="bea").status_code == 201
    assert client.post("/api/v1/auth/refresh").status_code == 401
    refused = register(client, email="c@example.com", username="cy")
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "4"

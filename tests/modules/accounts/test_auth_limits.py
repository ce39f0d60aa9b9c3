"""Each authentication action has its own limit per IP; login also one per login name."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    bearer,
    login,
    make_user,
    register,
    tokens_for,
)
from tests.modules.accounts.web_support import web_login


def limited_client(make_app: AppFactory, **limits: Any) -> FlaskClient:
    app = make_app(rate_limits_enabled=True, **limits)
    make_user(app)
    return app.test_client()


def test_login_name_limit_stops_guessing_before_the_lockout(make_app: AppFactory) -> None:
    client = limited_client(make_app, rate_limit_login_name="2/minute")
    statuses = [login(client, "ada", "wrong-password-123").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    third = login(client, "ada", PASSWORD)
    assert third.status_code == 429
    assert third.get_json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(third.headers["Retry-After"]) > 0
    # The name, not the address, ran out: another name from here may still log in.
    assert login(client, "someone-else", PASSWORD).status_code == 401


def test_logins_and_refreshes_do_not_block_a_sign_up(make_app: AppFactory) -> None:
    client = limited_client(make_app)  # the default limits
    for _ in range(3):
        assert login(client).status_code == 200
    refresh = tokens_for(client)["refresh_token"]
    for _ in range(6):
        answer = client.post("/api/v1/auth/refresh", headers=bearer(refresh))
        assert answer.status_code == 200
        refresh = answer.get_json()["data"]["refresh_token"]
    assert register(client, email="bea@example.com", username="bea").status_code == 201


def test_refresh_allows_far_more_than_login(make_app: AppFactory) -> None:
    client = limited_client(make_app)
    refresh = tokens_for(client)["refresh_token"]
    for _ in range(30):
        answer = client.post("/api/v1/auth/refresh", headers=bearer(refresh))
        assert answer.status_code == 200
        refresh = answer.get_json()["data"]["refresh_token"]
    assert answer.headers["X-RateLimit-Limit"] == "60"


# (setting, method and path, JSON body): each action, tripped alone with a limit of 2/minute.
ACTIONS = [
    ("rate_limit_login", "/api/v1/auth/login", {"login": "ada", "password": PASSWORD}),
    (
        "rate_limit_register",
        "/api/v1/auth/register",
        {"email": "bea@example.com", "username": "bea", "password": PASSWORD},
    ),
    ("rate_limit_refresh", "/api/v1/auth/refresh", None),
    ("rate_limit_two_factor", "/api/v1/auth/2fa/confirm", {"otp": "000000", "password": PASSWORD}),
    ("rate_limit_email_verification", "/api/v1/auth/verify-email", {"token": "x" * 20}),
    (
        "rate_limit_password_reset",
        "/api/v1/auth/password-reset",
        {"token": "x" * 20, "new_password": PASSWORD},
    ),
    (
        "rate_limit_password_reset_name",
        "/api/v1/auth/password-reset/request",
        {"email": "ada@example.com"},
    ),
]


@pytest.mark.parametrize(("setting", "path", "body"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_limit_trips_on_its_own(
    make_app: AppFactory, setting: str, path: str, body: dict[str, Any] | None
) -> None:
    client = limited_client(make_app, **{setting: "2/minute"})
    # 2FA routes are for a signed-in person (the login spends the login budget, not this one).
    headers = bearer(tokens_for(client)["access_token"]) if "2fa" in path else {}
    statuses = [client.post(path, json=body, headers=headers).status_code for _ in range(2)]
    assert 429 not in statuses
    refused = client.post(path, json=body, headers=headers)
    assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Limit"] == "2"
    # Every other action from this address keeps its budget.
    if setting == "rate_limit_login":
        assert client.post("/api/v1/auth/refresh").status_code == 401
    else:
        assert login(client).status_code == 200


def test_web_and_api_share_each_actions_bucket(make_app: AppFactory) -> None:
    client = limited_client(make_app, rate_limit_login="2/minute")
    assert login(client).status_code == 200
    assert login(client).status_code == 200
    page = web_login(client)
    assert page.status_code == 429
    assert page.mimetype == "text/html"

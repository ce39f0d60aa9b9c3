"""The sign-in form: lockout, rate limits and the second factor, as on the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    make_user,
)
from tests.modules.accounts.web_support import web_login
from versehub.core.errors import APIError
from versehub.modules.accounts.api.auth import LOGIN_CHECKS
from versehub.modules.accounts.models import User


def test_form_login_locks_out_like_the_api(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    statuses = [web_login(client, password="wrong-password-123").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = web_login(client)
    assert locked.status_code == 423
    assert int(locked.headers["Retry-After"]) > 0
    assert "this account is locked" in locked.get_data(as_text=True)
    assert client.get("/account/").status_code == 302
    # The same lockout holds for the API: one account, one counter.
    api = app.test_client().post("/api/v1/auth/login", json={"login": "ada", "password": PASSWORD})
    assert_error(api, 423, "AUTH_ACCOUNT_LOCKED")


def test_form_login_has_the_strict_rate_limits(make_app: AppFactory) -> None:
    app = make_app(
        rate_limits_enabled=True, rate_limit_login="10/minute", rate_limit_login_name="2/minute"
    )
    make_user(app)
    client = app.test_client()
    statuses = [web_login(client, password="wrong-password-123").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    page = web_login(client)
    assert page.status_code == 429
    assert page.mimetype == "text/html"


@pytest.fixture
def with_second_factor(app: Flask) -> Callable[..., None]:
    """A stand-in 2FA check for `ada` (the real one is tested with the 2FA API)."""

    def check(*, user: User, otp: str | None) -> None:
        if user.username != "ada":
            return
        if otp is None:
            raise APIError("AUTH_2FA_REQUIRED")
        if otp != "123456":
            raise APIError("AUTH_INVALID_CREDENTIALS")

    app.extensions[LOGIN_CHECKS].append(check)
    return check


def test_two_factor_login_asks_for_the_code(
    app: Flask, client: FlaskClient, with_second_factor: Any
) -> None:
    make_user(app)
    first = web_login(client)
    html = first.get_data(as_text=True)
    assert first.status_code == 401
    assert 'autocomplete="one-time-code"' in html
    assert 'value="ada"' in html  # the login name is kept; the password is typed again
    assert client.get("/account/").status_code == 302
    malformed = web_login(client, otp="12")
    assert malformed.status_code == 422
    assert "recovery codes" in malformed.get_data(as_text=True)
    wrong = web_login(client, otp="000000")
    assert wrong.status_code == 401
    assert web_login(client, otp="123 456").status_code == 302  # spaces as an app shows it
    assert client.get("/account/").status_code == 200

"""Web sessions: fresh at login, ended here or everywhere, resolver order, redirects."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import (
    assert_error,
    bearer,
    make_user,
    tokens_for,
)
from tests.modules.accounts.web_support import csrf_token, form_post, user_row, web_login
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.web.session import safe_next


def test_login_starts_a_fresh_session(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = csrf_token(client)
    assert web_login(client).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") is None  # a new token is made on the next form
    assert csrf_token(client, "/account/") != before


def test_logout_ends_only_this_session(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    other = app.test_client()
    web_login(client)
    web_login(other)
    response = form_post(client, "/account/logout", {}, token_from="/account/")
    assert response.headers["Location"] == "/account/login"
    assert client.get("/account/").status_code == 302
    assert other.get("/account/").status_code == 200


def test_logout_everywhere_ends_other_sessions_and_tokens(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    laptop, phone = client, app.test_client()
    web_login(laptop)
    web_login(phone)
    access = tokens_for(app.test_client())["access_token"]
    response = form_post(laptop, "/account/logout-everywhere", {}, token_from="/account/")
    assert response.status_code == 302
    assert user_row(app).token_generation == 1
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 302
    assert_error(
        app.test_client().get("/api/v1/auth/me", headers=bearer(access)), 401, "AUTH_TOKEN_REVOKED"
    )
    assert web_login(phone).status_code == 302  # signing in again works
    assert phone.get("/account/").status_code == 200


def test_bumped_generation_ends_web_session(app: Flask, client: FlaskClient) -> None:
    """What a password reset (or deactivation) does to existing sessions."""
    user_id = make_user(app)
    web_login(client)
    with app.app_context():
        row = db.session.get(User, user_id)
        assert row is not None
        row.token_generation += 1
        db.session.commit()
    assert client.get("/account/").status_code == 302


def test_session_resolver_serves_the_api(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    web_login(client)
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.get_json()["data"]["user"]["username"] == "ada"


def test_session_with_a_bad_bearer_token_is_refused(app: Flask, client: FlaskClient) -> None:
    """Decision: an explicit credential header is judged alone; the cookie does not rescue it."""
    make_user(app)
    web_login(client)
    assert_error(
        client.get("/api/v1/auth/me", headers=bearer("not-a-token")), 401, "AUTH_TOKEN_INVALID"
    )


def test_session_with_another_users_bearer_token_acts_as_the_token(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    make_user(app, email="bea@example.com", username="bea")
    web_login(client)
    access = tokens_for(app.test_client(), "bea")["access_token"]
    me = client.get("/api/v1/auth/me", headers=bearer(access))
    assert me.get_json()["data"]["user"]["username"] == "bea"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "http:/evil.example",
        "",
    ],
)
def test_open_redirect_is_refused(app: Flask, client: FlaskClient, target: str) -> None:
    make_user(app)
    response = web_login(client, next_url=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"


def test_same_site_next_is_followed(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    response = web_login(client, next_url=quote("/account/preferences?tab=1", safe=""))
    assert response.headers["Location"] == "/account/preferences?tab=1"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/account/", "/account/"),
        ("/a?b=c#d", "/a?b=c#d"),
        ("//x.example", None),
        ("/\\x.example", None),
        ("https://x.example", None),
        ("/ok\r\nSet-Cookie: x=1", None),
        (None, None),
        ("relative", None),
    ],
)
def test_safe_next(target: str | None, expected: str | None) -> None:
    assert safe_next(target) == expected

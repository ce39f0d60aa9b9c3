"""CSRF on every form post; the exemptions for token and cookie-less API requests."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    bearer,
    count,
    make_user,
    tokens_for,
)
from tests.modules.accounts.web_support import NEW_USER, csrf_token, user_row, web_login
from versehub.modules.accounts.models import User


def test_form_post_without_csrf_token_is_rejected_and_writes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    client.get("/account/register")  # a session exists; the token is just not sent
    response = client.post("/account/register", data=NEW_USER)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "security token is missing or has expired" in html
    assert "Nothing was saved" in html
    assert "VAL_MALFORMED" in html
    assert count(app, User) == 0


def test_form_post_with_a_wrong_csrf_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    web_login(client)
    response = client.post(
        "/account/preferences",
        data={"visual_density": "5", "reading_level": "3", "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert user_row(app).visual_density == 3


def test_login_form_needs_csrf_even_without_a_session(app: Flask, client: FlaskClient) -> None:
    """Login CSRF: a cross-site form must not sign a victim in to the attacker's account."""
    make_user(app)
    response = client.post("/account/login", data={"login": "ada", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/").status_code == 302


def test_api_call_with_session_cookie_needs_the_csrf_header(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    web_login(client)
    path = "/api/v1/auth/me/preferences"
    refused = client.patch(path, json={"visual_density": 5})
    body = assert_error(refused, 400, "VAL_MALFORMED")
    assert body["error"]["details"]["reason"] == "csrf"
    token = csrf_token(client, "/account/")
    accepted = client.patch(path, json={"visual_density": 5}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert user_row(app).visual_density == 5


def test_api_without_session_cookie_and_token_requests_are_exempt(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    access = tokens_for(client)["access_token"]  # JSON login without a cookie: no CSRF token
    browser = app.test_client()
    web_login(browser)
    # A request authenticated by its bearer header needs no CSRF token, cookie or not.
    answer = browser.patch(
        "/api/v1/auth/me/preferences", json={"reading_level": 2}, headers=bearer(access)
    )
    assert answer.status_code == 200


def test_unknown_route_answers_before_csrf(client: FlaskClient) -> None:
    client.get("/account/login")
    assert client.post("/account/nope").status_code == 404
    assert client.post("/account/").status_code == 405

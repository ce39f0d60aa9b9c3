"""The pages mailed links open: confirm an email address, choose a new password."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import PASSWORD, login, make_user
from tests.modules.accounts.web_support import form_post, user_row, web_login
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import mail_tokens

NEW_PASSWORD = "Quiet-Harbour-Meadow-77"


def link_token(app: Flask, purpose: mail_tokens.Purpose, username: str = "ada") -> str:
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        return mail_tokens.make(purpose, user)


@pytest.fixture
def member(app: Flask) -> int:
    return make_user(app)


def test_opening_a_verify_link_spends_nothing(app: Flask, client: FlaskClient, member: int) -> None:
    token = link_token(app, "verify-email")
    page = client.get(f"/account/verify?token={token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{token}"' in html
    assert "Confirm my email address" in html
    assert user_row(app).email_verified_at is None  # a mail scanner's GET changes nothing


def test_the_button_confirms_once(app: Flask, client: FlaskClient, member: int) -> None:
    token = link_token(app, "verify-email")
    path = f"/account/verify?token={token}"
    done = form_post(client, "/account/verify", {"token": token}, token_from=path)
    assert done.status_code == 302
    assert user_row(app).email_verified_at is not None
    again = form_post(client, "/account/verify", {"token": token}, token_from=path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("token", "message"),
    [("garbage", "not valid"), ("", "has no token")],
    ids=["tampered", "missing"],
)
def test_bad_verify_links_explain_themselves(
    app: Flask, client: FlaskClient, member: int, token: str, message: str
) -> None:
    response = form_post(client, "/account/verify", {"token": token}, token_from="/account/verify")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_row(app).email_verified_at is None


def test_verify_needs_the_csrf_token(app: Flask, client: FlaskClient, member: int) -> None:
    token = link_token(app, "verify-email")
    assert client.post("/account/verify", data={"token": token}).status_code == 400
    assert user_row(app).email_verified_at is None


def test_reset_page_sets_the_password_and_ends_sessions(
    app: Flask, client: FlaskClient, member: int
) -> None:
    other_device = app.test_client()
    assert web_login(other_device).status_code == 302
    token = link_token(app, "password-reset")
    path = f"/account/reset?token={token}"
    assert client.get(path).status_code == 200
    done = form_post(
        client, "/account/reset", {"token": token, "password": NEW_PASSWORD}, token_from=path
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/account/login")
    api = app.test_client()  # no session cookie: an API client
    assert login(api, "ada", PASSWORD).status_code == 401
    assert login(api, "ada", NEW_PASSWORD).status_code == 200
    assert other_device.get("/account/").status_code == 302  # signed out everywhere
    reused = form_post(
        client, "/account/reset", {"token": token, "password": NEW_PASSWORD + "x"}, token_from=path
    )
    assert reused.status_code == 422
    assert "already been used" in reused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("", "Choose a new password"),
    ],
    ids=["policy", "strength", "empty"],
)
def test_reset_page_shows_password_problems_at_the_field(
    app: Flask, client: FlaskClient, member: int, password: str, message: str
) -> None:
    token = link_token(app, "password-reset")
    path = f"/account/reset?token={token}"
    response = form_post(
        client, "/account/reset", {"token": token, "password": password}, token_from=path
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "aria-describedby" in html
    assert login(app.test_client(), "ada", PASSWORD).status_code == 200  # nothing changed

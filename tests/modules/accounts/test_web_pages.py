"""Account pages: markup, forms, and preference-driven rendering."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import (
    count,
    make_user,
)
from tests.modules.accounts.web_support import NEW_USER, csrf_token, form_post, user_row, web_login
from versehub.core.events import get_bus
from versehub.modules.accounts.models import User


def test_login_page_is_accessible_markup(client: FlaskClient) -> None:
    page = client.get("/account/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert '<html lang="en" data-density="3" data-contrast="normal" data-motion="auto">' in html
    assert 'href="#main"' in html
    assert '<main id="main"' in html
    assert 'role="status" aria-live="polite"' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert 'for="login"' in html
    assert 'for="password"' in html
    assert "captcha" not in html.lower()
    assert "onpaste" not in html.lower()
    assert " style=" not in html
    assert " onclick=" not in html
    assert "one-time-code" not in html  # the code field appears only when 2FA asks for it


def test_register_then_sign_in_with_the_form(app: Flask, client: FlaskClient) -> None:
    page = client.get("/account/register").get_data(as_text=True)
    assert 'autocomplete="new-password"' in page
    created = form_post(client, "/account/register", NEW_USER, token_from="/account/register")
    assert created.status_code == 302
    assert created.headers["Location"] == "/account/login"
    assert count(app, User) == 1
    signed_in = web_login(client, "bea@example.com")
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/account/"
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    overview = client.get("/account/")
    assert overview.status_code == 200
    assert "bea@example.com" in overview.get_data(as_text=True)
    assert "Signed in as bea." in overview.get_data(as_text=True)


def test_register_form_shows_service_errors_on_fields(client: FlaskClient) -> None:
    bad = {"email": "not-an-email", "username": "x", "password": "short"}
    page = form_post(client, "/account/register", bad, token_from="/account/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "<title>Error: Create an account" in html
    assert "data-error-summary" in html
    assert 'href="#email"' in html
    assert 'aria-describedby="email-error"' in html or 'email-hint email-error"' in html
    assert 'aria-invalid="true"' in html


def test_register_form_refuses_a_weak_password_and_says_why(
    app: Flask, client: FlaskClient
) -> None:
    weak = {"email": "bea@example.com", "username": "bea", "password": "password1234"}
    page = form_post(client, "/account/register", weak, token_from="/account/register")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Password is too easy to guess (strength 1 of 4, at least 3 needed)" in html
    assert 'href="#password"' in html


def test_anonymous_overview_redirects_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_logout_is_post_only(client: FlaskClient) -> None:
    assert client.get("/account/logout").status_code == 405


def test_preferences_form_saves_publishes_and_renders(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    web_login(client)
    seen: list[dict[str, Any]] = []
    with app.app_context():
        get_bus().subscribe("preferences.updated", lambda _n, payload: seen.append(payload))
    data = {
        "visual_density": "5",
        "reading_level": "2",
        "high_contrast": "y",
        "reduced_motion": "y",
        "preferred_sign_language": "nzs",
    }
    saved = form_post(client, "/account/preferences", data, token_from="/account/preferences")
    assert saved.status_code == 302
    assert seen
    assert seen[0]["user_id"] == user_row(app).id
    page = client.get("/account/preferences").get_data(as_text=True)
    assert '<html lang="en" data-density="5" data-contrast="high" data-motion="reduce">' in page
    assert "Preferences saved" in page
    row = user_row(app)
    assert (row.visual_density, row.reading_level, row.preferred_sign_language) == (5, 2, "nzs")
    assert row.high_contrast
    assert row.reduced_motion


def test_density_chooses_secondary_blocks(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    web_login(client)
    token = csrf_token(client, "/account/preferences")
    base = {"reading_level": "3", "csrf_token": token}
    client.post("/account/preferences", data={**base, "visual_density": "1"})
    sparse = client.get("/account/").get_data(as_text=True)
    client.post("/account/preferences", data={**base, "visual_density": "5"})
    dense = client.get("/account/").get_data(as_text=True)
    assert "Member since" not in sparse
    assert "Member since" in dense
    assert 'data-density="1"' in sparse
    assert 'data-density="5"' in dense


@pytest.mark.parametrize(
    ("field", "value"),
    [("visual_density", "6"), ("reading_level", "0"), ("preferred_sign_language", "not a code")],
)
def test_preferences_form_rejects_bad_values(
    app: Flask, client: FlaskClient, field: str, value: str
) -> None:
    make_user(app)
    web_login(client)
    data = {"visual_density": "3", "reading_level": "3", field: value}
    page = form_post(client, "/account/preferences", data, token_from="/account/preferences")
    assert page.status_code == 422
    assert "There is a problem" in page.get_data(as_text=True)
    assert user_row(app).preferred_sign_language is None


def test_register_form_lists_every_problem_at_once(app: Flask, client: FlaskClient) -> None:
    bad = {"email": "x", "username": "", "password": ""}
    page = form_post(client, "/account/register", bad, token_from="/account/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    for message in ("name@example.com", "Choose a username", "Choose a password"):
        assert message in html
    assert count(app, User) == 0

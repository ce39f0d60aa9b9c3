"""The preferences page for everyone: the account (signed in) or the display cookie (anonymous)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import make_user
from tests.modules.accounts.web_support import csrf_token, form_post, user_row, web_login
from versehub.core.presentation import COOKIE

PREFS = "/account/preferences"
HIGH_SPARSE = {
    "visual_density": "1",
    "reading_level": "2",
    "high_contrast": "y",
    "reduced_motion": "y",
    "preferred_sign_language": "bfi",
}


def html_tag(client: FlaskClient, path: str = "/account/login") -> str:
    match = re.search(r"<html [^>]*>", client.get(path).get_data(as_text=True))
    assert match
    return match.group(0)


def test_anonymous_visitor_sees_the_form_with_sign_languages_by_name(client: FlaskClient) -> None:
    page = client.get(PREFS)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Display settings</h1>" in html
    assert 'class="input input--medium" id="preferred_sign_language" name=' in html
    # "None" first, then the languages by name, valued by their ISO 639-3 codes.
    options = re.findall(r'<option (?:selected )?value="([^"]*)"[^>]*>([^<]*)</option>', html)
    assert options[0] == ("", "None")
    assert ("bfi", "British Sign Language (BSL)") in options
    assert 'data-presentation-scope data-preview data-density="3"' in html
    assert "js/preferences.js" in html
    assert " style=" not in html


def test_anonymous_choices_go_into_the_signed_cookie_and_drive_the_next_page(
    client: FlaskClient,
) -> None:
    saved = form_post(client, PREFS, HIGH_SPARSE, token_from=PREFS)
    assert saved.status_code == 302
    cookie = saved.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{COOKIE}=") and "HttpOnly" in c for c in cookie)
    page = client.get(PREFS).get_data(as_text=True)
    assert "Display settings saved in this browser" in page
    assert '<option selected value="bfi">' in page
    assert 'checked class="radio" id="visual_density-0"' in page
    assert 'data-preview data-density="1" data-contrast="high" data-motion="reduce"' in page
    assert (
        html_tag(client)
        == '<html lang="en" data-density="1" data-contrast="high" data-motion="reduce">'
    )


def test_reset_forgets_the_cookie(client: FlaskClient) -> None:
    form_post(client, PREFS, HIGH_SPARSE, token_from=PREFS)
    reset = form_post(client, f"{PREFS}/reset", {}, token_from=PREFS)
    assert reset.status_code == 302
    assert any(c.startswith(f"{COOKIE}=;") for c in reset.headers.getlist("Set-Cookie"))
    assert "Back to the default settings" in client.get(PREFS).get_data(as_text=True)
    assert 'data-density="3" data-contrast="normal" data-motion="auto"' in html_tag(client)


@pytest.mark.parametrize(
    "value",
    ["garbage", "x" * 600, "eyJkZW5zaXR5IjoxfQ.forged-signature", "", "%00%ff"],
    ids=["garbage", "too-long", "forged", "empty", "binary"],
)
def test_garbage_cookie_values_fall_back_to_the_defaults(client: FlaskClient, value: str) -> None:
    client.set_cookie(COOKIE, value)
    page = client.get(PREFS)
    assert page.status_code == 200
    assert 'data-density="3" data-contrast="normal" data-motion="auto"' in html_tag(client, PREFS)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("visual_density", "9", "Not a valid choice"),
        ("reading_level", "<script>alert(1)</script>", "Not a valid choice"),
        ("preferred_sign_language", "Klingon", "Choose a sign language from the list"),
        ("preferred_sign_language", "x" * 300, "Field cannot be longer than 64 characters"),
        ("preferred_sign_language", "<img src=x onerror=alert(1)>", "Choose a sign language"),
        ("preferred_sign_language", "javascript:alert(1)", "Choose a sign language"),
    ],
)
def test_bad_values_are_explained_and_nothing_is_saved(
    client: FlaskClient, field: str, value: str, message: str
) -> None:
    page = form_post(client, PREFS, {**HIGH_SPARSE, field: value}, token_from=PREFS)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "There is a problem" in html
    assert message in html
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert not any(c.startswith(COOKIE) for c in page.headers.getlist("Set-Cookie"))


def test_missing_csrf_token_saves_nothing(client: FlaskClient) -> None:
    client.get(PREFS)
    page = client.post(PREFS, data=HIGH_SPARSE)
    assert page.status_code == 400
    assert "security token" in page.get_data(as_text=True)
    assert not any(c.startswith(COOKIE) for c in page.headers.getlist("Set-Cookie"))
    assert client.post(f"{PREFS}/reset").status_code == 400


def test_signed_in_reader_saves_on_the_account_not_in_a_cookie(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    web_login(client)
    assert "<h1>Preferences</h1>" in client.get(PREFS).get_data(as_text=True)
    saved = form_post(client, PREFS, HIGH_SPARSE, token_from=PREFS)
    assert saved.status_code == 302
    assert not any(c.startswith(COOKIE) for c in saved.headers.getlist("Set-Cookie"))
    row = user_row(app)
    assert (row.visual_density, row.preferred_sign_language, row.high_contrast) == (1, "bfi", True)
    overview = client.get("/account/").get_data(as_text=True)
    assert "Preferred sign language: British Sign Language (BSL)" not in overview  # density 1
    reset = form_post(client, f"{PREFS}/reset", {}, token_from=PREFS)
    assert reset.status_code == 302
    row = user_row(app)
    assert (row.visual_density, row.reading_level, row.preferred_sign_language) == (3, 3, None)
    assert not row.high_contrast
    assert not row.reduced_motion


def test_expired_session_falls_back_to_the_anonymous_path(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    web_login(client)
    token = csrf_token(client, PREFS)
    with app.app_context():
        from versehub.extensions import db
        from versehub.modules.accounts.models import User

        user = db.session.get(User, user_row(app).id)
        assert user is not None
        user.token_generation += 1  # "sign out everywhere" elsewhere: this session has ended
        db.session.commit()
    saved = client.post(PREFS, data={**HIGH_SPARSE, "csrf_token": token})
    assert saved.status_code == 302
    assert user_row(app).visual_density == 3  # the account is untouched
    assert any(c.startswith(f"{COOKIE}=") for c in saved.headers.getlist("Set-Cookie"))

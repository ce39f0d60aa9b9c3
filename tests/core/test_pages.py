"""core.pages (whole page or HTMX fragment, page guards) and the anonymous display cookie."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, Response, make_response
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from jinja2 import ChoiceLoader, DictLoader

from tests.conftest import AppFactory
from tests.modules.accounts.support import make_user
from tests.modules.accounts.web_support import web_login
from versehub.core import sign_languages
from versehub.core.pages import render_page, role_page, signed_in_page
from versehub.core.presentation import (
    COOKIE,
    Presentation,
    current_presentation,
    set_presentation_cookie,
)

TEMPLATES = {
    "t/page.html": (
        "{% extends 'base.html' %}{% block title %}Test page{% endblock %}"
        "{% block content %}<h1>Whole page</h1>{% include 't/_part.html' %}"
        "{% include 't/_other.html' %}{% endblock %}"
    ),
    "t/_part.html": "<div id='part'>part {{ value }}</div>",
    "t/_other.html": "<div id='other'>other {{ value }}</div>",
}


def _routes() -> Blueprint:
    bp = Blueprint("t", __name__)

    @bp.get("/t/page")
    def page() -> Response:
        return render_page("t/page.html", fragment="t/_part.html", value=7)

    @bp.get("/t/targets")
    def targets() -> Response:
        return render_page(
            "t/page.html", fragment={"part": "t/_part.html", "other": "t/_other.html"}, value=8
        )

    @bp.get("/t/members")
    @signed_in_page
    def members() -> str:
        return "for members"

    @bp.get("/t/editors")
    @role_page("editor")
    def editors() -> str:
        return "for editors"

    @bp.get("/t/display")
    def display() -> Response:
        response = make_response("set")
        set_presentation_cookie(
            response, Presentation(density=5, contrast="high", motion="reduce", sign_language="bfi")
        )
        return response

    @bp.get("/t/presentation")
    def presentation() -> str:
        p = current_presentation()
        return f"{p.density} {p.contrast} {p.motion} {p.reading_level} {p.sign_language}"

    return bp


@pytest.fixture
def page_app(make_app: AppFactory) -> Flask:
    app = make_app()
    app.jinja_loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_loader])  # type: ignore[list-item]
    app.register_blueprint(_routes())
    return app


@pytest.fixture
def page_client(page_app: Flask) -> FlaskClient:
    return page_app.test_client()


def test_a_normal_request_gets_the_whole_page(page_client: FlaskClient) -> None:
    response = page_client.get("/t/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Whole page</h1>" in html
    assert "part 7" in html
    assert html.startswith("<!doctype html>")
    assert "HX-Request" in response.headers["Vary"]
    # htmx is vendored (no CDN) and configured without inline styles or eval (strict CSP).
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert '"includeIndicatorStyles":false' in html
    assert '"allowEval":false' in html


def test_an_htmx_request_gets_only_the_fragment(page_client: FlaskClient) -> None:
    response = page_client.get("/t/page", headers={"HX-Request": "true"})
    assert response.get_data(as_text=True) == "<div id='part'>part 7</div>"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["HX-History-Restore-Request", "HX-Boosted"])
def test_history_restores_and_boosted_links_get_the_whole_page(
    page_client: FlaskClient, header: str
) -> None:
    response = page_client.get("/t/page", headers={"HX-Request": "true", header: "true"})
    assert "<h1>Whole page</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("target", "expected"),
    [("part", "<div id='part'>part 8</div>"), ("other", "<div id='other'>other 8</div>")],
)
def test_the_fragment_follows_the_swapped_element(
    page_client: FlaskClient, target: str, expected: str
) -> None:
    response = page_client.get("/t/targets", headers={"HX-Request": "true", "HX-Target": target})
    assert response.get_data(as_text=True) == expected


def test_an_unknown_target_gets_the_whole_page(page_client: FlaskClient) -> None:
    response = page_client.get("/t/targets", headers={"HX-Request": "true", "HX-Target": "nope"})
    assert "<h1>Whole page</h1>" in response.get_data(as_text=True)


def test_signed_in_pages_send_others_to_sign_in_and_back(
    page_app: Flask, page_client: FlaskClient
) -> None:
    response = page_client.get("/t/members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")
    make_user(page_app, username="ada", email="ada@example.com")
    web_login(page_client, "ada")
    assert page_client.get("/t/members").get_data(as_text=True) == "for members"


def test_role_pages_are_missing_for_those_without_the_role(
    page_app: Flask, page_client: FlaskClient
) -> None:
    assert page_client.get("/t/editors").status_code == 302
    make_user(page_app, username="ada", email="ada@example.com")
    make_user(page_app, username="eve", email="eve@example.com", roles=("editor",))
    web_login(page_client, "ada")
    missing = page_client.get("/t/editors", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert page_client.get("/t/nowhere", headers={"Accept": "text/html"}).status_code == 404
    other = page_app.test_client()
    web_login(other, "eve")
    assert other.get("/t/editors").get_data(as_text=True) == "for editors"


def test_an_anonymous_readers_display_choices_live_in_a_signed_cookie(
    page_client: FlaskClient,
) -> None:
    assert page_client.get("/t/presentation").get_data(as_text=True) == "3 normal auto 3 None"
    set_cookie = page_client.get("/t/display").headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert page_client.get("/t/presentation").get_data(as_text=True) == "5 high reduce 3 bfi"
    html = page_client.get("/t/page").get_data(as_text=True)
    assert 'data-density="5" data-contrast="high" data-motion="reduce"' in html


def _signed(app: Flask, value: object, key: str | None = None) -> str:
    return URLSafeSerializer(key or app.secret_key, salt="versehub.presentation").dumps(value)


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        ("garbage", "3 normal auto 3 None"),
        ("x" * 600, "3 normal auto 3 None"),
        ("signed-elsewhere", "3 normal auto 3 None"),
        ("a list", "3 normal auto 3 None"),
        ("bad values", "3 normal auto 3 None"),
        ("some good values", "1 high auto 3 None"),
    ],
)
def test_a_bad_display_cookie_is_ignored(
    page_app: Flask, page_client: FlaskClient, cookie: str, expected: str
) -> None:
    values = {
        "signed-elsewhere": _signed(page_app, {"density": 5}, key="another-secret"),
        "a list": _signed(page_app, [5, "high"]),
        "bad values": _signed(
            page_app,
            {
                "density": 9,
                "contrast": "<b>",
                "motion": True,
                "reading_level": "5",
                "sign_language": "Klingon",
            },
        ),
        "some good values": _signed(
            page_app, {"density": 1, "contrast": "high", "reading_level": True, "x": 1}
        ),
    }
    page_client.set_cookie(COOKIE, values.get(cookie, cookie))
    response = page_client.get("/t/presentation")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == expected


def test_a_signed_in_readers_stored_preferences_win_over_the_cookie(
    page_app: Flask, page_client: FlaskClient
) -> None:
    page_client.get("/t/display")
    make_user(page_app, username="ada", email="ada@example.com")
    web_login(page_client, "ada")
    assert page_client.get("/t/presentation").get_data(as_text=True) == "3 normal full 3 None"


def test_sign_languages_are_iso_639_3_codes_found_by_any_name() -> None:
    assert sign_languages.resolve("BSL") == sign_languages.BY_CODE["bfi"]
    assert sign_languages.resolve(" american sign language ") == sign_languages.BY_CODE["ase"]
    assert sign_languages.resolve("fsl") == sign_languages.BY_CODE["fsl"]
    assert sign_languages.resolve("Klingon") is None
    assert sign_languages.known("ASL") is None
    assert sign_languages.known("ase") == "ase"
    assert sign_languages.name_of("bfi") == "British Sign Language (BSL)"
    assert sign_languages.name_of("asf") == "Auslan (Australian Sign Language)"
    assert all(len(code) == 3 and code.islower() for code in sign_languages.CODES)
    names = [language.name for language in sign_languages.SIGN_LANGUAGES]
    assert names == sorted(names)

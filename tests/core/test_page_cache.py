"""The page cache: anonymous pages stored per presentation and fragment, per-request secrets put
in on every answer, signed-in readers and personal answers never cached, changes heard at once."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    make_response,
    render_template_string,
    request,
    session,
)
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from versehub.core.auth import Principal, register_resolver
from versehub.core.changes import bus_for
from versehub.core.page_cache import cached_page, invalidate_pages, invalidate_pages_on
from versehub.core.presentation import Presentation, set_presentation_cookie

PAGE = "/pagecachetest/page"
TOPIC = "pagecachetest.things"
TEMPLATE = """<!doctype html>
<html data-density="{{ presentation.density }}" data-contrast="{{ presentation.contrast }}">
<head>
<meta name="csrf-token" content="{{ csrf_token() }}">
<script src="/static/js/page.js" nonce="{{ csp_nonce() }}" defer></script>
</head>
<body>
<p id="thing">{{ thing }}</p>
<p>{{ 'fragment' if request.headers.get('HX-Request') else 'whole page' }}</p>
<p>{{ request.args.get('q', '') }}</p>
<form method="post" action="/pagecachetest/form">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<button type="submit">Send</button>
</form>
</body>
</html>
"""
Renders = list[str]


def page_blueprint(renders: Renders, thing: dict[str, str]) -> Blueprint:
    """A cached page (and ways for it to answer what must not be stored)."""
    bp = Blueprint("pagecachetest", __name__)

    @bp.get(PAGE)
    @cached_page
    def page() -> str:
        renders.append(request.full_path)
        answer = request.args.get("answer")
        if answer == "missing":
            return make_response(render_template_string(TEMPLATE, thing="gone"), 404)  # type: ignore[return-value]
        if answer == "session":
            session["seen"] = "yes"
        if answer == "cookie":
            response = make_response(render_template_string(TEMPLATE, thing=thing["value"]))
            response.set_cookie("chosen", "1")
            return response  # type: ignore[return-value]
        return render_template_string(TEMPLATE, thing=thing["value"])

    @bp.get("/pagecachetest/layout")
    @cached_page
    def layout() -> str:
        renders.append(request.full_path)
        return render_template_string(
            '{% extends "base.html" %}{% block title %}Layout{% endblock %}'
            "{% block content %}<h1>Layout</h1>{% endblock %}"
        )

    @bp.get("/pagecachetest/display")
    def display() -> Response:
        response = make_response("chosen")
        set_presentation_cookie(response, Presentation(density=1, contrast="high"))
        return response

    @bp.post("/pagecachetest/form")
    def form() -> str:
        return "accepted"

    @bp.get("/pagecachetest/flash")
    def flash_something() -> str:
        flash("Saved", "success")
        return "flashed"

    return bp


def signed_in() -> Principal | None:
    """A fake resolver: `X-Test-As: member` is a signed-in member."""
    if request.headers.get("X-Test-As") == "member":
        return Principal(kind="user", user_id=1, roles=frozenset({"member"}))
    return None


@pytest.fixture
def renders() -> Renders:
    return []


@pytest.fixture
def thing() -> dict[str, str]:
    return {"value": "first"}


@pytest.fixture
def page_app(make_app: AppFactory, renders: Renders, thing: dict[str, str]) -> Callable[..., Flask]:
    def build(**settings: Any) -> Flask:
        app = make_app(**settings)
        register_resolver(app, signed_in)
        app.register_blueprint(page_blueprint(renders, thing))
        invalidate_pages_on(app, TOPIC)
        return app

    return build


@pytest.fixture
def app(page_app: Callable[..., Flask]) -> Flask:
    return page_app()


def nonce_in(response: Any) -> tuple[str, str]:
    """The nonce in the page's script tag and the one in its CSP header."""
    body = re.search(r'nonce="([^"]+)"', response.get_data(as_text=True))
    header = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert body is not None
    assert header is not None
    return body.group(1), header.group(1)


def tokens_in(response: Any) -> set[str]:
    """Every CSRF token in the page (the meta tag and the hidden fields)."""
    text = response.get_data(as_text=True)
    return set(re.findall(r'name="csrf-token" content="([^"]+)"', text)) | set(
        re.findall(r'name="csrf_token" value="([^"]+)"', text)
    )


def test_an_anonymous_page_is_rendered_once_then_served_from_the_cache(
    client: FlaskClient, renders: Renders
) -> None:
    first, second = client.get(PAGE), client.get(PAGE)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
    assert renders == [f"{PAGE}?"]
    assert second.mimetype == "text/html"
    assert "first" in second.get_data(as_text=True)
    assert "vhslot" not in first.get_data(as_text=True) + second.get_data(as_text=True)


def test_two_visitors_never_get_each_others_nonce_or_token(app: Flask) -> None:
    one, two = app.test_client(), app.test_client()
    answers = {"one": [one.get(PAGE), one.get(PAGE)], "two": [two.get(PAGE), two.get(PAGE)]}
    assert [a.headers["X-Page-Cache"] for a in answers["one"] + answers["two"]] == [
        "miss",
        "hit",
        "hit",
        "hit",
    ]
    nonces = []
    for responses in answers.values():
        for response in responses:
            in_body, in_header = nonce_in(response)
            assert in_body == in_header  # the script runs under this answer's own policy
            nonces.append(in_body)
    assert len(set(nonces)) == 4  # a fresh nonce per answer, cached or not
    tokens = {name: set().union(*(tokens_in(r) for r in rs)) for name, rs in answers.items()}
    assert all(len(found) >= 1 for found in tokens.values())
    assert tokens["one"].isdisjoint(tokens["two"])
    # Each visitor's token is the one their own session accepts, and only theirs.
    token_one, token_two = next(iter(tokens["one"])), next(iter(tokens["two"]))
    assert one.post("/pagecachetest/form", data={"csrf_token": token_one}).status_code == 200
    assert two.post("/pagecachetest/form", data={"csrf_token": token_two}).status_code == 200
    assert two.post("/pagecachetest/form", data={"csrf_token": token_one}).status_code == 400


def test_the_real_layout_is_served_with_this_requests_nonce_and_token(app: Flask) -> None:
    one, two = app.test_client(), app.test_client()
    first, second = one.get("/pagecachetest/layout"), two.get("/pagecachetest/layout")
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
    for response in (first, second):
        header_nonce = nonce_in(response)[1]
        body = response.get_data(as_text=True)
        assert set(re.findall(r'nonce="([^"]+)"', body)) == {header_nonce}
    assert tokens_in(first).isdisjoint(tokens_in(second))


def test_each_presentation_query_and_fragment_has_its_own_entry(
    client: FlaskClient, renders: Renders
) -> None:
    variants = [
        ({}, ""),
        ({}, "?_presentation=d1-high"),
        ({}, "?_presentation=d5-normal"),
        ({}, "?q=signs"),
        ({"HX-Request": "true"}, ""),
        ({"HX-Request": "true", "HX-Target": "results"}, ""),
    ]
    for headers, query in variants:
        assert client.get(PAGE + query, headers=headers).headers["X-Page-Cache"] == "miss"
    for headers, query in variants:
        assert client.get(PAGE + query, headers=headers).headers["X-Page-Cache"] == "hit"
    assert len(renders) == len(variants)
    dense = client.get(PAGE + "?_presentation=d1-high").get_data(as_text=True)
    assert 'data-density="1" data-contrast="high"' in dense
    assert "fragment" in client.get(PAGE, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "whole page" in client.get(PAGE).get_data(as_text=True)
    # The same parameters in another order are the same page.
    client.get(PAGE + "?a=1&b=2")
    assert client.get(PAGE + "?b=2&a=1").headers["X-Page-Cache"] == "hit"


def test_an_anonymous_readers_display_cookie_selects_their_own_entry(app: Flask) -> None:
    chooser, other = app.test_client(), app.test_client()
    chooser.get("/pagecachetest/display")  # density 1, high contrast, in the signed cookie
    other_first = other.get(PAGE)
    chosen = chooser.get(PAGE)
    assert (other_first.headers["X-Page-Cache"], chosen.headers["X-Page-Cache"]) == (
        "miss",
        "miss",
    )
    assert 'data-density="1" data-contrast="high"' in chosen.get_data(as_text=True)
    assert chooser.get(PAGE).headers["X-Page-Cache"] == "hit"
    again = other.get(PAGE)
    assert again.headers["X-Page-Cache"] == "hit"
    assert 'data-density="3" data-contrast="normal"' in again.get_data(as_text=True)


def test_signed_in_readers_and_bad_credentials_are_never_served_nor_stored(
    client: FlaskClient, renders: Renders
) -> None:
    member = {"X-Test-As": "member"}
    assert [client.get(PAGE, headers=member).headers["X-Page-Cache"] for _ in range(2)] == [
        "bypass",
        "bypass",
    ]
    assert client.get(PAGE).headers["X-Page-Cache"] == "miss"  # nothing was stored for them
    assert client.get(PAGE, headers=member).headers["X-Page-Cache"] == "bypass"
    assert len(renders) == 4


def test_errors_and_answers_that_set_a_cookie_are_not_stored(
    client: FlaskClient, renders: Renders
) -> None:
    for query in ("?answer=missing", "?answer=session", "?answer=cookie"):
        answers = [client.get(PAGE + query) for _ in range(2)]
        assert [a.headers["X-Page-Cache"] for a in answers] == ["bypass", "bypass"]
        for answer in answers:  # rendered for storing, then given their own values after all
            assert "vhslot" not in answer.get_data(as_text=True)
            in_body, in_header = nonce_in(answer)
            assert in_body == in_header
    assert answers[0].headers.get("Set-Cookie", "").startswith("chosen=")
    assert len(renders) == 6


def test_a_reader_with_a_message_waiting_gets_their_own_page(client: FlaskClient) -> None:
    assert client.get(PAGE).headers["X-Page-Cache"] == "miss"
    client.get("/pagecachetest/flash")
    assert client.get(PAGE).headers["X-Page-Cache"] == "bypass"


def test_a_change_on_the_topic_is_seen_by_the_next_request_in_every_process(
    page_app: Callable[..., Flask], thing: dict[str, str]
) -> None:
    one, two = page_app(), page_app()  # two processes on one database
    for app in (one, two):
        client = app.test_client()
        client.get(PAGE)
        assert client.get(PAGE).headers["X-Page-Cache"] == "hit"
    thing["value"] = "second"
    with one.app_context():
        bus_for(one).publish_now(TOPIC, {})
    fresh = one.test_client().get(PAGE)
    assert (fresh.headers["X-Page-Cache"], "second" in fresh.get_data(as_text=True)) == (
        "miss",
        True,
    )
    deadline = time.monotonic() + 15
    while (answer := two.test_client().get(PAGE)).headers["X-Page-Cache"] == "hit":
        assert "first" in answer.get_data(as_text=True)
        assert time.monotonic() < deadline, "the other process never heard the change"
        time.sleep(0.05)
    assert "second" in answer.get_data(as_text=True)


def test_invalidate_pages_empties_the_cache(app: Flask, client: FlaskClient) -> None:
    client.get(PAGE)
    with app.app_context():
        invalidate_pages()
    assert client.get(PAGE).headers["X-Page-Cache"] == "miss"


def test_a_timeout_of_zero_turns_the_cache_off(
    page_app: Callable[..., Flask], renders: Renders
) -> None:
    client = page_app(page_cache_timeout=0).test_client()
    assert [client.get(PAGE).headers["X-Page-Cache"] for _ in range(2)] == ["bypass", "bypass"]
    assert len(renders) == 2


def test_a_post_is_never_cached(client: FlaskClient) -> None:
    response: Response = client.post(PAGE)
    assert response.status_code == 405

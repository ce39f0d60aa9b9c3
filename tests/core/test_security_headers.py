"""Security headers on every response, the CSP nonce, HSTS and cookie flags per environment."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask, Response, render_template_string, send_from_directory, session
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from versehub.core.security import FIXED_HEADERS, HSTS, content_security_policy, csp_nonce

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22})'")
NONCE_PAGE = """<!doctype html>
{% import "sectest/_macros.html" as macros %}
<script nonce="{{ csp_nonce() }}">1</script>
<style nonce="{{ csp_nonce() }}">p {}</style>
{{ macros.tag() }}
"""
# Imported without context: only Jinja globals are visible inside.
MACROS = """{% macro tag() %}<script nonce="{{ csp_nonce() }}">2</script>{% endmacro %}"""

# (method, path, status): pages, API, errors, files, metrics, preflight.
RESPONSES = [
    ("GET", "/health/live", 200),
    ("GET", "/api/v1/system/info", 200),
    ("GET", "/api/v1/nope", 404),
    ("DELETE", "/api/v1/system/info", 405),
    ("POST", "/health/live", 405),
    ("GET", "/nope", 404),
    ("GET", "/metrics", 200),
    ("GET", "/sectest/page", 200),
    ("GET", "/sectest/file/hello.css", 200),
    ("GET", "/sectest/crash", 500),
    ("OPTIONS", "/api/v1/system/info", 200),
    ("HEAD", "/health/live", 200),
]


@pytest.fixture
def db_backend() -> str:
    """Headers do not touch the database: one backend is enough."""
    return "sqlite"


def add_test_routes(app: Flask, files: Path) -> Flask:
    """Routes that render a nonce, serve a file, crash, set a session and set their own headers."""
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"sectest/_macros.html": MACROS}), app.jinja_env.loader]  # type: ignore[list-item]
    )
    files.mkdir(exist_ok=True)
    (files / "hello.css").write_text("p { color: inherit; }\n", encoding="utf-8")

    @app.get("/sectest/page")
    def page() -> str:
        return render_template_string(NONCE_PAGE)

    def file(name: str) -> Response:
        return send_from_directory(files, name)

    # Plain Flask routing: on the OpenAPI app, `@app.get` passes path values only via a path model.
    app.add_url_rule("/sectest/file/<name>", "sectest_file", file)

    @app.get("/sectest/crash")
    def crash() -> Response:
        raise RuntimeError("boom")

    @app.get("/sectest/session")
    def set_session() -> str:
        session["seen"] = True
        return "ok"

    @app.get("/sectest/session-read")
    def read_session() -> str:
        return "seen" if session.get("seen") else "new"

    @app.get("/sectest/own-csp")
    def own_csp() -> Response:
        return Response("x", headers={"Content-Security-Policy": "sandbox"})

    @app.get("/api/v1/auth/sectest-cacheable")
    def auth_cacheable() -> Response:
        return Response("{}", mimetype="application/json", headers={"Cache-Control": "public"})

    @app.get("/api/v1/sectest/cacheable")
    def api_cacheable() -> Response:
        return Response("{}", mimetype="application/json", headers={"Cache-Control": "private"})

    return app


@pytest.fixture
def app(make_app: AppFactory, tmp_path: Path) -> Flask:
    """The testing app with the routes above."""
    return add_test_routes(make_app(), tmp_path / "files")


@pytest.fixture
def production_client(make_app: AppFactory, tmp_path: Path) -> FlaskClient:
    """A production app (strong secrets, no debug) with the routes above."""
    app = make_app(
        env="production",
        secret_key=secrets.token_urlsafe(48),
        jwt_secret_key=secrets.token_urlsafe(48),
        totp_encryption_keys=Fernet.generate_key().decode(),
        debug=False,
    )
    return add_test_routes(app, tmp_path / "files").test_client()


def fetch(client: FlaskClient, method: str, path: str) -> TestResponse:
    """Send a request and close the response (file responses hold an open file)."""
    response = client.open(path, method=method)
    response.close()
    return response


def nonce_of(policy: str) -> str:
    """The one nonce a policy carries (script-src and style-src share it)."""
    found: set[str] = set(NONCE.findall(policy))
    assert len(found) == 1, policy
    return found.pop()


@pytest.mark.parametrize(("method", "path", "status"), RESPONSES)
def test_every_response_has_the_headers(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = fetch(client, method, path)
    assert response.status_code == status
    for name, value in FIXED_HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["Content-Security-Policy"]
    assert policy == content_security_policy(nonce_of(policy))
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(("method", "path", "status"), RESPONSES)
def test_policy_is_strict(client: FlaskClient, method: str, path: str, status: int) -> None:
    policy = fetch(client, method, path).headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    nonce = nonce_of(policy)
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "*" not in policy
    assert directives["script-src"] == f"'self' 'nonce-{nonce}'"
    assert directives["style-src"] == f"'self' 'nonce-{nonce}'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


def test_nonce_differs_per_request(client: FlaskClient) -> None:
    nonces = {
        nonce_of(client.get(path).headers["Content-Security-Policy"])
        for path in ["/health/live"] * 5 + ["/sectest/page"] * 5
    }
    assert len(nonces) == 10


def test_template_nonce_is_the_header_nonce(client: FlaskClient) -> None:
    response = client.get("/sectest/page")
    rendered = re.findall(r'nonce="([^"]*)"', response.get_data(as_text=True))
    assert len(rendered) == 3
    assert set(rendered) == {nonce_of(response.headers["Content-Security-Policy"])}


def test_nonce_is_empty_outside_a_request(app: Flask) -> None:
    with app.app_context():
        assert csp_nonce() == ""
        assert render_template_string("{{ csp_nonce() }}") == ""


def test_nonce_is_stable_within_a_request(app: Flask) -> None:
    with app.test_request_context("/"):
        first = csp_nonce()
        assert len(first) == 22
        assert csp_nonce() == first


def test_a_view_may_set_its_own_policy(client: FlaskClient) -> None:
    response = client.get("/sectest/own-csp")
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/system/info", "no-store"),
        ("/api/v1/nope", "no-store"),
        ("/api/v1/auth/nope", "no-store"),
        # Credentials answers are never cached, even when the view asks for it.
        ("/api/v1/auth/sectest-cacheable", "no-store"),
        # Elsewhere in the API a view that chose its own caching keeps it.
        ("/api/v1/sectest/cacheable", "private"),
    ],
)
def test_api_answers_are_not_stored(client: FlaskClient, path: str, expected: str) -> None:
    assert client.get(path).headers["Cache-Control"] == expected


def test_pages_are_left_to_their_views(client: FlaskClient) -> None:
    assert "no-store" not in client.get("/health/live").headers.get("Cache-Control", "")


# --- production ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "status"), RESPONSES)
def test_production_adds_hsts_and_upgrades(
    production_client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = fetch(production_client, method, path)
    assert response.status_code == status
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert HSTS == "max-age=63072000; includeSubDomains"
    policy = response.headers["Content-Security-Policy"]
    assert policy == content_security_policy(nonce_of(policy), upgrade_insecure=True)
    assert policy.endswith("; upgrade-insecure-requests")


def cookie_flags(client: FlaskClient) -> tuple[str, set[str]]:
    """The session cookie's name=value and its attributes, lower-cased."""
    header = client.get("/sectest/session").headers["Set-Cookie"]
    first, *attributes = (part.strip() for part in header.split(";"))
    return first, {attribute.lower() for attribute in attributes}


def test_production_session_cookie_is_secure(production_client: FlaskClient) -> None:
    first, flags = cookie_flags(production_client)
    assert first.startswith("session=")
    assert {"secure", "httponly", "samesite=lax"} <= flags


def test_development_session_cookie_works_over_http(client: FlaskClient) -> None:
    _, flags = cookie_flags(client)
    assert "secure" not in flags
    assert {"httponly", "samesite=lax"} <= flags


def test_development_has_no_hsts(make_app: AppFactory) -> None:
    response = make_app(env="development").test_client().get("/health/live")
    assert "Strict-Transport-Security" not in response.headers
    assert "upgrade-insecure-requests" not in response.headers["Content-Security-Policy"]


def test_the_session_survives_requests_and_follows_key_rotation(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/sectest/session-read").text == "new"  # no cookie: an empty session
    client.get("/sectest/session")
    assert client.get("/sectest/session-read").text == "seen"
    old_key = app.secret_key
    app.secret_key = "another-" + secrets.token_urlsafe(32)
    assert client.get("/sectest/session-read").text == "new"  # signed with a key no longer ours
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get("/sectest/session-read").text == "seen"  # the old key as a fallback
    client.set_cookie("session", "not-a-signed-value")
    assert client.get("/sectest/session-read").text == "new"

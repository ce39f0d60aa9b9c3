"""CORS on /api/ only, for the configured origins; the settings that configure it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from versehub.core.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, PREFLIGHT_MAX_AGE
from versehub.settings import SettingsError, load_settings

ORIGIN = "https://app.example.org"
OTHER = "https://admin.example.org"
NON_API = ["/health/live", "/nope", "/metrics"]


@pytest.fixture
def db_backend() -> str:
    """CORS does not touch the database: one backend is enough."""
    return "sqlite"


@pytest.fixture
def cors_client(make_app: AppFactory) -> FlaskClient:
    """An app that allows two origins."""
    return make_app(cors_origins=f"{ORIGIN}, {OTHER}").test_client()


def header_set(response: TestResponse, name: str) -> set[str]:
    """A comma-separated header as a lower-cased set."""
    return {part.strip().lower() for part in response.headers.get(name, "").split(",") if part}


def cors_headers(response: TestResponse) -> dict[str, str]:
    """Every Access-Control-* header of a response."""
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def preflight(client: FlaskClient, path: str, origin: str, headers: str = "") -> TestResponse:
    """What a browser sends before a cross-origin DELETE with custom headers."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": headers,
        },
    )


# --- allowed and refused origins ----------------------------------------------------------------
@pytest.mark.parametrize("origin", [ORIGIN, OTHER])
@pytest.mark.parametrize("path", ["/api/v1/system/info", "/api/v1/nope"])
def test_allowed_origin(cors_client: FlaskClient, origin: str, path: str) -> None:
    response = cors_client.get(path, headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert header_set(response, "Access-Control-Expose-Headers") == {
        name.lower() for name in EXPOSED_HEADERS
    }
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "origin" in header_set(response, "Vary")


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://app.example.org.evil.example",
        "https://evilapp.example.org",
        "http://app.example.org",
        "https://app.example.org:8443",
        "null",
    ],
)
def test_refused_origin_gets_no_cors(cors_client: FlaskClient, origin: str) -> None:
    response = cors_client.get("/api/v1/system/info", headers={"Origin": origin})
    assert response.status_code == 200  # the server answers; the browser withholds it
    assert cors_headers(response) == {}
    assert "origin" in header_set(response, "Vary")


def test_no_origin_header_gets_no_cors(cors_client: FlaskClient) -> None:
    assert cors_headers(cors_client.get("/api/v1/system/info")) == {}


# --- preflight ----------------------------------------------------------------------------------
def test_preflight_is_answered(cors_client: FlaskClient) -> None:
    requested = ", ".join(name.lower() for name in ALLOWED_HEADERS)
    response = preflight(cors_client, "/api/v1/system/info", ORIGIN, requested)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert header_set(response, "Access-Control-Allow-Headers") == {
        name.lower() for name in ALLOWED_HEADERS
    }
    assert {"get", "post", "put", "patch", "delete"} <= header_set(
        response, "Access-Control-Allow-Methods"
    )
    assert response.headers["Access-Control-Max-Age"] == str(PREFLIGHT_MAX_AGE)


def test_preflight_leaves_out_headers_not_allowed(cors_client: FlaskClient) -> None:
    response = preflight(cors_client, "/api/v1/system/info", ORIGIN, "authorization, x-evil")
    assert header_set(response, "Access-Control-Allow-Headers") == {"authorization"}


def test_preflight_from_refused_origin(cors_client: FlaskClient) -> None:
    response = preflight(cors_client, "/api/v1/system/info", "https://evil.example", "x-api-key")
    assert cors_headers(response) == {}


# --- outside the API ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", NON_API)
def test_non_api_paths_never_get_cors(cors_client: FlaskClient, path: str) -> None:
    assert cors_headers(cors_client.get(path, headers={"Origin": ORIGIN})) == {}
    assert cors_headers(preflight(cors_client, path, ORIGIN, "authorization")) == {}


def test_lookalike_prefix_is_not_the_api(cors_client: FlaskClient) -> None:
    assert cors_headers(cors_client.get("/apix/v1", headers={"Origin": ORIGIN})) == {}


# --- configurations -----------------------------------------------------------------------------
def test_default_allows_no_origin(client: FlaskClient) -> None:
    response = client.get("/api/v1/system/info", headers={"Origin": ORIGIN})
    assert cors_headers(response) == {}
    assert cors_headers(preflight(client, "/api/v1/system/info", ORIGIN, "authorization")) == {}


def test_wildcard_without_credentials(make_app: AppFactory) -> None:
    client = make_app(cors_origins="*").test_client()
    response = client.get("/api/v1/system/info", headers={"Origin": "https://anyone.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert cors_headers(client.get("/health/live", headers={"Origin": ORIGIN})) == {}


def test_credentials_for_listed_origins(make_app: AppFactory) -> None:
    client = make_app(cors_origins=ORIGIN, cors_allow_credentials=True).test_client()
    allowed = client.get("/api/v1/system/info", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "origin" in header_set(allowed, "Vary")
    refused = client.get("/api/v1/system/info", headers={"Origin": "https://evil.example"})
    assert cors_headers(refused) == {}


# --- settings -----------------------------------------------------------------------------------
@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stray .env or VERSEHUB_CORS_* from the caller's shell."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VERSEHUB_CORS_ORIGINS", raising=False)
    monkeypatch.delenv("VERSEHUB_CORS_ALLOW_CREDENTIALS", raising=False)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("*", ["*"]),
        (ORIGIN, [ORIGIN]),
        (f" {ORIGIN}/ , HTTPS://Admin.Example.org ,, {ORIGIN}", [ORIGIN, OTHER]),
        ("http://127.0.0.1:5000,http://[::1]:8080", ["http://127.0.0.1:5000", "http://[::1]:8080"]),
    ],
)
def test_origins_from_env(raw: str, expected: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSEHUB_CORS_ORIGINS", raw)
    assert load_settings({"env": "testing"}).cors_origins == expected


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    "raw",
    [
        "null",
        "app.example.org",
        "https://*.example.org",
        "https://app.example.org/path",
        "https://user@app.example.org",
        "ftp://app.example.org",
        "https://app.example.org:",
        f"*, {ORIGIN}",
        "https://app.example.org?x=1",
    ],
)
def test_bad_origins_are_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="VERSEHUB_CORS_ORIGINS"):
        load_settings({"env": "testing", "cors_origins": raw})


@pytest.mark.usefixtures("clean_env")
def test_wildcard_with_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSEHUB_CORS_ORIGINS", "*")
    monkeypatch.setenv("VERSEHUB_CORS_ALLOW_CREDENTIALS", "true")
    with pytest.raises(SettingsError, match="VERSEHUB_CORS_ALLOW_CREDENTIALS"):
        load_settings({"env": "testing"})


def test_origins_match_literally(make_app: AppFactory) -> None:
    # "[::1]" read as a regex would be a character class and match "http://1:8080".
    client = make_app(cors_origins="http://[::1]:8080").test_client()
    allowed = client.get("/api/v1/system/info", headers={"Origin": "http://[::1]:8080"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://[::1]:8080"
    for lookalike in ("http://1:8080", "http://::8080"):
        assert cors_headers(client.get("/api/v1/system/info", headers={"Origin": lookalike})) == {}

"""API versions: a deprecated version is marked in headers and in the envelope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Blueprint, Flask, Response

from tests.conftest import AppFactory
from versehub.core.envelope import envelope
from versehub.core.versioning import ApiVersion, register_version, versions

DEPRECATED = datetime(2026, 6, 1, tzinfo=UTC)
SUNSET = datetime(2027, 6, 1, tzinfo=UTC)


@pytest.fixture
def db_backend() -> str:
    return "sqlite"


@pytest.fixture
def two_versions(make_app: AppFactory) -> Flask:
    app = make_app()
    register_version(
        app, ApiVersion("v0", "deprecated", deprecated_at=DEPRECATED, sunset=SUNSET, successor="v1")
    )
    old = Blueprint("v0_ping", __name__, url_prefix="/api/v0")

    @old.get("/system/info")
    def ping() -> Response:
        return envelope({"pong": True})

    app.register_blueprint(old)
    return app


def test_v1_is_current(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/system/info")
    assert "Deprecation" not in response.headers
    assert "Sunset" not in response.headers
    assert response.get_json()["warnings"] == []


def test_deprecated_version_headers_and_warning(two_versions: Flask) -> None:
    response = two_versions.test_client().get("/api/v0/system/info")
    assert response.status_code == 200
    assert response.headers["Deprecation"] == f"@{int(DEPRECATED.timestamp())}"
    assert response.headers["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert response.headers["Link"] == '</api/v1/system/info>; rel="successor-version"'
    warnings = response.get_json()["warnings"]
    assert warnings == ["API v0 is deprecated and will be removed after 2027-06-01; use /api/v1"]


def test_errors_of_a_deprecated_version_are_marked_too(two_versions: Flask) -> None:
    response = two_versions.test_client().get("/api/v0/nothing-here")
    assert response.status_code == 404
    assert "Sunset" in response.headers
    assert response.get_json()["warnings"][0].startswith("API v0 is deprecated")


def test_deprecation_needs_dates(make_app: AppFactory) -> None:
    app = make_app()
    with pytest.raises(ValueError, match="deprecated_at and sunset"):
        register_version(app, ApiVersion("v0", "deprecated"))
    assert set(versions(app)) == {"v1"}

"""The caller's account and accessibility preferences."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error
from versehub.core.events import get_bus

PREFS = "/api/v1/auth/me/preferences"


def test_me_shows_preferences(client: FlaskClient, member_headers: dict[str, str]) -> None:
    user = client.get("/api/v1/auth/me", headers=member_headers).get_json()["data"]["user"]
    assert user["preferences"]["visual_density"] == 3
    assert "password_hash" not in user
    assert "token_generation" not in user


def test_partial_update(app: Flask, client: FlaskClient, member_headers: dict[str, str]) -> None:
    seen: list[dict[str, Any]] = []
    with app.app_context():
        get_bus().subscribe("preferences.updated", lambda _n, payload: seen.append(payload))
    response = client.patch(
        PREFS, json={"reading_level": 1, "high_contrast": True}, headers=member_headers
    )
    prefs = response.get_json()["data"]["user"]["preferences"]
    assert prefs == {
        "preferred_sign_language": None,
        "visual_density": 3,
        "reading_level": 1,
        "reduced_motion": False,
        "high_contrast": True,
    }
    response = client.patch(PREFS, json={"preferred_sign_language": "asl"}, headers=member_headers)
    assert response.get_json()["data"]["user"]["preferences"]["reading_level"] == 1
    assert response.get_json()["data"]["user"]["preferences"]["preferred_sign_language"] == "ase"
    response = client.patch(PREFS, json={"preferred_sign_language": None}, headers=member_headers)
    assert response.get_json()["data"]["user"]["preferences"]["preferred_sign_language"] is None
    assert seen[0]["changed"] == ["high_contrast", "reading_level"]


@pytest.mark.parametrize(
    "body",
    [
        {"visual_density": 0},
        {"visual_density": 6},
        {"reading_level": "3"},
        {"reading_level": 2.5},
        {"reduced_motion": "yes"},
        {"high_contrast": None},
        {"preferred_sign_language": "A"},
        {"preferred_sign_language": "<script>"},
        {"preferred_sign_language": "ASL'; DROP TABLE users; --"},
        {"theme": "dark"},
    ],
)
def test_bad_preferences(client: FlaskClient, member_headers: dict[str, str], body: Any) -> None:
    assert_error(client.patch(PREFS, json=body, headers=member_headers), 422, "VAL_INVALID")
    prefs = client.get("/api/v1/auth/me", headers=member_headers).get_json()["data"]["user"]
    assert prefs["preferences"]["visual_density"] == 3


def test_preferences_need_a_login(client: FlaskClient) -> None:
    assert_error(client.patch(PREFS, json={"reading_level": 2}), 401, "AUTH_REQUIRED")

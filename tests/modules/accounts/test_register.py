"""Registration: validation, uniqueness, the password policy, and bad input of every kind."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    count,
    error_fields,
    register,
)
from versehub.core.events import get_bus
from versehub.modules.accounts.models import AuditEvent, User, UserRole


def test_register_returns_the_public_user(app: Flask, client: FlaskClient) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    with app.app_context():
        get_bus().subscribe("user.created", lambda name, payload: seen.append((name, payload)))
    response = register(
        client,
        email="Ada.Lovelace@Example.COM",
        preferences={"preferred_sign_language": "bsl", "visual_density": 5},
    )
    assert response.status_code == 201
    user = response.get_json()["data"]["user"]
    assert user["email"] == "Ada.Lovelace@example.com"
    assert user["username"] == "ada"
    assert user["roles"] == ["member"]
    assert user["email_verified"] is False
    assert user["preferences"] == {
        "preferred_sign_language": "bfi",
        "visual_density": 5,
        "reading_level": 3,
        "reduced_motion": False,
        "high_contrast": False,
    }
    text = response.get_data(as_text=True)
    assert "argon2" not in text
    assert "password" not in text
    assert seen == [("user.created", {"user_id": user["id"], "username": "ada"})]
    assert count(app, UserRole) == 1
    assert count(app, AuditEvent, AuditEvent.event == "security.user_registered") == 1


def test_email_differing_only_in_case_is_taken(app: Flask, client: FlaskClient) -> None:
    assert register(client, email="ada@example.com").status_code == 201
    body = assert_error(
        register(client, email="ADA@EXAMPLE.COM", username="other"), 409, "RES_ALREADY_EXISTS"
    )
    assert error_fields(body) == {"email"}
    assert count(app, User) == 1


@pytest.mark.parametrize(
    "twin", ["\uff21\uff24\uff2d\uff29\uff2e", "Admin", "ADMIN", "\uff41\uff44\uff4d\uff49\uff4e"]
)
def test_confusable_usernames_collide(app: Flask, client: FlaskClient, twin: str) -> None:
    assert register(client, username="admin").status_code == 201
    body = assert_error(
        register(client, email="other@example.com", username=twin), 409, "RES_ALREADY_EXISTS"
    )
    assert error_fields(body) == {"username"}
    assert count(app, User) == 1


def test_fullwidth_username_is_stored_normalised(client: FlaskClient) -> None:
    response = register(client, username="\uff2c\uff49\uff4e\uff41")
    assert response.get_json()["data"]["user"]["username"] == "Lina"


@pytest.mark.parametrize(
    ("password", "rule", "needle"),
    [
        ("short-1A", "string_too_short", "at least 12"),  # the schema checks length first
        ("qwerty123456", "password_common", "too common"),
        ("QWERTY123456", "password_common", "too common"),
        ("my-ada.lovelace-secret", "password_contains_email", "email address before the @"),
        ("xx-ADALOVE-xx-2024", "password_contains_username", "username"),
        # 12+ characters and outside the top 10,000: only the strength score refuses these.
        ("password1234", "password_too_weak", "too easy to guess"),
        ("aaaaaaaaaaaa", "password_too_weak", "too easy to guess"),
        ("111111111111", "password_too_weak", "too easy to guess"),
        ("123456789012", "password_too_weak", "too easy to guess"),
        ("passwordpassword", "password_too_weak", "too easy to guess"),
    ],
)
def test_password_policy(
    app: Flask, client: FlaskClient, password: str, rule: str, needle: str
) -> None:
    response = register(
        client, email="ada.lovelace@example.com", username="adalove", password=password
    )
    body = assert_error(response, 422, "VAL_INVALID")
    assert error_fields(body) == {"password"}
    broken = {e["type"]: e["message"] for e in body["error"]["errors"]}
    assert needle in broken[rule]
    assert count(app, User) == 0


def test_weak_password_message_names_the_rule_and_zxcvbn_advice(client: FlaskClient) -> None:
    body = assert_error(register(client, password="password1234"), 422, "VAL_INVALID")
    [error] = body["error"]["errors"]
    assert error["type"] == "password_too_weak"
    assert error["message"].startswith("Password is too easy to guess (strength 1 of 4, at least 3")
    assert "common password" in error["message"]


@pytest.mark.parametrize("password", ["Qu4s4rV3x-Z1lt", "xevrasauq-tliz", "zilt-Qu4s4rv3x"])
def test_username_and_email_are_known_words_for_the_score(
    client: FlaskClient, password: str
) -> None:
    # Strong for a stranger (score 4), weak for whoever knows the account's names: l33t,
    # reversed or decorated, they are not substrings, but zxcvbn matches them as user inputs.
    response = register(
        client, email="quasarvex.zilt@example.com", username="quasarvex", password=password
    )
    body = assert_error(response, 422, "VAL_INVALID")
    assert {e["type"] for e in body["error"]["errors"]} == {"password_too_weak"}
    stranger = register(client, email="other@example.com", username="other", password=password)
    assert stranger.status_code == 201


@pytest.mark.parametrize(
    ("email", "password"),
    [
        # A local part under 4 characters is not searched for: "al" is in too many words.
        ("al@example.com", "Vivid-Lantern-Orchard-42"),
        ("bob@example.com", "Bobbin-Lantern-Orchard-42"),
    ],
)
def test_short_email_local_part_is_not_searched(
    client: FlaskClient, email: str, password: str
) -> None:
    assert register(client, email=email, username="zed", password=password).status_code == 201


def test_minimum_score_is_a_setting(make_app: AppFactory) -> None:
    lenient = make_app(password_min_score=0).test_client()
    assert register(lenient, password="password1234").status_code == 201
    assert make_app().extensions["versehub.settings"].password_min_score == 3


def test_megabyte_password_is_refused_quickly_without_hashing(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from versehub.modules.accounts.service import passwords

    def no_hashing(_password: str) -> str:
        raise AssertionError("a huge password must never be hashed")

    monkeypatch.setattr(passwords, "hash_password", no_hashing)
    started = time.perf_counter()
    body = assert_error(register(client, password="a" * 1024 * 1024), 422, "VAL_INVALID")
    assert time.perf_counter() - started < 2
    assert error_fields(body) == {"password"}
    assert count(app, User) == 0


def test_body_over_the_accounts_cap_is_413(app: Flask, client: FlaskClient) -> None:
    assert_error(register(client, password="a" * 3 * 1024 * 1024), 413, "MEDIA_TOO_LARGE")
    assert count(app, User) == 0


@pytest.mark.parametrize("raw", ["[1, 2]", "42", '"text"', "null", "true", "[]"])
def test_non_object_bodies(app: Flask, client: FlaskClient, raw: str) -> None:
    response = client.post("/api/v1/auth/register", data=raw, content_type="application/json")
    assert_error(response, 422, "VAL_INVALID")
    assert count(app, User) == 0


def test_unknown_fields_are_refused(app: Flask, client: FlaskClient) -> None:
    body = assert_error(register(client, is_admin=True, roles=["admin"]), 422, "VAL_INVALID")
    assert error_fields(body) == {"is_admin", "roles"}
    body = assert_error(
        register(client, preferences={"visual_density": 9, "theme": "x"}), 422, "VAL_INVALID"
    )
    assert error_fields(body) == {"preferences.visual_density", "preferences.theme"}
    assert count(app, User) == 0


@pytest.mark.parametrize(
    "field", ["email", "username", "password", "preferences.preferred_sign_language"]
)
@pytest.mark.parametrize(
    "payload",
    [
        "' OR '1'='1' --",
        "x'); DROP TABLE users; --",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
    ],
)
def test_injection_payloads_are_stored_safely_or_refused(
    app: Flask, client: FlaskClient, field: str, payload: str
) -> None:
    body: dict[str, Any] = {"email": "ada@example.com", "username": "ada", "password": PASSWORD}
    if field.startswith("preferences."):
        body["preferences"] = {"preferred_sign_language": payload}
    elif field == "password":
        body["password"] = payload + " long enough passphrase"
    else:
        body[field] = payload
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code in {201, 422}, response.get_json()
    if response.status_code == 201:
        # Stored as data, returned as data (JSON-escaped by the client that renders it).
        assert field == "password"
        assert count(app, User) == 1
    else:
        assert_error(response, 422, "VAL_INVALID")
        assert count(app, User) == 0


def test_sql_looking_email_is_just_an_address(app: Flask, client: FlaskClient) -> None:
    response = register(client, email="o'neil+1=1@example.com")
    assert response.status_code == 201
    assert response.get_json()["data"]["user"]["email"] == "o'neil+1=1@example.com"
    assert count(app, User) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("username", "ab"),
        ("username", "a" * 40),
        ("username", "_leading"),
        ("username", "spa ce"),
        ("username", "semi;colon"),
        ("email", ["ada@example.com"]),
        ("password", 123456789012345),
    ],
)
def test_field_rules(app: Flask, client: FlaskClient, field: str, value: object) -> None:
    body: dict[str, Any] = {"email": "ada@example.com", "username": "ada", "password": PASSWORD}
    body[field] = value
    response = client.post("/api/v1/auth/register", json=body)
    assert error_fields(assert_error(response, 422, "VAL_INVALID")) == {field}
    assert count(app, User) == 0

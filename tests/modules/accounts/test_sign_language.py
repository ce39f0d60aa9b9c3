"""Preferred sign language as an ISO 639-3 code: the API, registration and the migration."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.modules.accounts.support import assert_error, error_fields, make_user, register
from versehub.core import sign_languages
from versehub.extensions import db

PREFS = "/api/v1/auth/me/preferences"
REVISION = "3a7e9c1d5b42"
BEFORE = f"{REVISION}-1"  # whatever revision it follows once chained
migration = importlib.import_module(
    "versehub.migrations.versions.20261207_3a7e9c1d5b42_sign_language_iso_codes"
)


def _language(client: FlaskClient, headers: dict[str, str], value: Any) -> Any:
    return client.patch(PREFS, json={"preferred_sign_language": value}, headers=headers)


@pytest.mark.parametrize(
    "value",
    ["BSL", "bsl", "bfi", "BFI", "British Sign Language", "british sign language", " BSL "],
)
def test_api_accepts_code_abbreviation_or_name_and_answers_the_code(
    client: FlaskClient, member_headers: dict[str, str], value: str
) -> None:
    response = _language(client, member_headers, value)
    assert response.status_code == 200
    assert response.get_json()["data"]["user"]["preferences"]["preferred_sign_language"] == "bfi"
    me = client.get("/api/v1/auth/me", headers=member_headers).get_json()["data"]["user"]
    assert me["preferences"]["preferred_sign_language"] == "bfi"


@pytest.mark.parametrize(
    "value",
    [
        "Klingon",
        "tlh",
        "x" * 65,
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "",
        5,
        ["bfi"],
    ],
)
def test_api_refuses_anything_else_naming_the_field(
    client: FlaskClient, member_headers: dict[str, str], value: Any
) -> None:
    _language(client, member_headers, "ase")
    body = assert_error(_language(client, member_headers, value), 422, "VAL_INVALID")
    assert error_fields(body) == {"preferred_sign_language"}
    me = client.get("/api/v1/auth/me", headers=member_headers).get_json()["data"]["user"]
    assert me["preferences"]["preferred_sign_language"] == "ase"


def test_klingon_is_explained(client: FlaskClient, member_headers: dict[str, str]) -> None:
    body = _language(client, member_headers, "Klingon").get_json()
    (error,) = body["error"]["errors"]
    assert "ISO 639-3" in error["message"]


def test_register_stores_the_code(client: FlaskClient) -> None:
    response = register(
        client, preferences={"preferred_sign_language": "New Zealand Sign Language"}
    )
    assert response.status_code == 201
    prefs = response.get_json()["data"]["user"]["preferences"]
    assert prefs["preferred_sign_language"] == "nzs"
    refused = register(
        client,
        email="bea@example.com",
        username="bea",
        preferences={"preferred_sign_language": "Klingon"},
    )
    assert_error(refused, 422, "VAL_INVALID")


def test_the_migration_mapping_matches_the_shared_list() -> None:
    """Frozen in the revision, but equal to core.sign_languages today."""
    for language in sign_languages.SIGN_LANGUAGES:
        for name in (language.code, language.abbreviation, language.name, language.name.upper()):
            assert migration.new_value(name) == language.code
        assert migration.old_value(language.code) == language.abbreviation.upper()
    assert migration.new_value("KLINGON") is None
    assert migration.old_value("tlh") is None


# (stored by the old schema, after the upgrade, after the downgrade)
ROWS = [
    ("ASL", "ase", "ASL"),
    ("BSL", "bfi", "BSL"),
    ("AUSLAN", "asf", "AUSLAN"),
    ("LSF-CH", "ssr", "LSF-CH"),
    ("NZSL", "nzs", "NZSL"),
    ("KLINGON", None, None),
    ("XX", None, None),
    (None, None, None),
]


def _stored(app: Flask) -> list[str | None]:
    with app.app_context():
        rows = db.session.execute(
            text("SELECT preferred_sign_language FROM users ORDER BY id")
        ).scalars()
        values = list(rows)
        db.session.remove()
        return values


def test_migration_converts_stored_values_and_back(app: Flask) -> None:
    for number in range(len(ROWS)):
        make_user(app, email=f"u{number}@example.com", username=f"user{number}")
    with app.app_context():
        db.session.remove()
        downgrade(revision=BEFORE)
        for number, (old, _, _) in enumerate(ROWS):
            db.session.execute(
                text("UPDATE users SET preferred_sign_language = :v WHERE username = :u"),
                {"v": old, "u": f"user{number}"},
            )
        db.session.commit()
        db.session.remove()
        upgrade(revision=REVISION)
    assert _stored(app) == [new for _, new, _ in ROWS]
    with app.app_context():
        downgrade(revision=BEFORE)
    assert _stored(app) == [back for _, _, back in ROWS]
    with app.app_context():
        upgrade()

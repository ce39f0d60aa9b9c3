"""`Idempotency-Key` on the accounts creates: registration and API keys."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.modules.accounts.support import PASSWORD, assert_error, count
from versehub.core.idempotency import HEADER, REPLAYED_HEADER, IdempotencyRecord
from versehub.extensions import db
from versehub.modules.accounts.models import ApiKey, User

REGISTER = "/api/v1/auth/register"
KEYS = "/api/v1/auth/api-keys"
NEW = {"email": "bea@example.com", "username": "bea", "password": PASSWORD}


def test_a_retried_registration_answers_the_first_account(app: Flask, client: FlaskClient) -> None:
    first = client.post(REGISTER, json=NEW, headers={HEADER: "signup-1"})
    assert first.status_code == 201, first.get_json()
    again = client.post(REGISTER, json=NEW, headers={HEADER: "signup-1"})
    assert again.status_code == 201
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.get_data() == first.get_data()
    assert count(app, User) == 1
    # Without the key a second registration is what it always was.
    assert_error(client.post(REGISTER, json=NEW), 409, "RES_ALREADY_EXISTS")


def test_registration_keys_belong_to_the_client_address(app: Flask, client: FlaskClient) -> None:
    here = {"REMOTE_ADDR": "198.51.100.7"}
    there = {"REMOTE_ADDR": "198.51.100.8"}
    first = client.post(REGISTER, json=NEW, headers={HEADER: "k"}, environ_base=here)
    assert first.status_code == 201
    other = client.post(REGISTER, json=NEW, headers={HEADER: "k"}, environ_base=there)
    assert_error(other, 409, "RES_ALREADY_EXISTS")  # run afresh, not answered from the record
    assert count(app, User) == 1


def test_registration_with_a_bad_token_still_uses_the_key(app: Flask, client: FlaskClient) -> None:
    headers = {HEADER: "k", "Authorization": "Bearer not-a-token"}
    assert client.post(REGISTER, json=NEW, headers=headers).status_code == 201
    again = client.post(REGISTER, json=NEW, headers=headers)
    assert again.headers[REPLAYED_HEADER] == "true"


def test_the_stored_registration_keeps_no_password(app: Flask, client: FlaskClient) -> None:
    assert client.post(REGISTER, json=NEW, headers={HEADER: "k"}).status_code == 201
    with app.app_context():
        (record,) = db.session.scalars(select(IdempotencyRecord))
        stored = f"{record.fingerprint}{record.headers}".encode() + (record.body or b"")
    assert PASSWORD.encode() not in stored
    assert b"bea@example.com" not in stored


def test_a_retried_api_key_create_shows_the_same_key_once_made(
    app: Flask, client: FlaskClient, member_headers: dict[str, str]
) -> None:
    body = {"name": "deploy bot", "scopes": ["entries:read"]}
    headers = {**member_headers, HEADER: "key-1"}
    first = client.post(KEYS, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post(KEYS, json=body, headers=headers)
    assert again.headers[REPLAYED_HEADER] == "true"
    secret = first.get_json()["data"]["api_key"]["key"]
    assert again.get_json()["data"]["api_key"]["key"] == secret
    assert count(app, ApiKey) == 1
    with app.app_context():
        (record,) = db.session.scalars(select(IdempotencyRecord))
        assert record.body is not None
        assert secret.encode() not in record.body  # the key is stored hashed, and here sealed


@pytest.mark.parametrize(
    ("other", "status"),
    [({"name": "other bot", "scopes": ["entries:read"]}, 422), ({"name": ""}, 422)],
    ids=["another-body", "invalid-body"],
)
def test_the_same_key_with_another_body(
    app: Flask,
    client: FlaskClient,
    member_headers: dict[str, str],
    other: dict[str, Any],
    status: int,
) -> None:
    body = {"name": "deploy bot", "scopes": ["entries:read"]}
    headers = {**member_headers, HEADER: "k"}
    assert client.post(KEYS, json=body, headers=headers).status_code == 201
    refused = client.post(KEYS, json=other, headers=headers)
    assert refused.status_code == status
    assert refused.get_json()["error"]["errors"][0]["field"] == HEADER
    assert count(app, ApiKey) == 1


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_the_document_declares_the_header_on_account_creates(
    client: FlaskClient, db_backend: str
) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (REGISTER, KEYS):
        operation = paths[path]["post"]
        assert HEADER in {p["name"] for p in operation["parameters"]}
        assert REPLAYED_HEADER in operation["responses"]["201"]["headers"]
    for path in ("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"):
        names = {p["name"] for p in paths[path]["post"].get("parameters", [])}
        assert HEADER not in names

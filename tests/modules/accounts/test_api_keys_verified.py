"""Creating an API key needs a verified email; a key writes with its owner's verification."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error, bearer, count, make_user, tokens_for
from versehub.modules.accounts.models import ApiKey, AuditEvent

KEYS = "/api/v1/auth/api-keys"
KEY = {"name": "bot", "scopes": ["entries:read", "entries:write"]}


def test_an_unverified_person_cannot_create_a_key(app: Flask, client: FlaskClient) -> None:
    make_user(app, verified=False)
    headers = bearer(tokens_for(client)["access_token"])
    body = assert_error(client.post(KEYS, json=KEY, headers=headers), 403, "AUTH_EMAIL_UNVERIFIED")
    assert "verified" in body["message"].lower()
    assert count(app, ApiKey) == 0
    # Listing one's keys is reading: allowed.
    assert client.get(KEYS, headers=headers).status_code == 200


def test_a_verified_person_creates_a_key(app: Flask, client: FlaskClient) -> None:
    make_user(app, verified=True)
    headers = bearer(tokens_for(client)["access_token"])
    assert client.post(KEYS, json=KEY, headers=headers).status_code == 201
    assert count(app, ApiKey) == 1


def test_a_key_for_an_unverified_owner_reads_but_does_not_write(
    app: Flask, client: FlaskClient
) -> None:
    owner_id = make_user(app, verified=False)
    make_user(app, email="root@example.com", username="root", roles=("admin",), verified=True)
    admin = bearer(tokens_for(client, "root")["access_token"])
    created = client.post(KEYS, json={**KEY, "user_id": owner_id}, headers=admin)
    assert created.status_code == 201, created.get_json()
    key = {"X-API-Key": created.get_json()["data"]["api_key"]["key"]}
    assert client.get("/api/v1/entries", headers=key).status_code == 200
    entry = {"title": "Sign names", "content": "How sign names are given."}
    assert_error(
        client.post("/api/v1/entries", json=entry, headers=key), 403, "AUTH_EMAIL_UNVERIFIED"
    )


def test_an_operator_verifies_an_address_from_the_cli(app: Flask, client: FlaskClient) -> None:
    make_user(app, verified=False)
    headers = bearer(tokens_for(client)["access_token"])
    assert_error(client.post(KEYS, json=KEY, headers=headers), 403, "AUTH_EMAIL_UNVERIFIED")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "verify-email", "ada"])
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    assert "already" not in result.output
    assert client.post(KEYS, json=KEY, headers=headers).status_code == 201
    assert count(app, AuditEvent, AuditEvent.event == "security.email_verified") == 1
    again = runner.invoke(args=["users", "verify-email", "ada@example.com"])
    assert again.exit_code == 0
    assert "already verified" in again.output
    assert count(app, AuditEvent, AuditEvent.event == "security.email_verified") == 1
    missing = runner.invoke(args=["users", "verify-email", "nobody"])
    assert missing.exit_code == 1
    assert "no user 'nobody'" in missing.output

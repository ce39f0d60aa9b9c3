"""The caller resolved once per request with real credentials: bad ones, two at once, limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from tests.modules.accounts.support import assert_error, bearer, make_user, tokens_for
from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.accounts.models import User

ME = "/api/v1/auth/me"
ENTRIES = "/api/v1/entries"
GRAPHQL = "/graphql"
QUERY = "{ entries(first: 1) { edges { node { id } } } }"
Headers = dict[str, str]


def count_resolutions(app: Flask) -> list[str]:
    """Record one item per run of the resolver chain (its first resolver starts every run)."""
    runs: list[str] = []
    resolvers: list[Callable[[], Principal | None]] = app.extensions["versehub.auth_resolvers"]
    first = resolvers[0]

    def counted() -> Principal | None:
        runs.append(first.__name__)
        return first()

    resolvers[0] = counted
    return runs


def call(client: FlaskClient, where: str, headers: Headers) -> TestResponse:
    """GET a REST route, or POST a query to /graphql."""
    if where == GRAPHQL:
        return client.post(GRAPHQL, json={"query": QUERY}, headers=headers)
    return client.get(where, headers=headers)


def error_of(response: TestResponse) -> dict[str, Any]:
    """`code`, `message` and `details` of an envelope or GraphQL transport error."""
    body = response.get_json()
    if "errors" in body:
        first = body["errors"][0]
        return {"message": first["message"], **first["extensions"]}
    return {"message": body["message"], **body["error"]}


def api_key_of(client: FlaskClient, headers: Headers) -> str:
    """A new entries:read key of the person signed in with `headers`."""
    response = client.post(
        "/api/v1/auth/api-keys", json={"name": "bot", "scopes": ["entries:read"]}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    key: str = response.get_json()["data"]["api_key"]["key"]
    return key


@pytest.mark.parametrize("where", [ME, ENTRIES, GRAPHQL])
def test_a_token_of_a_user_deleted_between_two_requests_is_invalid(
    app: Flask, client: FlaskClient, where: str
) -> None:
    user_id = make_user(app)
    headers = bearer(tokens_for(client)["access_token"])
    assert call(client, where, headers).status_code == 200
    with app.app_context():
        db.session.delete(db.session.get_one(User, user_id))
        db.session.commit()
    refused = call(client, where, headers)
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "AUTH_TOKEN_INVALID"


TWO_CREDENTIALS = [
    pytest.param(True, True, id="good-token-good-key"),
    pytest.param(True, False, id="good-token-bad-key"),
    pytest.param(False, True, id="bad-token-good-key"),
]


@pytest.mark.parametrize("where", [ME, ENTRIES, GRAPHQL])
@pytest.mark.parametrize(("good_token", "good_key"), TWO_CREDENTIALS)
def test_a_bearer_token_and_an_api_key_together_are_refused(
    app: Flask, client: FlaskClient, where: str, good_token: bool, good_key: bool
) -> None:
    make_user(app, verified=True)
    token = tokens_for(client)["access_token"]
    key = api_key_of(client, bearer(token))
    headers = {
        "Authorization": f"bearer {token if good_token else 'not-a-token'}",
        "X-API-Key": key if good_key else "vh_nope_nope",
    }
    refused = call(client, where, headers)
    assert refused.status_code == 401
    error = error_of(refused)
    assert error["code"] == "AUTH_TOKEN_INVALID"
    assert "Authorization" in error["message"]
    assert "X-API-Key" in error["message"]
    assert error["details"] == {"headers": ["Authorization", "X-API-Key"]}
    # Each alone is what it always was.
    assert client.get(ME, headers={"X-API-Key": key}).status_code == 200
    assert client.get(ME, headers=bearer(token)).status_code == 200


@pytest.fixture
def limited(make_app: AppFactory) -> Flask:
    """An app whose routes allow 3 requests a minute per caller."""
    return make_app(rate_limits_enabled=True, rate_limit_default="3/minute", ban_threshold=100)


def tampered(token: str) -> str:
    """`token` with a changed signature (still naming its user)."""
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return ".".join([head, payload, signature[:middle] + swapped + signature[middle + 1 :]])


BAD_TOKENS: dict[str, Callable[[FlaskClient, str], str]] = {
    "garbage": lambda client, token: "not-a-token",
    "bad-signature": lambda client, token: tampered(token),
    "logged-out": lambda client, token: logged_out(client),
}


def logged_out(client: FlaskClient) -> str:
    """An access token of `ada` revoked by logging out (another login of hers stays)."""
    token: str = tokens_for(client)["access_token"]
    response = client.post("/api/v1/auth/logout", json={}, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return token


@pytest.mark.parametrize("bad", list(BAD_TOKENS))
def test_a_bad_token_on_a_limited_route_counts_against_the_address(
    limited: Flask, bad: str
) -> None:
    client = limited.test_client()
    make_user(limited)
    good = tokens_for(client)["access_token"]
    token = BAD_TOKENS[bad](client, good)
    runs = count_resolutions(limited)
    for remaining in ("2", "1", "0"):
        refused = client.get(ME, headers=bearer(token))
        assert_error(refused, 401, refused.get_json()["error"]["code"])
        assert refused.get_json()["error"]["code"].startswith("AUTH_TOKEN_")
        assert refused.headers["X-RateLimit-Remaining"] == remaining
    assert len(runs) == 3
    # The address's bucket is spent; the user the token names was never charged.
    assert_error(client.get(ME), 429, "RATE_LIMIT_EXCEEDED")
    mine = client.get(ME, headers=bearer(good))
    assert mine.status_code == 200
    assert mine.headers["X-RateLimit-Remaining"] == "2"


CREDENTIALS: dict[str, Callable[[FlaskClient, str], Headers]] = {
    "anonymous": lambda client, token: {},
    "token": lambda client, token: bearer(token),
    "bad-token": lambda client, token: bearer("not-a-token"),
    "api-key": lambda client, token: {"X-API-Key": api_key_of(client, bearer(token))},
    "bad-api-key": lambda client, token: {"X-API-Key": "vh_nope_nope"},
    "both": lambda client, token: {**bearer(token), "X-API-Key": "vh_nope_nope"},
}


@pytest.mark.parametrize("where", [ME, ENTRIES, GRAPHQL, "/health/live", "/api/v1/nowhere"])
@pytest.mark.parametrize("credentials", list(CREDENTIALS))
def test_the_caller_is_resolved_exactly_once_per_request(
    limited: Flask, where: str, credentials: str
) -> None:
    client = limited.test_client()
    make_user(limited, verified=True)
    headers = CREDENTIALS[credentials](client, tokens_for(client)["access_token"])
    runs = count_resolutions(limited)
    response = call(client, where, headers)
    assert response.status_code != 500
    assert len(runs) == 1, runs

"""Writing entries and categories needs a verified email; reading never does (issue 11 item 6).

The rule (`require_verified_email_for_writes`) is on by default outside development, so in
these tests too. An unverified person writes nothing over REST or GraphQL, with a token or with
an API key (a key made while the rule was off writes with its owner's verification).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import AppFactory
from tests.modules.accounts.support import bearer, make_user, tokens_for
from tests.modules.knowledge.support import publish, write
from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import api_keys
from versehub.modules.accounts.service.meta import RequestMeta
from versehub.modules.knowledge.models import Category, Entry
from versehub.settings import Settings

ENTRIES = "/api/v1/entries"
ENTRY = {"title": "Sign names", "content": "How sign names are given in a deaf community."}
CATEGORY = {"name": "Grammar", "colour": "#1d4ed8"}

# (method, path, body): every REST write of the knowledge module; `{id}` is the caller's entry.
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", ENTRIES, ENTRY),
    ("PATCH", f"{ENTRIES}/{{id}}", {"title": "Sign names, again"}),
    ("DELETE", f"{ENTRIES}/{{id}}", None),
    ("POST", f"{ENTRIES}/{{id}}/transitions", {"to": "in_review"}),
    ("POST", f"{ENTRIES}/{{id}}/revisions/1/restore", None),
    ("POST", "/api/v1/categories", CATEGORY),
]
READS = [
    ENTRIES,
    f"{ENTRIES}/{{id}}",
    f"{ENTRIES}/{{id}}/revisions",
    f"{ENTRIES}/{{id}}/revisions/1",
    "/api/v1/search?q=sign",
    "/api/v1/categories",
    "/api/v1/tags",
]
MUTATIONS = [
    'createEntry(input: {title: "Sign names", content: "How."}) { id }',
    'updateEntry(id: "{id}", input: {title: "Again"}) { id }',
    'transitionEntry(id: "{id}", to: IN_REVIEW) { id }',
    'restoreRevision(id: "{id}", number: 1) { id }',
    'deleteEntry(id: "{id}")',
]


def _user(app: Flask, name: str, *, verified: bool, roles: tuple[str, ...] = ("editor",)) -> int:
    return make_user(
        app, email=f"{name}@example.com", username=name, roles=roles, verified=verified
    )


def _own_entry(app: Flask, user_id: int, roles: tuple[str, ...] = ("editor",)) -> int:
    """An entry the user wrote (through the service, as if before the rule was on)."""
    with app.app_context():
        author = Principal(kind="user", user_id=user_id, roles=frozenset(roles))
        entry = write(author, tags=["asl"])
        if "editor" in roles:
            publish(entry, author)
        return entry.id


def _key(app: Flask, user_id: int) -> dict[str, str]:
    """An API key of the user, made through the service (as if while the rule was off)."""
    with app.app_context():
        _, key = api_keys.create(
            owner=db.session.get_one(User, user_id),
            actor_id=user_id,
            actor_is_admin=False,
            name="bot",
            scopes=["entries:read", "entries:write"],
            expires_at=None,
            meta=RequestMeta(),
        )
    return {"X-API-Key": key}


def _headers(app: Flask, client: FlaskClient, user_id: int, name: str, via: str) -> dict[str, str]:
    if via == "api_key":
        return _key(app, user_id)
    return bearer(tokens_for(client, name)["access_token"])


def _snapshot(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            select(Entry.id, Entry.title, Entry.status, Entry.version).order_by(Entry.id)
        ).all()
        categories = db.session.scalars(select(Category.name)).all()
        return [tuple(row) for row in rows] + [("category", name) for name in categories]


@pytest.mark.parametrize("via", ["bearer", "api_key"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_an_unverified_person_writes_nothing(
    app: Flask, client: FlaskClient, via: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    user_id = _user(app, "uma", verified=False)
    entry_id = _own_entry(app, user_id)
    headers = _headers(app, client, user_id, "uma", via)
    before = _snapshot(app)

    response = client.open(path.format(id=entry_id), method=method, json=body, headers=headers)

    assert response.status_code == 403, response.get_json()
    assert response.get_json()["error"]["code"] == "AUTH_EMAIL_UNVERIFIED"
    assert _snapshot(app) == before


@pytest.mark.parametrize("via", ["bearer", "api_key"])
def test_an_unverified_person_reads_everything_they_may_see(
    app: Flask, client: FlaskClient, via: str
) -> None:
    user_id = _user(app, "uma", verified=False)
    entry_id = _own_entry(app, user_id)
    headers = _headers(app, client, user_id, "uma", via)
    for path in READS:
        response = client.get(path.format(id=entry_id), headers=headers)
        assert response.status_code == 200, (path, response.get_json())
    query = (
        "{ entries(first: 5) { edges { node { id title } } } tags { entries } categories { name } }"
    )
    body = client.post("/graphql", json={"query": query}, headers=headers).get_json()
    assert "errors" not in body, body
    assert len(body["data"]["entries"]["edges"]) == 1


@pytest.mark.parametrize("via", ["bearer", "api_key"])
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_graphql_mutations_need_a_verified_email(
    app: Flask, client: FlaskClient, via: str, mutation: str
) -> None:
    user_id = _user(app, "uma", verified=False)
    entry_id = _own_entry(app, user_id)
    headers = _headers(app, client, user_id, "uma", via)
    before = _snapshot(app)
    operation = "mutation { " + mutation.replace("{id}", str(entry_id)) + " }"

    body = client.post("/graphql", json={"query": operation}, headers=headers).get_json()

    assert [e["extensions"]["code"] for e in body["errors"]] == ["AUTH_EMAIL_UNVERIFIED"]
    assert _snapshot(app) == before


def test_verifying_the_email_opens_writing(app: Flask, client: FlaskClient) -> None:
    user_id = _user(app, "uma", verified=False, roles=("member",))
    headers = bearer(tokens_for(client, "uma")["access_token"])
    assert client.post(ENTRIES, json=ENTRY, headers=headers).status_code == 403
    with app.app_context():
        db.session.get_one(User, user_id).email_verified_at = utcnow()
        db.session.commit()
    # The same token: verification is read with the caller on every request.
    assert client.post(ENTRIES, json=ENTRY, headers=headers).status_code == 201


def test_the_rule_can_be_switched_off(make_app: AppFactory) -> None:
    app = make_app(require_verified_email_for_writes=False)
    client = app.test_client()
    _user(app, "uma", verified=False, roles=("member",))
    headers = bearer(tokens_for(client, "uma")["access_token"])
    response = client.post(ENTRIES, json=ENTRY, headers=headers)
    assert response.status_code == 201, response.get_json()
    key = client.post(
        "/api/v1/auth/api-keys", json={"name": "bot", "scopes": ["entries:read"]}, headers=headers
    )
    assert key.status_code == 201, key.get_json()


@pytest.mark.parametrize(
    ("env", "explicit", "required"),
    [
        ("development", None, False),
        ("testing", None, True),
        ("production", None, True),
        ("development", True, True),
        ("production", False, False),
    ],
)
def test_default_is_on_outside_development(env: str, explicit: bool | None, required: bool) -> None:
    settings = Settings(env=env, require_verified_email_for_writes=explicit)
    assert settings.verified_email_required is required

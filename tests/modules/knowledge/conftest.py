"""Fixtures of the knowledge tests: an app context and people with each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import bearer, make_user, tokens_for
from versehub.core.auth import Principal
from versehub.core.events import get_bus

Headers = dict[str, str]


@dataclass(frozen=True)
class People:
    """One principal per role: the author, another member, an editor and an admin."""

    author: Principal
    member: Principal
    editor: Principal
    admin: Principal


def _principal(app: Flask, username: str, roles: tuple[str, ...]) -> Principal:
    # Writing entries is the point of these people: their email is verified.
    user_id = make_user(
        app, email=f"{username}@example.com", username=username, roles=roles, verified=True
    )
    return Principal(kind="user", user_id=user_id, roles=frozenset(roles))


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context around the test (services use the session)."""
    with app.app_context():
        yield app


@pytest.fixture
def people(app: Flask) -> People:
    """Users with each role (made through the accounts service)."""
    return People(
        author=_principal(app, "aurora", ("member",)),
        member=_principal(app, "milo", ("member",)),
        editor=_principal(app, "edith", ("editor", "member")),
        admin=_principal(app, "adam", ("admin", "member")),
    )


@pytest.fixture
def published_events(ctx: Flask) -> list[tuple[str, dict[str, Any]]]:
    """Every entry.* event published during the test."""
    seen: list[tuple[str, dict[str, Any]]] = []
    get_bus().subscribe("entry.*", lambda name, payload: seen.append((name, payload)))
    return seen


@pytest.fixture
def author(client: FlaskClient, people: People) -> Headers:
    """`aurora` (member) signed in."""
    return bearer(tokens_for(client, "aurora")["access_token"])


@pytest.fixture
def member(client: FlaskClient, people: People) -> Headers:
    """`milo` (another member) signed in."""
    return bearer(tokens_for(client, "milo")["access_token"])


@pytest.fixture
def editor(client: FlaskClient, people: People) -> Headers:
    """`edith` (editor) signed in."""
    return bearer(tokens_for(client, "edith")["access_token"])

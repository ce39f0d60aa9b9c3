"""Fixtures of the accounts tests: an app, a member with tokens, an admin."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import bearer, make_user, tokens_for


@pytest.fixture
def member_id(app: Flask) -> int:
    """A member account `ada` (email verified: creating API keys needs it)."""
    return make_user(app, verified=True)


@pytest.fixture
def member(client: FlaskClient, member_id: int) -> dict[str, Any]:
    """`ada` logged in: tokens and user."""
    return tokens_for(client)


@pytest.fixture
def member_headers(member: dict[str, Any]) -> dict[str, str]:
    """`ada`'s access token header."""
    return bearer(member["access_token"])


@pytest.fixture
def admin_id(app: Flask) -> int:
    """An admin account `root`."""
    return make_user(
        app, email="root@example.com", username="root", roles=("admin", "member"), verified=True
    )


@pytest.fixture
def admin_headers(client: FlaskClient, admin_id: int) -> dict[str, str]:
    """`root`'s access token header."""
    return bearer(tokens_for(client, "root")["access_token"])

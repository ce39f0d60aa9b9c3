"""Fixtures of the admin page tests: an admin, a member and an editor, each signed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import make_user
from tests.modules.admin.support import signed_in


@pytest.fixture
def app(app: Flask) -> Iterator[Flask]:
    """The app; its job broker connection is closed afterwards (retries queue jobs)."""
    yield app
    app.extensions["celery"].close()


@pytest.fixture
def admin_id(app: Flask) -> int:
    """The admin `root`."""
    return make_user(
        app, email="root@example.com", username="root", roles=("admin", "member"), verified=True
    )


@pytest.fixture
def member_id(app: Flask) -> int:
    """The member `ada`."""
    return make_user(app, verified=True)


@pytest.fixture
def admin(app: Flask, admin_id: int) -> FlaskClient:
    """`root` signed in."""
    return signed_in(app, "root")


@pytest.fixture
def member(app: Flask, member_id: int) -> FlaskClient:
    """`ada` signed in."""
    return signed_in(app, "ada")


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    """`eddie`, an editor, signed in."""
    make_user(
        app, email="eddie@example.com", username="eddie", roles=("editor", "member"), verified=True
    )
    return signed_in(app, "eddie")

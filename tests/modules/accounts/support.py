"""Helpers shared by the accounts tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from versehub.core.db import utcnow
from versehub.extensions import db
from versehub.modules.accounts.service import users
from versehub.modules.accounts.service.meta import RequestMeta

PASSWORD = "Vivid-Lantern-Orchard-42"
ENVELOPE_KEYS = ["success", "message", "data", "error", "warnings"]


def register(
    client: FlaskClient,
    *,
    email: str = "ada@example.com",
    username: str = "ada",
    password: str = PASSWORD,
    **extra: Any,
) -> TestResponse:
    """POST /auth/register."""
    body = {"email": email, "username": username, "password": password, **extra}
    return client.post("/api/v1/auth/register", json=body)


def login(client: FlaskClient, login: str = "ada", password: str = PASSWORD) -> TestResponse:
    """POST /auth/login."""
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def tokens_for(
    client: FlaskClient, login_name: str = "ada", password: str = PASSWORD
) -> dict[str, Any]:
    """Log in and return `data` (tokens and user); fails the test if login fails."""
    response = login(client, login_name, password)
    assert response.status_code == 200, response.get_json()
    data: dict[str, Any] = response.get_json()["data"]
    return data


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def make_user(
    app: Flask,
    *,
    email: str = "ada@example.com",
    username: str = "ada",
    password: str = PASSWORD,
    roles: Iterable[str] = ("member",),
    verified: bool = False,
) -> int:
    """Create a user through the service (`verified`: with a confirmed email); returns its id."""
    with app.app_context():
        user = users.create(
            email=email, username=username, password=password, roles=roles, meta=RequestMeta()
        )
        if verified:
            user.email_verified_at = utcnow()
            db.session.commit()
        return user.id


def count(app: Flask, model: type[Any], *where: Any) -> int:
    """Rows of `model` (optionally filtered)."""
    with app.app_context():
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return db.session.scalar(query) or 0


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is an error envelope with `status` and `code`."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body: dict[str, Any] = response.get_json()
    assert list(body) == ENVELOPE_KEYS
    assert body["success"] is False
    assert body["data"] is None
    assert body["error"]["code"] == code, body
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    """The fields named in `error.errors`."""
    return {e["field"] for e in body["error"]["errors"]}

"""Helpers of the account page tests: CSRF tokens from pages, form sign-in."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.modules.accounts.support import PASSWORD
from versehub.extensions import db
from versehub.modules.accounts.models import User

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_token(client: FlaskClient, path: str = "/account/login") -> str:
    """The CSRF token a page of `path` gives this client's session."""
    page = client.get(path)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def form_post(
    client: FlaskClient, path: str, data: dict[str, Any], *, token_from: str = "/account/login"
) -> TestResponse:
    """POST a form with a valid CSRF token (taken from a page, as a browser would)."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from)})


def web_login(
    client: FlaskClient,
    login: str = "ada",
    password: str = PASSWORD,
    *,
    next_url: str | None = None,
    **extra: str,
) -> TestResponse:
    """Sign in through the form."""
    path = "/account/login" + (f"?next={next_url}" if next_url is not None else "")
    return form_post(client, path, {"login": login, "password": password, **extra})


NEW_USER = {"email": "bea@example.com", "username": "bea", "password": PASSWORD}


def user_row(app: Flask, username: str = "ada") -> User:
    """The account row as stored now (detached)."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        db.session.expunge(user)
        return user

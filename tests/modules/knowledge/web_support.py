"""Helpers of the hub page tests: signing in through the form, CSRF tokens, entry rows."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.modules.accounts.web_support import csrf_token, web_login
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry


def signed_in(client: FlaskClient, username: str) -> FlaskClient:
    """`client` with `username` (password PASSWORD) signed in through the form."""
    response = web_login(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def token(client: FlaskClient, path: str = "/write") -> str:
    """The CSRF token of this client's session (from a page it may open)."""
    return csrf_token(client, path)


def post(client: FlaskClient, path: str, data: dict[str, Any], **kw: Any) -> TestResponse:
    """POST a form with this session's CSRF token."""
    return client.post(path, data={"csrf_token": token(client), **data}, **kw)


def entry_fields(**fields: Any) -> dict[str, Any]:
    """A complete entry form."""
    return {
        "title": "Captions at meetings",
        "summary": "",
        "content": "Ask for captions before the meeting starts.",
        "plain_language": "",
        "category": "",
        "tags": "captions, meetings",
        "visibility": "public",
        "language": "en",
        **fields,
    }


def entry_row(app: Flask, **where: Any) -> Entry | None:
    """The entry matching `where` as stored now (detached), or None."""
    with app.app_context():
        found = db.session.scalars(select(Entry).filter_by(**where)).one_or_none()
        if found is not None:
            db.session.expunge(found)
        return found


def count_entries(app: Flask) -> int:
    """How many entries are stored."""
    with app.app_context():
        return len(db.session.scalars(select(Entry.id)).all())


def hidden(html: str, name: str) -> str:
    """The value of the hidden input `name` in a page."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no hidden {name}"
    return match.group(1)


def added(text: str) -> str:
    """The markup of an added line in a diff."""
    return f'<span class="diff-label">added</span> <ins class="diff-text">{text}</ins>'


def removed(text: str) -> str:
    """The markup of a removed line in a diff."""
    return f'<span class="diff-label">removed</span> <del class="diff-text">{text}</del>'

"""Helpers shared by the knowledge tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import EntryCreate, ListQuery
from versehub.modules.knowledge.service import entries

BODY = "Deaf people use sign languages. Captions help everyone follow along."


def write(viewer: Principal, title: str = "Sign language basics", **fields: Any) -> Entry:
    """Create an entry through the service (content defaults to a short text)."""
    data = EntryCreate.model_validate({"title": title, "content": BODY, **fields})
    return entries.create(data=data, viewer=viewer)


def publish(entry: Entry, editor: Principal) -> Entry:
    """Move an entry draft → in_review → published as `editor`."""
    entries.change_status(entry_id=entry.id, to="in_review", viewer=editor)
    return entries.change_status(entry_id=entry.id, to="published", viewer=editor)


HARD_TEXT = (
    "Notwithstanding the aforementioned epistemological considerations, institutional "
    "interoperability necessitates comprehensive, multidisciplinary reevaluation."
)


def raw_query(**fields: Any) -> ListQuery:
    """A ListQuery built without validation (service robustness beyond the schema's limits)."""
    return ListQuery.model_construct(**{**ListQuery().model_dump(), **fields})


Headers = dict[str, str]


def api_key(client: FlaskClient, headers: Headers, *scopes: str) -> Headers:
    """An X-API-Key header for a new key of the signed-in person with `scopes`."""
    response = client.post(
        "/api/v1/auth/api-keys", json={"name": "bot", "scopes": list(scopes)}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return {"X-API-Key": response.get_json()["data"]["api_key"]["key"]}


@contextmanager
def sql_statements(app: Flask, matching: re.Pattern[str] | None = None) -> Iterator[list[str]]:
    """The SQL statements the app runs while the block runs (those `matching`, if given)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if matching is None or matching.search(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

"""Helpers shared by the knowledge tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.sql import sql_statements as sql_statements  # noqa: PLC0414 - re-exported
from versehub.core.auth import Principal
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

"""`Idempotency-Key` on the knowledge creates: entries, categories and revision restores."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from tests.modules.accounts.web_support import csrf_token, web_login
from tests.modules.knowledge.conftest import Headers, People
from tests.modules.knowledge.support import api_key
from versehub.core.idempotency import HEADER, REPLAYED_HEADER, IdempotencyRecord
from versehub.extensions import db
from versehub.modules.knowledge.models import Category, Entry, EntryRevision

ENTRIES = "/api/v1/entries"
CATEGORIES = "/api/v1/categories"
ENTRY = {"title": "Captions", "content": "Captions help *everyone* follow along."}


def rows(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def create(client: FlaskClient, headers: Headers, key: str, body: Any = None) -> TestResponse:
    return client.post(ENTRIES, json=body or ENTRY, headers={**headers, HEADER: key})


def assert_replay(first: TestResponse, again: TestResponse) -> None:
    assert first.status_code == again.status_code
    assert REPLAYED_HEADER not in first.headers
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.get_data() == first.get_data()
    for name in ("ETag", "Location"):
        assert again.headers.get(name) == first.headers.get(name)


def test_a_retried_entry_create_answers_the_first_entry(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    first = create(client, author, "entry-1")
    assert first.status_code == 201, first.get_json()
    again = create(client, author, "entry-1")
    assert_replay(first, again)
    assert again.headers["ETag"] == f'"e{first.get_json()["data"]["entry"]["id"]}-v1"'
    assert rows(app, Entry) == 1
    assert create(client, author, "entry-2").status_code == 201
    assert rows(app, Entry) == 2


def test_another_entry_body_with_the_key_is_refused(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    assert create(client, author, "k").status_code == 201
    refused = create(client, author, "k", {**ENTRY, "title": "Subtitles"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["errors"][0]["field"] == HEADER
    assert rows(app, Entry) == 1


def test_a_refused_create_keeps_no_key(app: Flask, client: FlaskClient, author: Headers) -> None:
    assert create(client, author, "k", {"title": "", "content": ""}).status_code == 422
    assert create(client, author, "k").status_code == 201
    assert rows(app, Entry) == 1


def test_guards_come_first(app: Flask, client: FlaskClient) -> None:
    anonymous = client.post(ENTRIES, json=ENTRY, headers={HEADER: "k"})
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "AUTH_REQUIRED"
    malformed_key_too = client.post(ENTRIES, json=ENTRY, headers={HEADER: ""})
    assert malformed_key_too.status_code == 401
    assert rows(app, IdempotencyRecord) == 0


def test_callers_do_not_share_keys(
    app: Flask, client: FlaskClient, author: Headers, member: Headers
) -> None:
    mine = create(client, author, "shared-key")
    theirs = create(client, member, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED_HEADER not in theirs.headers
    assert mine.get_json()["data"]["entry"]["id"] != theirs.get_json()["data"]["entry"]["id"]
    assert rows(app, Entry) == 2


def test_an_api_key_is_its_own_caller(app: Flask, client: FlaskClient, author: Headers) -> None:
    key = api_key(client, author, "entries:read", "entries:write")
    by_key = create(client, key, "k")
    assert by_key.status_code == 201, by_key.get_json()
    assert_replay(by_key, create(client, key, "k"))
    by_person = create(client, author, "k")  # the key's owner, with a token: another caller
    assert by_person.status_code == 201
    assert REPLAYED_HEADER not in by_person.headers
    assert rows(app, Entry) == 2
    with app.app_context():
        callers = sorted(db.session.scalars(select(IdempotencyRecord.caller)))
    assert [c.split(":")[0] for c in callers] == ["key", "user"]


def test_a_signed_in_browser_session_gets_the_same_protection(
    app: Flask, client: FlaskClient, people: People
) -> None:
    assert web_login(client, "aurora").status_code in (302, 303)
    headers = {"X-CSRFToken": csrf_token(client, "/"), HEADER: "form-1"}
    first = client.post(ENTRIES, json=ENTRY, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert_replay(first, client.post(ENTRIES, json=ENTRY, headers=headers))
    assert rows(app, Entry) == 1


def test_a_retried_category_create_answers_the_first_category(
    app: Flask, client: FlaskClient, editor: Headers
) -> None:
    body = {"name": "Deaf culture", "colour": "#1f6feb"}
    headers = {**editor, HEADER: "cat-1"}
    first = client.post(CATEGORIES, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert_replay(first, client.post(CATEGORIES, json=body, headers=headers))
    assert rows(app, Category) == 1
    # Without the key the retry is what it always was: the name is taken.
    plain = client.post(CATEGORIES, json=body, headers=editor)
    assert plain.status_code == 409


def test_a_retried_restore_makes_one_revision(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    entry = client.post(ENTRIES, json=ENTRY, headers=author).get_json()["data"]["entry"]
    url = f"{ENTRIES}/{entry['id']}"
    assert client.patch(url, json={"title": "Captions for all"}, headers=author).status_code == 200
    headers = {**author, HEADER: "restore-1"}
    first = client.post(f"{url}/revisions/1/restore", headers=headers)
    assert first.status_code == 200, first.get_json()
    assert_replay(first, client.post(f"{url}/revisions/1/restore", headers=headers))
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(EntryRevision)
            .where(EntryRevision.entry_id == entry["id"])
        )
    assert count == 3
    # The same key on another entry's path is another request.
    other = client.post(ENTRIES, json=ENTRY, headers=author).get_json()["data"]["entry"]
    moved = client.post(f"{ENTRIES}/{other['id']}/revisions/1/restore", headers=headers)
    assert moved.status_code == 200
    assert REPLAYED_HEADER not in moved.headers


def test_an_overlong_path_is_answered_not_stored(
    app: Flask, client: FlaskClient, author: Headers
) -> None:
    path = f"{ENTRIES}/{'9' * 500}/revisions/1/restore"
    answer = client.post(path, headers={**author, HEADER: "k"})
    assert answer.status_code in (404, 422), answer.get_json()
    assert answer.get_json()["success"] is False
    assert rows(app, IdempotencyRecord) == 0


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_the_document_declares_the_header_on_the_creates(
    client: FlaskClient, db_backend: str
) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, status in [
        (ENTRIES, "201"),
        (CATEGORIES, "201"),
        (ENTRIES + "/{entry_id}/revisions/{number}/restore", "200"),
    ]:
        operation = paths[path]["post"]
        (param,) = [p for p in operation["parameters"] if p["name"] == HEADER]
        assert param["in"] == "header"
        assert param["required"] is False
        assert param["schema"]["maxLength"] == 255
        assert REPLAYED_HEADER in operation["responses"][status]["headers"]
        assert "409" in operation["responses"]
    for path in (ENTRIES + "/{entry_id}/transitions", "/api/v1/recycle-bin/{entry_id}/restore"):
        names = {p["name"] for p in paths[path]["post"].get("parameters", [])}
        assert HEADER not in names

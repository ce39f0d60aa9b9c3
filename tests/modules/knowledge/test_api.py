"""The knowledge REST API: CRUD, visibility, validation, search safety, workflow, ETags, scopes."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tests.modules.accounts.support import assert_error, error_fields
from tests.modules.knowledge.support import BODY, api_key

ENTRIES = "/api/v1/entries"
Headers = dict[str, str]


def create(client: FlaskClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    """POST an entry; returns `data.entry`."""
    body = {"title": "Sign language basics", "content": BODY, **fields}
    response = client.post(ENTRIES, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    entry: dict[str, Any] = response.get_json()["data"]["entry"]
    return entry


def move(client: FlaskClient, entry_id: int, to: str, headers: Headers) -> dict[str, Any]:
    """POST a transition that must succeed; returns `data.entry`."""
    response = client.post(f"{ENTRIES}/{entry_id}/transitions", json={"to": to}, headers=headers)
    assert response.status_code == 200, response.get_json()
    entry: dict[str, Any] = response.get_json()["data"]["entry"]
    return entry


def published(client: FlaskClient, author: Headers, editor: Headers, **fields: Any) -> int:
    """An entry by `author`, published by `editor`; returns its id."""
    entry_id = int(create(client, author, **fields)["id"])
    move(client, entry_id, "in_review", author)
    move(client, entry_id, "published", editor)
    return entry_id


def test_crud_happy_path(client: FlaskClient, author: Headers) -> None:
    response = client.post(
        ENTRIES,
        json={"title": "Captions", "content": "# Captions\n\nThey *help*.", "tags": ["Access"]},
        headers=author,
    )
    assert response.status_code == 201
    entry = response.get_json()["data"]["entry"]
    assert entry["status"] == "draft"
    assert entry["version"] == 1
    assert "<em>help</em>" in entry["content_html"]
    assert 1 <= entry["reading_level"] <= 5
    assert entry["tags"] == ["access"]
    assert {"plain_language", "sign_videos", "content"} <= set(entry)
    assert response.headers["ETag"] == f'"e{entry["id"]}-v1"'
    url = f"{ENTRIES}/{entry['id']}"

    got = client.get(url, headers=author)
    assert got.status_code == 200
    assert got.get_json()["data"]["entry"]["title"] == "Captions"
    assert got.get_json()["data"]["allowed_transitions"] == ["in_review"]

    patched = client.patch(url, json={"title": "Captions for all"}, headers=author)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["data"]["entry"]["version"] == 2
    assert patched.headers["ETag"] == f'"e{entry["id"]}-v2"'

    revisions = client.get(f"{url}/revisions", headers=author).get_json()["data"]
    assert [r["number"] for r in revisions["items"]] == [2, 1]
    one = client.get(f"{url}/revisions/1", headers=author)
    assert one.get_json()["data"]["revision"]["snapshot"]["title"] == "Captions"
    restored = client.post(f"{url}/revisions/1/restore", headers=author)
    assert restored.status_code == 200, restored.get_json()
    assert restored.get_json()["data"]["entry"]["title"] == "Captions"
    assert_error(client.get(f"{url}/revisions/9", headers=author), 404, "RES_NOT_FOUND")

    listed = client.get(ENTRIES, headers=author).get_json()["data"]
    assert [item["id"] for item in listed["items"]] == [entry["id"]]
    assert listed["pagination"]["per_page"] == 20

    deleted = client.delete(url, headers=author)
    assert deleted.status_code == 200
    assert_error(client.get(url, headers=author), 404, "RES_NOT_FOUND")


def test_categories_and_tags(client: FlaskClient, author: Headers, editor: Headers) -> None:
    body = {"name": "Deaf culture", "colour": "#1f6feb"}
    assert_error(client.post("/api/v1/categories", json=body), 401, "AUTH_REQUIRED")
    denied = client.post("/api/v1/categories", json=body, headers=author)
    assert_error(denied, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    made = client.post("/api/v1/categories", json=body, headers=editor)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["data"]["category"]["slug"] == "deaf-culture"
    again = client.post("/api/v1/categories", json=body, headers=editor)
    assert_error(again, 409, "RES_ALREADY_EXISTS")
    listed = client.get("/api/v1/categories").get_json()["data"]["items"]
    assert [c["name"] for c in listed] == ["Deaf culture"]

    create(client, author, category="deaf-culture", tags=["asl", "history"])
    create(client, author, title="Other", tags=["asl"])
    # Drafts: their author sees their tags, anonymous callers nothing (test_tags.py).
    tags = client.get("/api/v1/tags", headers=author).get_json()["data"]["items"]
    assert [(t["name"], t["entries"]) for t in tags] == [("asl", 2), ("history", 1)]
    mine = client.get(ENTRIES, query_string={"tag": "history"}, headers=author)
    assert len(mine.get_json()["data"]["items"]) == 1


def test_anonymous_sees_only_published_public(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    draft = create(client, author, title="Draft")
    public = published(client, author, editor, title="Open")
    private = published(client, author, editor, title="Hidden", is_public=False)
    items = client.get(ENTRIES).get_json()["data"]["items"]
    assert [item["id"] for item in items] == [public]
    assert client.get(f"{ENTRIES}/{public}").status_code == 200
    for hidden in (draft["id"], private):
        assert_error(client.get(f"{ENTRIES}/{hidden}"), 404, "RES_NOT_FOUND")
    own = {item["id"] for item in client.get(ENTRIES, headers=author).get_json()["data"]["items"]}
    assert own == {draft["id"], public, private}


def test_private_entry_is_not_found_for_others(
    client: FlaskClient, author: Headers, member: Headers, editor: Headers
) -> None:
    private = create(client, author, is_public=False)
    url = f"{ENTRIES}/{private['id']}"
    assert_error(client.get(url, headers=member), 404, "RES_NOT_FOUND")
    patch = client.patch(url, json={"title": "Mine now"}, headers=member)
    assert_error(patch, 404, "RES_NOT_FOUND")
    assert_error(client.delete(url, headers=member), 404, "RES_NOT_FOUND")
    assert_error(client.get(f"{url}/revisions", headers=member), 404, "RES_NOT_FOUND")
    assert client.get(url, headers=editor).status_code == 200


def test_writes_need_a_caller(client: FlaskClient, author: Headers) -> None:
    assert_error(client.post(ENTRIES, json={"title": "x"}), 401, "AUTH_REQUIRED")
    entry = create(client, author)
    url = f"{ENTRIES}/{entry['id']}"
    assert_error(client.patch(url, json={"title": 1}), 401, "AUTH_REQUIRED")
    assert_error(client.delete(url), 401, "AUTH_REQUIRED")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "T", "content": BODY, "colour": "red"}, "colour"),
        ({"title": "x" * 1000, "content": BODY}, "title"),
        ({"title": "", "content": BODY}, "title"),
        ({"content": BODY}, "title"),
    ],
)
def test_invalid_entry_bodies(
    client: FlaskClient, author: Headers, body: dict[str, Any], field: str
) -> None:
    failure = assert_error(client.post(ENTRIES, json=body, headers=author), 422, "VAL_INVALID")
    assert field in error_fields(failure)


def test_invalid_patch_bodies(client: FlaskClient, author: Headers) -> None:
    url = f"{ENTRIES}/{create(client, author)['id']}"
    unknown = client.patch(url, json={"status": "published"}, headers=author)
    assert "status" in error_fields(assert_error(unknown, 422, "VAL_INVALID"))
    long = client.patch(url, json={"title": "x" * 1000}, headers=author)
    assert "title" in error_fields(assert_error(long, 422, "VAL_INVALID"))


@pytest.mark.parametrize("value", ["0", "1000", "abc", "-1", ""])
def test_bad_per_page(client: FlaskClient, value: str) -> None:
    for url, extra in ((ENTRIES, {}), ("/api/v1/search", {"q": "sign"})):
        response = client.get(url, query_string={**extra, "per_page": value})
        failure = assert_error(response, 422, "VAL_INVALID")
        assert error_fields(failure) == {"per_page"}


def test_cursor_paging_and_tampering(client: FlaskClient, author: Headers, editor: Headers) -> None:
    ids = [published(client, author, editor, title=f"Entry {n}") for n in range(3)]
    first = client.get(ENTRIES, query_string={"per_page": 2}).get_json()["data"]
    cursor = first["pagination"]["next_cursor"]
    assert first["pagination"]["has_more"] is True
    assert cursor
    second = client.get(ENTRIES, query_string={"per_page": 2, "cursor": cursor})
    seen = [i["id"] for i in first["items"]] + [i["id"] for i in second.get_json()["data"]["items"]]
    assert sorted(seen) == sorted(ids)
    assert second.get_json()["data"]["pagination"]["next_cursor"] is None
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "garbage", "x.y"):
        failure = assert_error(
            client.get(ENTRIES, query_string={"cursor": bad}), 422, "VAL_INVALID"
        )
        assert error_fields(failure) == {"cursor"}
    other_sort = client.get(ENTRIES, query_string={"cursor": cursor, "sort": "title"})
    assert error_fields(assert_error(other_sort, 422, "VAL_INVALID")) == {"cursor"}


INJECTIONS = [
    '"',
    '"unbalanced',
    "sign*",
    "NEAR(sign captions)",
    "sign AND OR NOT",
    "^sign",
    "title:sign",
    "'; DROP TABLE entries; --",
    "sign) OR (1=1",
    "\\",
    "!!! ::: &&& |||",
    "a" * 500,
    "<script>alert(1)</script>",
    "sign \u0000 captions",
    "-sign",
    "(((",
    "{}[]",
    "%_%",
]


def test_search_never_fails_on_hostile_text(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    published(client, author, editor, title="Sign language and captions")
    found = client.get("/api/v1/search", query_string={"q": "captions"}).get_json()["data"]
    assert len(found["items"]) == 1
    assert "<mark>" in (found["items"][0]["highlight"] or "")
    for q in INJECTIONS:
        response = client.get("/api/v1/search", query_string={"q": q})
        assert response.status_code in (200, 422), (q, response.get_data(as_text=True)[:300])
        listed = client.get(ENTRIES, query_string={"q": q})
        assert listed.status_code in (200, 422), (q, listed.get_data(as_text=True)[:300])
        if response.status_code == 200:
            assert "<script>" not in response.get_data(as_text=True)
    missing = assert_error(client.get("/api/v1/search"), 422, "VAL_INVALID")
    assert error_fields(missing) == {"q"}


def test_illegal_transition_is_conflict(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry = create(client, author)
    url = f"{ENTRIES}/{entry['id']}/transitions"
    skip = client.post(url, json={"to": "archived"}, headers=editor)
    assert_error(skip, 409, "RES_CONFLICT")
    bad_state = client.post(url, json={"to": "deleted"}, headers=editor)
    assert "to" in error_fields(assert_error(bad_state, 422, "VAL_INVALID"))
    moved = client.post(url, json={"to": "in_review"}, headers=author)
    assert moved.status_code == 200
    assert moved.headers["ETag"] == f'"e{entry["id"]}-v2"'


def test_if_match_guards_writes(client: FlaskClient, author: Headers, editor: Headers) -> None:
    entry = create(client, author)
    url = f"{ENTRIES}/{entry['id']}"
    fresh = client.get(url, headers=author).headers["ETag"]
    ok = client.patch(url, json={"title": "One"}, headers={**author, "If-Match": fresh})
    assert ok.status_code == 200
    # `fresh` is now stale; it wins over a body version that would be right.
    stale = client.patch(
        url, json={"title": "Two", "version": 2}, headers={**author, "If-Match": fresh}
    )
    body = assert_error(stale, 409, "RES_CONFLICT")
    assert body["error"]["details"] == {"expected_version": 1, "current_version": 2}
    foreign = client.patch(url, json={"title": "Two"}, headers={**author, "If-Match": '"e999-v2"'})
    assert_error(foreign, 409, "RES_CONFLICT")
    stale_move = client.post(
        f"{url}/transitions", json={"to": "in_review"}, headers={**author, "If-Match": fresh}
    )
    assert_error(stale_move, 409, "RES_CONFLICT")
    assert_error(client.delete(url, headers={**author, "If-Match": fresh}), 409, "RES_CONFLICT")
    body_stale = client.patch(url, json={"title": "Two", "version": 1}, headers=author)
    assert_error(body_stale, 409, "RES_CONFLICT")
    current = client.get(url, headers=author).headers["ETag"]
    assert current == f'"e{entry["id"]}-v2"'
    assert client.delete(url, headers={**author, "If-Match": current}).status_code == 200


def test_over_long_if_match_is_invalid(client: FlaskClient, author: Headers) -> None:
    url = f"{ENTRIES}/{create(client, author)['id']}"
    response = client.patch(url, json={"title": "x"}, headers={**author, "If-Match": "a" * 3000})
    assert "If-Match" in error_fields(assert_error(response, 422, "VAL_INVALID"))


def test_if_none_match_answers_304(client: FlaskClient, author: Headers, editor: Headers) -> None:
    entry_id = published(client, author, editor)
    url = f"{ENTRIES}/{entry_id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    client.patch(url, json={"summary": "Changed"}, headers=editor)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_api_key_scopes(client: FlaskClient, author: Headers, editor: Headers, app: Flask) -> None:
    entry_id = published(client, author, editor)
    reader = api_key(client, author, "entries:read")
    writer = api_key(client, author, "entries:read", "entries:write")
    other = api_key(client, author, "media:write")
    denied = client.post(ENTRIES, json={"title": "Bot", "content": BODY}, headers=reader)
    assert_error(denied, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    patch = client.patch(f"{ENTRIES}/{entry_id}", json={"title": "Bot"}, headers=reader)
    assert_error(patch, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert client.get(f"{ENTRIES}/{entry_id}", headers=reader).status_code == 200
    assert client.get(ENTRIES, headers=reader).status_code == 200
    for url in (f"{ENTRIES}/{entry_id}", ENTRIES, "/api/v1/search?q=sign", "/api/v1/tags"):
        assert_error(client.get(url, headers=other), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    made = client.post(ENTRIES, json={"title": "Bot", "content": BODY}, headers=writer)
    assert made.status_code == 201


def test_path_ids_are_bounded(client: FlaskClient, author: Headers) -> None:
    assert_error(client.get(f"{ENTRIES}/{2**31}"), 422, "VAL_INVALID")
    assert_error(client.get(f"{ENTRIES}/{2**31 - 1}"), 404, "RES_NOT_FOUND")
    assert_error(client.get(f"{ENTRIES}/abc"), 404, "RES_NOT_FOUND")


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_openapi_document_lists_knowledge(client: FlaskClient, db_backend: str) -> None:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    paths = document["paths"]
    expected = {
        "/api/v1/entries": {"get", "post"},
        "/api/v1/entries/{entry_id}": {"get", "patch", "delete"},
        "/api/v1/entries/{entry_id}/revisions": {"get"},
        "/api/v1/entries/{entry_id}/revisions/{number}": {"get"},
        "/api/v1/entries/{entry_id}/revisions/{number}/restore": {"post"},
        "/api/v1/entries/{entry_id}/transitions": {"post"},
        "/api/v1/categories": {"get", "post"},
        "/api/v1/tags": {"get"},
        "/api/v1/search": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    create_op = paths["/api/v1/entries"]["post"]
    assert "201" in create_op["responses"]
    assert create_op["security"] == [{"bearerAuth": []}, {"apiKey": []}]
    params = {p["name"] for p in paths["/api/v1/entries"]["get"]["parameters"]}
    assert {"q", "category", "tag", "author", "status", "max_reading_level", "sort"} <= params
    assert {"per_page", "cursor", "page"} <= params
    one = paths["/api/v1/entries/{entry_id}"]
    assert "If-Match" in {p["name"] for p in one["patch"]["parameters"]}
    assert "If-Match" in {p["name"] for p in one["delete"]["parameters"]}
    assert "If-None-Match" in {p["name"] for p in one["get"]["parameters"]}
    assert "304" in one["get"]["responses"]
    assert "ETag" in one["get"]["responses"]["200"]["headers"]
    assert one["get"]["security"] == [{}, {"bearerAuth": []}, {"apiKey": []}]

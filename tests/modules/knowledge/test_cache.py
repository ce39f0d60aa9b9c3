"""The knowledge API's response cache: hits, invalidation, isolation between viewers, Redis."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error, bearer, tokens_for
from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import api_key
from tests.modules.knowledge.test_api import ENTRIES, create, move, published
from tests.sql import sql_statements
from versehub.core.auth import Principal
from versehub.core.envelope import add_warning
from versehub.core.versioning import ApiVersion, register_version
from versehub.extensions import cache
from versehub.modules.knowledge.api.cache import (
    CLOCK_FLOOR,
    GENERATION_KEY,
    cached_payload,
    invalidate,
    permission_class,
    register_variant,
)

Headers = dict[str, str]
AppFactory = Callable[..., Flask]
ENTRY_SQL = re.compile(r"\bentries\b", re.IGNORECASE)


def get(client: FlaskClient, url: str, headers: Headers | None = None) -> Any:
    """A GET that must answer 200."""
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return response


def ids(response: Any) -> list[int]:
    """The entry ids of a list answer."""
    return [item["id"] for item in response.get_json()["data"]["items"]]


def title_of(response: Any) -> str:
    """The entry title of a detail answer."""
    title: str = response.get_json()["data"]["entry"]["title"]
    return title


def test_a_repeated_request_is_served_from_the_cache(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry_id = published(client, author, editor)
    for url in (ENTRIES, f"{ENTRIES}/{entry_id}", "/api/v1/search?q=sign"):
        first = get(client, url)
        assert first.headers["X-Cache"] == "miss"
        with sql_statements(app, ENTRY_SQL) as queries:
            second = get(client, url)
        assert second.headers["X-Cache"] == "hit"
        assert queries == []
        assert second.get_json() == first.get_json()
    detail = get(client, f"{ENTRIES}/{entry_id}")
    assert detail.headers["ETag"] == f'"e{entry_id}-v3"'
    assert detail.headers["Cache-Control"] == "private, no-cache"


def test_published_changes_are_visible_on_the_next_request(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry_id = published(client, author, editor, title="Captions")
    url = f"{ENTRIES}/{entry_id}"
    assert title_of(get(client, url)) == "Captions"
    assert ids(get(client, ENTRIES)) == [entry_id]
    assert get(client, ENTRIES).headers["X-Cache"] == "hit"

    patched = client.patch(url, json={"title": "Captions for all"}, headers=author)
    assert patched.status_code == 200, patched.get_json()
    after = get(client, url)
    assert (after.headers["X-Cache"], title_of(after)) == ("miss", "Captions for all")
    listed = get(client, ENTRIES).get_json()["data"]["items"]
    assert [item["title"] for item in listed] == ["Captions for all"]

    second = published(client, author, editor, title="Sign names")
    assert set(ids(get(client, ENTRIES))) == {entry_id, second}

    move(client, entry_id, "archived", editor)
    assert_error(client.get(url), 404, "RES_NOT_FOUND")
    assert ids(get(client, ENTRIES)) == [second]
    assert get(client, f"{ENTRIES}/{second}").get_json()["data"]["entry"]["status"] == "published"

    assert client.delete(f"{ENTRIES}/{second}", headers=author).status_code == 200
    assert_error(client.get(f"{ENTRIES}/{second}"), 404, "RES_NOT_FOUND")
    assert ids(get(client, ENTRIES)) == []


def test_viewers_of_different_permission_classes_never_share_answers(
    client: FlaskClient, author: Headers, member: Headers, editor: Headers
) -> None:
    public = published(client, author, editor, title="Open")
    draft = create(client, author, title="Secret draft")["id"]
    draft_url = f"{ENTRIES}/{draft}"
    # The author fills the cache first: nobody else may be answered from those entries.
    for _ in range(2):
        assert set(ids(get(client, ENTRIES, author))) == {public, draft}
        answer = get(client, draft_url, author).get_json()["data"]
        assert answer["allowed_transitions"] == ["in_review"]
    for _ in range(2):
        assert ids(get(client, ENTRIES)) == [public]
        assert ids(get(client, ENTRIES, member)) == [public]
        assert_error(client.get(draft_url), 404, "RES_NOT_FOUND")
        assert_error(client.get(draft_url, headers=member), 404, "RES_NOT_FOUND")
        assert set(ids(get(client, ENTRIES, editor))) == {public, draft}
        answer = get(client, draft_url, editor).get_json()["data"]
        assert answer["allowed_transitions"] == ["in_review"]
    moves = [get(client, f"{ENTRIES}/{public}", h).get_json()["data"] for h in (author, editor)]
    assert moves[0]["allowed_transitions"] == []
    assert sorted(moves[1]["allowed_transitions"]) == ["archived", "draft"]
    assert get(client, f"{ENTRIES}/{public}").get_json()["data"]["allowed_transitions"] == []


def test_an_api_key_gets_its_owners_answers_only_with_the_same_rights(
    client: FlaskClient, people: People, author: Headers, editor: Headers
) -> None:
    draft = create(client, author, title="Secret draft")["id"]
    assert set(ids(get(client, ENTRIES, author))) == {draft}
    reader = api_key(client, author, "entries:read")
    own = get(client, ENTRIES, reader)
    assert (own.headers["X-Cache"], ids(own)) == ("hit", [draft])  # same answer, same entry
    writer_only = api_key(client, author, "entries:write")
    refused = client.get(ENTRIES, headers=writer_only)
    assert_error(refused, 403, "AUTH_INSUFFICIENT_PERMISSIONS")  # guards run before the cache

    admin = bearer(tokens_for(client, "adam")["access_token"])
    assert ids(get(client, ENTRIES, admin)) == [draft]
    # An admin's key without the admin scope acts as a member: not the admin's cached answer.
    admin_reader = api_key(client, admin, "entries:read")
    assert ids(get(client, ENTRIES, admin_reader)) == []
    assert_error(client.get(f"{ENTRIES}/{draft}", headers=admin_reader), 404, "RES_NOT_FOUND")


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (None, "anon"),
        (Principal(kind="user", user_id=7, roles=frozenset({"member"})), "user:7:member"),
        (Principal(kind="api_key", user_id=7, roles=frozenset({"member"})), "user:7:member"),
        (
            Principal(kind="user", user_id=3, roles=frozenset({"member", "editor"})),
            "staff:editor,member",
        ),
        (Principal(kind="user", user_id=4, roles=frozenset({"admin"})), "staff:admin"),
    ],
)
def test_permission_class(viewer: Principal | None, expected: str) -> None:
    assert permission_class(viewer) == expected


def test_query_strings_key_the_cache_and_invalid_ones_are_not_cached(
    client: FlaskClient, author: Headers, editor: Headers
) -> None:
    made = [published(client, author, editor, title=f"Entry {n}") for n in range(3)]
    assert len(ids(get(client, f"{ENTRIES}?per_page=1"))) == 1
    two = get(client, f"{ENTRIES}?per_page=2")
    assert (two.headers["X-Cache"], len(ids(two))) == ("miss", 2)
    by_title = get(client, f"{ENTRIES}?sort=title&per_page=5")
    assert ids(by_title) == made
    # The validated query is the key: order and spelled-out defaults do not matter.
    assert get(client, f"{ENTRIES}?per_page=5&sort=title").headers["X-Cache"] == "hit"
    assert get(client, f"{ENTRIES}?per_page=20").headers["X-Cache"] == "miss"
    assert get(client, ENTRIES).headers["X-Cache"] == "hit"

    first = get(client, f"{ENTRIES}?sort=title&per_page=2").get_json()["data"]
    cursor = first["pagination"]["next_cursor"]
    page_two = get(client, f"{ENTRIES}?sort=title&per_page=2&cursor={cursor}")
    assert (page_two.headers["X-Cache"], ids(page_two)) == ("miss", made[2:])

    for _ in range(2):
        for bad in ("per_page=0", "sort=sideways", "colour=red", "cursor=forged"):
            response = client.get(f"{ENTRIES}?{bad}")
            assert_error(response, 422, "VAL_INVALID")
            assert "X-Cache" not in response.headers
        assert_error(client.get("/api/v1/search"), 422, "VAL_INVALID")
        assert_error(client.get(f"{ENTRIES}/999999"), 404, "RES_NOT_FOUND")


def test_warnings_belong_to_each_request_not_to_the_cache(app: Flask, client: FlaskClient) -> None:
    assert get(client, ENTRIES).get_json()["warnings"] == []
    when = datetime(2030, 1, 1, tzinfo=UTC)
    register_version(app, ApiVersion("v1", "deprecated", deprecated_at=when, sunset=when))
    deprecated = get(client, ENTRIES)
    assert deprecated.headers["X-Cache"] == "hit"
    assert deprecated.get_json()["warnings"] == [
        "API v1 is deprecated and will be removed after 2030-01-01"
    ]
    register_version(app, ApiVersion("v1"))
    again = get(client, ENTRIES)
    assert (again.headers["X-Cache"], again.get_json()["warnings"]) == ("hit", [])


def test_an_answer_that_added_warnings_is_not_stored(app: Flask) -> None:
    def degraded() -> dict[str, Any]:
        add_warning("a dependency is degraded")
        return {"items": []}

    with app.test_request_context(ENTRIES):
        statuses = [
            cached_payload(endpoint="test", params={}, viewer=None, compute=degraded).status
            for _ in range(2)
        ]
    assert statuses == ["miss", "miss"]


def test_if_none_match_is_answered_from_the_cached_etag(
    app: Flask, client: FlaskClient, author: Headers, editor: Headers
) -> None:
    entry_id = published(client, author, editor)
    url = f"{ENTRIES}/{entry_id}"
    etag = get(client, url).headers["ETag"]
    with sql_statements(app, ENTRY_SQL) as queries:
        unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert (unchanged.headers["ETag"], unchanged.headers["X-Cache"]) == (etag, "hit")
    assert unchanged.headers["Cache-Control"] == "private, no-cache"
    assert queries == []

    assert client.patch(url, json={"title": "Renamed"}, headers=author).status_code == 200
    stale = client.get(url, headers={"If-None-Match": etag})
    assert stale.status_code == 200
    assert stale.headers["ETag"] == f'"e{entry_id}-v4"' != etag
    assert title_of(stale) == "Renamed"
    assert client.get(url, headers={"If-None-Match": stale.headers["ETag"]}).status_code == 304


def test_registered_variants_separate_cache_entries(app: Flask, client: FlaskClient) -> None:
    register_variant(app, "density", lambda viewer: request.headers.get("X-Density", "3"))
    assert get(client, ENTRIES).headers["X-Cache"] == "miss"
    assert get(client, ENTRIES, {"X-Density": "3"}).headers["X-Cache"] == "hit"
    assert get(client, ENTRIES, {"X-Density": "5"}).headers["X-Cache"] == "miss"
    assert get(client, ENTRIES, {"X-Density": "5"}).headers["X-Cache"] == "hit"

    def broken(viewer: Principal | None) -> str:
        raise RuntimeError("provider bug")

    register_variant(app, "broken", broken)
    assert get(client, ENTRIES).headers["X-Cache"] == "bypass"  # answered, never misfiled


def test_caching_can_be_turned_off(
    make_app: AppFactory, people: People, author: Headers, editor: Headers
) -> None:
    app = make_app(api_cache_timeout=0)
    client = app.test_client()
    entry_id = published(client, author, editor)
    for url in (ENTRIES, f"{ENTRIES}/{entry_id}"):
        for _ in range(2):
            with sql_statements(app, ENTRY_SQL) as queries:
                assert get(client, url).headers["X-Cache"] == "bypass"
            assert queries


def test_a_lost_generation_restarts_from_the_clock(app: Flask, client: FlaskClient) -> None:
    assert get(client, ENTRIES).headers["X-Cache"] == "miss"
    with app.app_context():
        cache.delete(GENERATION_KEY)  # evicted (memory cache) or flushed (Redis)
    assert get(client, ENTRIES).headers["X-Cache"] == "miss"
    with app.app_context():
        cache.delete(GENERATION_KEY)
        invalidate()  # INCR of a missing counter would start at 1, a value used before
        assert cache.get(GENERATION_KEY) >= CLOCK_FLOOR


# --- Redis --------------------------------------------------------------------------------------
def test_instances_sharing_redis_see_each_others_invalidation(
    make_app: AppFactory, redis_url: str, people: People
) -> None:
    one, two = make_app(redis_url=redis_url), make_app(redis_url=redis_url)
    a, b = one.test_client(), two.test_client()
    author = bearer(tokens_for(a, "aurora")["access_token"])
    editor = bearer(tokens_for(a, "edith")["access_token"])
    entry_id = published(a, author, editor, title="Before")
    url = f"{ENTRIES}/{entry_id}"
    for path in (url, ENTRIES):
        assert get(b, path).headers["X-Cache"] == "miss"
        assert get(a, path).headers["X-Cache"] == "hit"  # one cache for both instances
    assert title_of(get(b, url)) == "Before"

    assert a.patch(url, json={"title": "After"}, headers=author).status_code == 200
    fresh = get(b, url)
    assert (fresh.headers["X-Cache"], title_of(fresh)) == ("miss", "After")
    assert [item["title"] for item in get(b, ENTRIES).get_json()["data"]["items"]] == ["After"]


def test_redis_down_never_fails_a_request(make_app: AppFactory, people: People) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(redis_url=f"redis://127.0.0.1:{port}/0")
    client = app.test_client()
    author = bearer(tokens_for(client, "aurora")["access_token"])
    editor = bearer(tokens_for(client, "edith")["access_token"])
    entry_id = published(client, author, editor)  # the invalidations fail and are logged
    for url in (ENTRIES, f"{ENTRIES}/{entry_id}"):
        assert get(client, url).headers["X-Cache"] == "bypass"


def test_an_invalidation_lost_to_a_redis_outage_is_delivered_later(
    make_app: AppFactory, redis_url: str, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(redis_url=redis_url)
    client = app.test_client()
    author = bearer(tokens_for(client, "aurora")["access_token"])
    editor = bearer(tokens_for(client, "edith")["access_token"])
    entry_id = published(client, author, editor, title="Before")
    url = f"{ENTRIES}/{entry_id}"
    get(client, url)
    assert get(client, url).headers["X-Cache"] == "hit"
    backend = app.extensions["cache"][cache]

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("redis is down")

    with monkeypatch.context() as outage:
        outage.setattr(backend, "inc", down)
        assert client.patch(url, json={"title": "After"}, headers=author).status_code == 200
        during = get(client, url)  # the owed bump keeps this process off the old entries
        assert (during.headers["X-Cache"], title_of(during)) == ("bypass", "After")
    after = get(client, url)
    assert (after.headers["X-Cache"], title_of(after)) == ("miss", "After")

"""The conventions every REST route shares (core/api): unknown query parameters are refused,
every list pages the same way and answers one `pagination` shape, filters name things by slug
or id, and every 201 says where the new resource lives."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.conftest import TEST_JWT_SECRET, TEST_SECRET
from tests.modules.accounts.support import assert_error, bearer, make_user, tokens_for
from versehub import create_app
from versehub.core.limits import service as limits_service
from versehub.core.limits.state import current_limits

Headers = dict[str, str]
UNKNOWN = "colour_of_the_sky"
PAGINATION_KEYS = ["page", "per_page", "total", "pages", "has_more", "next_cursor"]

# GET routes outside the REST API, each with why it takes any query string.
NOT_API: dict[str, str] = {
    "/account/": "web page: links and browsers add parameters (utm_*, next)",
    "/account/login": "web page",
    "/account/preferences": "web page",
    "/account/register": "web page",
    "/account/reset": "web page (the reset link carries its token)",
    "/account/verify": "web page (the verification link carries its token)",
    "/static/<path:filename>": "static file: cache-busting `?v=`",
    "/api/docs/assets/<path:filename>": "Swagger UI's static files",
    "/health/live": "probe of the orchestrator, not the API",
    "/health/ready": "probe of the orchestrator, not the API",
    "/metrics": "Prometheus scrape, not the API",
}


def _rules() -> list[Rule]:
    # The URL map of a real app, built once at collection to parametrise the tests.
    with tempfile.TemporaryDirectory() as folder:
        settings = {
            "env": "testing",
            "instance_path": Path(folder) / "instance",
            "database_url": f"sqlite:///{folder}/rules.db",
            "secret_key": TEST_SECRET,
            "jwt_secret_key": TEST_JWT_SECRET,
            "log_level": "WARNING",
            "embedded_worker": False,
        }
        app = create_app(settings)
        return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


RULES = _rules()
# Web pages (outside /api/) follow the browser's conventions instead: links and browsers add
# parameters (utm_*, next, htmx's own), and a page ignores what it does not read.
GET_RULES = sorted(
    {rule.rule for rule in RULES if "GET" in (rule.methods or ()) and rule.rule.startswith("/api/")}
)
# A value for each path argument; validation runs before the view looks anything up.
PATH_VALUES = {
    "entry_id": 1,
    "number": 1,
    "category_id": 1,
    "key_id": 1,
    "user_id": 1,
    "key": "ip:203.0.113.9",
    "name": "knowledge",
}


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> Headers:
    """A signed-in admin (and editor) with a verified email: every guard lets them through."""
    make_user(
        app,
        email="root@example.com",
        username="root",
        roles=("admin", "editor", "member"),
        verified=True,
    )
    return bearer(tokens_for(client, "root")["access_token"])


def _url(rule_text: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(PATH_VALUES[m.group(1)]), rule_text)


@pytest.mark.parametrize("rule", GET_RULES)
def test_every_get_route_refuses_a_query_parameter_it_does_not_declare(
    rule: str, client: FlaskClient, admin: Headers
) -> None:
    if rule in NOT_API:
        assert not rule.startswith("/api/v1/"), "every /api/v1 route follows the convention"
        return
    response = client.get(f"{_url(rule)}?{UNKNOWN}=blue", headers=admin)
    body = assert_error(response, 422, "VAL_INVALID")
    assert [error["field"] for error in body["error"]["errors"]] == [UNKNOWN]


@pytest.mark.parametrize("misspelt", ["categroy", "PER_PAGE", "per-page", "page[]", ""])
def test_a_misspelt_parameter_is_named_not_ignored(
    misspelt: str, client: FlaskClient, admin: Headers
) -> None:
    for url in ("/api/v1/categories", "/api/v1/auth/me", "/api/v1/entries"):
        body = assert_error(client.get(f"{url}?{misspelt}=1", headers=admin), 422, "VAL_INVALID")
        assert [error["field"] for error in body["error"]["errors"]] == [misspelt]


def test_the_guards_answer_before_the_query_is_read(client: FlaskClient) -> None:
    assert_error(client.get(f"/api/v1/admin/users?{UNKNOWN}=1"), 401, "AUTH_REQUIRED")
    assert_error(client.get(f"/api/v1/auth/me?{UNKNOWN}=1"), 401, "AUTH_REQUIRED")


# --- one pagination shape -------------------------------------------------------------------
def _list_operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """GET operations whose answer is a list (`data.pagination`), by path."""
    schemas = spec["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    found = {}
    for path, item in spec["paths"].items():
        get = item.get("get")
        if get is None:
            continue
        content = get["responses"]["200"].get("content", {}).get("application/json")
        if content is None:
            continue
        data = resolve(resolve(content["schema"]).get("properties", {}).get("data", {}))
        if "pagination" in data.get("properties", {}):
            found[path] = {"operation": get, "pagination": data["properties"]["pagination"]}
    return found


def test_every_list_documents_one_pagination_model_and_page_parameters(
    client: FlaskClient,
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    lists = _list_operations(spec)
    assert set(lists) == {path for path, _ in LISTS}
    pagination = spec["components"]["schemas"]["Pagination"]
    assert list(pagination["properties"]) == PAGINATION_KEYS
    assert sorted(pagination["required"]) == sorted(PAGINATION_KEYS)
    for path, found in lists.items():
        assert found["pagination"] == {"$ref": "#/components/schemas/Pagination"}, path
        names = {p["name"] for p in found["operation"].get("parameters", []) if p["in"] == "query"}
        assert {"page", "per_page"} <= names, path


@dataclass
class World:
    """Two or more of everything a list shows."""

    entry_id: int
    category: dict[str, Any]
    admin_id: int


@pytest.fixture
def world(app: Flask, client: FlaskClient, admin: Headers) -> World:
    """Categories, tagged entries with revisions, binned entries, keys, audit events and bans."""
    categories = [
        client.post(
            "/api/v1/categories", json={"name": name, "colour": "#1f6feb"}, headers=admin
        ).get_json()["data"]["category"]
        for name in ("Interpreting", "Captions", "Deaf history")
    ]
    ids = []
    for n in range(4):
        body = {
            "title": f"Sign language basics {n}",
            "content": "Deaf people use sign languages. Captions help everyone.",
            "category": categories[0]["slug"],
            "tags": ["asl", "captions", f"t{n}"],
        }
        answer = client.post("/api/v1/entries", json=body, headers=admin)
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["data"]["entry"]["id"])
    for title in ("Second title", "Third title"):
        edit = client.patch(f"/api/v1/entries/{ids[0]}", json={"title": title}, headers=admin)
        assert edit.status_code == 200, edit.get_json()
    for entry_id in ids[2:]:
        assert client.delete(f"/api/v1/entries/{entry_id}", headers=admin).status_code == 200
    for name in ("one", "two"):
        key = {"name": name, "scopes": ["entries:read"]}
        assert client.post("/api/v1/auth/api-keys", json=key, headers=admin).status_code == 201
    make_user(app, email="x@example.com", username="xavier")
    with app.app_context():
        for address in ("203.0.113.9", "203.0.113.10"):
            limits_service.ban(
                bans=current_limits().bans,
                key=f"ip:{address}",
                duration=600,
                reason="test",
                actor="cli",
                actor_id=None,
            )
    me = client.get("/api/v1/auth/me", headers=admin).get_json()["data"]["user"]
    return World(entry_id=ids[0], category=categories[0], admin_id=me["id"])


# Every list with a query that has at least two items in `world`.
LISTS: list[tuple[str, str]] = [
    ("/api/v1/entries", "/api/v1/entries"),
    ("/api/v1/search", "/api/v1/search?q=sign"),
    ("/api/v1/categories", "/api/v1/categories"),
    ("/api/v1/tags", "/api/v1/tags"),
    ("/api/v1/entries/{entry_id}/revisions", "/api/v1/entries/{entry_id}/revisions"),
    ("/api/v1/recycle-bin", "/api/v1/recycle-bin"),
    ("/api/v1/admin/users", "/api/v1/admin/users"),
    ("/api/v1/admin/audit", "/api/v1/admin/audit"),
    ("/api/v1/admin/bans", "/api/v1/admin/bans"),
    ("/api/v1/auth/api-keys", "/api/v1/auth/api-keys"),
]


@pytest.mark.parametrize(("path", "url"), LISTS, ids=[path for path, _ in LISTS])
def test_every_list_pages_with_page_and_per_page_in_one_shape(
    path: str, url: str, client: FlaskClient, admin: Headers, world: World
) -> None:
    url = url.format(entry_id=world.entry_id)
    joiner = "&" if "?" in url else "?"
    first = client.get(f"{url}{joiner}per_page=1", headers=admin)
    assert first.status_code == 200, first.get_json()
    data = first.get_json()["data"]
    assert list(data) == ["items", "pagination"]
    assert list(data["pagination"]) == PAGINATION_KEYS
    assert len(data["items"]) == 1
    assert data["pagination"]["per_page"] == 1
    assert data["pagination"]["has_more"] is True
    second = client.get(f"{url}{joiner}per_page=1&page=2", headers=admin).get_json()["data"]
    assert list(second["pagination"]) == PAGINATION_KEYS
    assert second["pagination"]["page"] == 2
    assert len(second["items"]) == 1
    assert second["items"] != data["items"]
    if data["pagination"]["total"] is not None:  # counted lists
        whole = data["pagination"]["total"]
        assert whole >= 2
        assert data["pagination"]["pages"] == whole
        assert data["pagination"]["next_cursor"] is None
    for bad in ("per_page=0", "per_page=101", "page=0", "page=x"):
        body = assert_error(client.get(f"{url}{joiner}{bad}", headers=admin), 422, "VAL_INVALID")
        assert [e["field"] for e in body["error"]["errors"]] == [bad.split("=")[0]]


def test_the_entry_list_still_walks_by_cursor(
    client: FlaskClient, admin: Headers, world: World
) -> None:
    first = client.get("/api/v1/entries?per_page=1", headers=admin).get_json()["data"]
    cursor = first["pagination"]["next_cursor"]
    assert cursor is not None
    assert first["pagination"]["page"] is None
    assert first["pagination"]["total"] is None
    assert first["pagination"]["pages"] is None
    second = client.get(f"/api/v1/entries?per_page=1&cursor={cursor}", headers=admin)
    assert second.status_code == 200
    assert second.get_json()["data"]["items"] != first["items"]


# --- filters name things by slug or id -------------------------------------------------------
def test_filters_take_a_slug_or_an_id(client: FlaskClient, admin: Headers, world: World) -> None:
    def titles(query: str) -> list[str]:
        answer = client.get(f"/api/v1/entries?{query}", headers=admin)
        assert answer.status_code == 200, answer.get_json()
        return sorted(item["title"] for item in answer.get_json()["data"]["items"])

    everything = titles("")
    assert len(everything) == 2
    assert titles(f"category={world.category['slug']}") == everything
    assert titles(f"category={world.category['id']}") == everything
    tags = client.get("/api/v1/tags?per_page=100", headers=admin).get_json()["data"]["items"]
    t1 = next(tag for tag in tags if tag["name"] == "t1")
    assert titles("tag=T1") == titles(f"tag={t1['id']}") == ["Sign language basics 1"]
    assert titles("author=root") == titles(f"author={world.admin_id}") == everything


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=Interpreting", "category"),
        ("category=no-such-category", "category"),
        ("category=999999", "category"),
        ("category=99999999999999999999", "category"),
        ("tag=never-used", "tag"),
        ("tag=999999", "tag"),
        ("tag=%F0%9F%98%80%E2%80%AE", "tag"),
        ("author=nobody", "author"),
        ("author=999999", "author"),
        ("author=99999999999999999999", "author"),
    ],
)
@pytest.mark.parametrize("route", ["/api/v1/entries", "/api/v1/search?q=sign"])
def test_a_filter_naming_nothing_is_refused(
    route: str, query: str, field: str, client: FlaskClient, admin: Headers, world: World
) -> None:
    joiner = "&" if "?" in route else "?"
    body = assert_error(client.get(f"{route}{joiner}{query}", headers=admin), 422, "VAL_INVALID")
    assert [e["field"] for e in body["error"]["errors"]] == [field]


# --- 201 Created carries Location --------------------------------------------------------------
def _create_bodies(world: World) -> dict[str, tuple[dict[str, Any], str]]:
    # Each create route: a body, and where the new resource's id is in the answer.
    return {
        "/api/v1/auth/register": (
            {
                "email": "new@example.com",
                "username": "newbie",
                "password": "Vivid-Lantern-Orchard-42",
            },
            "user",
        ),
        "/api/v1/auth/api-keys": ({"name": "three", "scopes": ["entries:read"]}, "api_key"),
        "/api/v1/categories": ({"name": "Sign poetry", "colour": "#1f6feb"}, "category"),
        "/api/v1/entries": ({"title": "New one", "content": "Deaf culture."}, "entry"),
    }


def test_every_create_answers_201_with_the_location_of_what_it_made(
    client: FlaskClient, admin: Headers, world: World
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    creates = {
        path
        for path, item in spec["paths"].items()
        if "201" in item.get("post", {}).get("responses", {})
    }
    bodies = _create_bodies(world)
    assert creates == set(bodies)
    for path in creates:
        headers = spec["paths"][path]["post"]["responses"]["201"].get("headers", {})
        assert "Location" in headers, path
    for path, (body, member) in bodies.items():
        answer = client.post(path, json=body, headers=admin)
        assert answer.status_code == 201, (path, answer.get_json())
        made = answer.get_json()["data"][member]
        location = answer.headers.get("Location")
        assert location is not None, path
        fetched = client.get(location, headers=admin)
        assert fetched.status_code == 200, (path, location, fetched.get_json())
        assert fetched.get_json()["data"][member]["id"] == made["id"], path

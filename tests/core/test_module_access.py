"""Per-user module denials hold on every route, page and GraphQL root field of every module.

Runs over each built-in module and a plug-in (`gadgets`) that has what the built-ins lack: an
HTML page. Denials are set the way an admin sets them (`PUT /admin/users/{id}/modules/{name}`);
callers use a bearer token and an API key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from strawberry.schema.config import StrawberryConfig
from werkzeug.routing import Rule

from tests.core.test_modules import PluginDir, plugins  # noqa: F401 - the fixture is used
from tests.modules.accounts.support import bearer, count, make_user, tokens_for
from tests.modules.accounts.web_support import web_login
from versehub.core.graphql import root_field_owners
from versehub.core.modules import discover_builtin, get_registry
from versehub.extensions import db
from versehub.modules.accounts.models import User, UserModuleAccess
from versehub.modules.accounts.service import api_keys
from versehub.modules.accounts.service.meta import RequestMeta
from versehub.modules.knowledge.models import Entry

GADGETS = """
import strawberry
from flask import Blueprint
from versehub.core.envelope import envelope
from versehub.core.modules import Module

api = Blueprint("gadgets_api", __name__, url_prefix="/api/v1/gadgets")
web = Blueprint("gadgets_web", __name__, url_prefix="/gadgets")

@api.get("/")
def list_gadgets():
    return envelope({"gadgets": ["lamp"]})

@api.post("/")
def add_gadget():
    return envelope({"added": True}, status=201)

@web.get("/")
def gadgets_page():
    return "<!doctype html><title>Gadgets</title><h1>Gadgets</h1>"

@strawberry.type
class GadgetQuery:
    @strawberry.field
    def gadget_names(self) -> list[str]:
        return ["lamp"]

@strawberry.type
class GadgetMutation:
    @strawberry.mutation
    def add_gadget(self, name: str) -> str:
        return name

module = Module(name="gadgets", blueprints=(api, web), graphql_query=GadgetQuery,
                graphql_mutation=GadgetMutation)
"""

MODULES = [*(m.name for m in discover_builtin()), "gadgets"]
ALL_SCOPES = ["entries:read", "entries:write", "media:write", "agents:write"]


@dataclass(frozen=True)
class Caller:
    """One way to call: a bearer token or an API key of the same person."""

    name: str
    headers: dict[str, str]


@pytest.fixture
def gadgets_app(plugins: PluginDir, make_app: Any) -> Flask:  # noqa: F811
    """The app with every built-in module and the `gadgets` plug-in."""
    plugins.add("gadgets", GADGETS)
    return make_app()  # type: ignore[no-any-return]


def _admin_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    make_user(app, email="root@example.com", username="root", roles=("admin",), verified=True)
    return bearer(tokens_for(client, "root")["access_token"])


def _callers(app: Flask, client: FlaskClient, user_id: int, username: str) -> list[Caller]:
    with app.app_context():
        owner = db.session.get_one(User, user_id)
        _, key = api_keys.create(
            owner=owner,
            actor_id=user_id,
            actor_is_admin=False,
            name="service",
            scopes=ALL_SCOPES,
            expires_at=None,
            meta=RequestMeta(),
        )
    token = tokens_for(client, username)["access_token"]
    return [Caller("bearer", bearer(token)), Caller("api_key", {"X-API-Key": key})]


def _deny(client: FlaskClient, admin: dict[str, str], user_id: int, module: str) -> Any:
    return client.put(
        f"/api/v1/admin/users/{user_id}/modules/{module}", json={"access": "deny"}, headers=admin
    )


def _module_rules(app: Flask, module: str) -> list[Rule]:
    with app.app_context():
        found = get_registry().get(module)
        assert found is not None
        blueprints = {bp.name for bp in found.blueprints}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in blueprints]
    assert rules, f"module {module} has no routes"
    return rules


def _call(client: FlaskClient, rule: Rule, headers: dict[str, str]) -> Any:
    path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule.rule)
    methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    method = "GET" if "GET" in methods else methods[0]
    return client.open(path, method=method, headers={**headers, "Accept": "text/html"})


def _refused(response: Any, module: str, *, page: bool) -> bool:
    if response.status_code != 403:
        return False
    if page:
        text = response.get_data(as_text=True)
        return response.mimetype == "text/html" and f"You may not use the {module} module" in text
    error = response.get_json()["error"]
    return bool(
        error["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
        and error["details"].get("required_module") == module
    )


def _graphql_roots(app: Flask, module: str) -> list[tuple[str, str]]:
    with app.app_context():
        owners = root_field_owners(get_registry().enabled, StrawberryConfig())
    return [key for key, owner in owners.items() if owner == module]


@pytest.mark.parametrize("module", MODULES)
def test_a_denied_module_refuses_every_route_page_and_graphql_field(
    gadgets_app: Flask, module: str
) -> None:
    app, client = gadgets_app, gadgets_app.test_client()
    admin = _admin_headers(app, client)
    denied_id = make_user(app, username="dora", email="dora@example.com", verified=True)
    allowed_id = make_user(app, username="alma", email="alma@example.com", verified=True)
    with app.app_context():
        deniable = get_registry().get(module).deniable  # type: ignore[union-attr]
    answer = _deny(client, admin, denied_id, module)
    if not deniable:
        # Signing in, one's own account and instance information stay reachable for all.
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["error"]["errors"][0]["field"] == "access"
        # A denial stored anyway (written before this rule) changes nothing either.
        with app.app_context():
            db.session.add(UserModuleAccess(user_id=denied_id, module=module, allowed=False))
            db.session.commit()
    else:
        assert answer.status_code == 200, answer.get_json()

    denied = _callers(app, client, denied_id, "dora")
    allowed = _callers(app, client, allowed_id, "alma")
    for rule in _module_rules(app, module):
        page = not rule.rule.startswith("/api/")
        for caller in denied:
            response = _call(client, rule, caller.headers)
            assert _refused(response, module, page=page) is deniable, (
                rule.rule,
                caller.name,
                response.status_code,
            )
        for caller in allowed:
            response = _call(client, rule, caller.headers)
            assert not _refused(response, module, page=page), (rule.rule, caller.name)

    for root, field in _graphql_roots(app, module):
        operation = "mutation" if root == "Mutation" else "query"
        for caller in denied:
            response = client.post(
                "/graphql", json={"query": f"{operation} {{ {field} }}"}, headers=caller.headers
            )
            body = response.get_json()
            refusals = [
                e
                for e in body.get("errors", [])
                if e.get("extensions", {}).get("details") == {"required_module": module}
            ]
            assert bool(refusals) is deniable, (field, caller.name, body)
            if deniable:
                assert refusals[0]["extensions"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
                assert refusals[0]["message"] == f"You may not use the {module} module"
                assert body.get("data") is None


@pytest.mark.parametrize("via", ["bearer", "api_key"])
def test_a_denied_member_can_neither_list_nor_create_entries(app: Flask, via: str) -> None:
    client = app.test_client()
    admin = _admin_headers(app, client)
    user_id = make_user(app, verified=True)
    assert _deny(client, admin, user_id, "knowledge").status_code == 200
    caller = next(c for c in _callers(app, client, user_id, "ada") if c.name == via)
    entry = {"title": "Sign names", "content": "How sign names are given."}

    listed = client.get("/api/v1/entries", headers=caller.headers)
    created = client.post("/api/v1/entries", json=entry, headers=caller.headers)
    mutation = 'mutation { createEntry(input: {title: "Sign names", content: "How."}) { id } }'
    graphql = client.post("/graphql", json={"query": mutation}, headers=caller.headers)

    for response in (listed, created):
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
        assert error["details"] == {"required_module": "knowledge"}
        assert "knowledge" in response.get_json()["message"]
    errors = graphql.get_json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["AUTH_INSUFFICIENT_PERMISSIONS"]
    assert graphql.get_json().get("data") is None
    assert count(app, Entry) == 0

    # Lifting the denial (DELETE) gives the module back at once.
    client.delete(f"/api/v1/admin/users/{user_id}/modules/knowledge", headers=admin)
    assert client.get("/api/v1/entries", headers=caller.headers).status_code == 200


def test_anonymous_callers_are_not_refused_an_open_module(client: FlaskClient) -> None:
    assert client.get("/api/v1/entries").status_code == 200
    body = client.post("/graphql", json={"query": "{ tags { entries } }"}).get_json()
    assert "errors" not in body


def test_a_restricted_module_needs_a_signed_in_grant(gadgets_app: Flask) -> None:
    app, client = gadgets_app, gadgets_app.test_client()
    admin = _admin_headers(app, client)
    user_id = make_user(app, verified=True)
    with app.app_context():
        registry = get_registry()
        registry.enabled[:] = [
            replace(m, restricted=True) if m.name == "gadgets" else m for m in registry.enabled
        ]
    member = bearer(tokens_for(client)["access_token"])

    anonymous = client.get("/api/v1/gadgets/")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["details"] == {"required_module": "gadgets"}
    assert client.get("/api/v1/gadgets/", headers=member).status_code == 403
    assert client.get("/gadgets/", headers=member).status_code == 403

    granted = client.put(
        f"/api/v1/admin/users/{user_id}/modules/gadgets", json={"access": "grant"}, headers=admin
    )
    assert granted.status_code == 200
    assert client.get("/api/v1/gadgets/", headers=member).status_code == 200
    assert client.get("/gadgets/", headers=member).status_code == 200


def test_a_denied_module_page_refuses_a_web_session(gadgets_app: Flask) -> None:
    app, client = gadgets_app, gadgets_app.test_client()
    admin = _admin_headers(app, client)
    user_id = make_user(app, verified=True)
    browser = app.test_client()
    assert web_login(browser).status_code == 302
    assert browser.get("/gadgets/").status_code == 200
    assert _deny(client, admin, user_id, "gadgets").status_code == 200

    page = browser.get("/gadgets/")

    assert page.status_code == 403
    assert page.mimetype == "text/html"
    assert "You may not use the gadgets module" in page.get_data(as_text=True)
    # The account pages stay reachable (accounts cannot be denied).
    assert browser.get("/account/").status_code == 200

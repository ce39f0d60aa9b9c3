"""GraphQL: schema merged from modules, limits, error codes, masking, auth context."""

from __future__ import annotations

import time
from typing import Any

import pytest
import strawberry
from flask import Flask
from structlog.testing import capture_logs

from tests.conftest import AppFactory
from versehub.core.auth import Principal, register_resolver
from versehub.core.errors import APIError
from versehub.core.graphql import build_schema
from versehub.core.modules import Module, get_registry
from versehub.settings import Settings


@strawberry.type
class Node:
    """A recursive type, to build deep and costly queries."""

    depth: int

    @strawberry.field
    def child(self) -> Node:
        return Node(depth=self.depth + 1)

    @strawberry.field
    def children(self, first: int = 10) -> list[Node]:
        return [Node(depth=self.depth + 1) for _ in range(min(first, 3))]


@strawberry.type
class SampleQuery:
    @strawberry.field
    def node(self) -> Node:
        return Node(depth=0)

    @strawberry.field
    def forbidden(self) -> str:
        raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", "Editors only", details={"role": "editor"})

    @strawberry.field
    def buggy(self) -> str:
        raise RuntimeError("SELECT password FROM users")

    @strawberry.field
    def whoami(self, info: strawberry.Info) -> int | None:
        principal = info.context.principal
        return principal.user_id if principal else None


@strawberry.type
class SampleMutation:
    @strawberry.mutation
    def echo(self, text: str) -> str:
        return text


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # nothing here touches the database


@pytest.fixture
def gql_app(make_app: AppFactory) -> Flask:
    app = make_app(graphql_max_depth=8, graphql_max_aliases=30, graphql_max_cost=500)
    with app.app_context():
        get_registry().enabled.append(
            Module(name="gqltest", graphql_query=SampleQuery, graphql_mutation=SampleMutation)
        )

    def resolver() -> Principal | None:
        from flask import request

        return Principal(kind="user", user_id=42) if request.headers.get("X-Test-As") else None

    register_resolver(app, resolver)
    return app


def gql(app: Flask, query: str, **extra: Any) -> dict[str, Any]:
    response = app.test_client().post("/graphql", json={"query": query}, **extra)
    assert response.status_code == 200, response.data
    body: dict[str, Any] = response.get_json()
    return body


def test_core_and_module_fields_are_merged(gql_app: Flask) -> None:
    body = gql(gql_app, "{ api { version } node { depth child { depth } } }")
    assert body["data"]["node"] == {"depth": 0, "child": {"depth": 1}}
    assert body["data"]["api"]["version"]
    assert gql(gql_app, 'mutation { echo(text: "hi") }')["data"] == {"echo": "hi"}


def test_depth_limit(gql_app: Flask) -> None:
    deep = "{ node { " + "child { " * 50 + "depth" + " }" * 50 + " } }"
    errors = gql(gql_app, deep)["errors"]
    assert "exceeds maximum operation depth of 8" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "GRAPHQL_DEPTH_LIMIT"
    assert errors[0]["extensions"]["limit"] == 8


def test_depth_counts_fragments(gql_app: Flask) -> None:
    query = (
        "{ node { ...A } } fragment A on Node { child { child { ...B } } } "
        "fragment B on Node { child { child { child { child { child { child { depth } } } } } } }"
    )
    error = gql(gql_app, query)["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_DEPTH_LIMIT"


def test_alias_limit(gql_app: Flask) -> None:
    query = "{ " + " ".join(f"a{i}: node {{ depth }}" for i in range(40)) + " }"
    errors = gql(gql_app, query)["errors"]
    assert "40 aliases found. Allowed: 30" in errors[0]["message"]
    assert errors[0]["extensions"] == {"code": "GRAPHQL_ALIAS_LIMIT", "aliases": 40, "limit": 30}


def test_aliases_in_fragments_count(gql_app: Flask) -> None:
    fields = " ".join(f"a{i}: depth" for i in range(20))
    query = "{ x: node { ...F } y: node { ...F } } fragment F on Node { " + fields + " }"
    error = gql(gql_app, query)["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_ALIAS_LIMIT"
    assert error["extensions"]["aliases"] == 42


@pytest.mark.parametrize(
    "query",
    [
        # A chain of ofType with no list: only the depth limit can stop it.
        '{ __type(name: "Node") { ' + "ofType { " * 20 + "name" + " }" * 20 + " } }",
        # Introspection lists nested in each other: fan-out, within the plain depth limit.
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        '{ ...I } fragment I on Query { __type(name: "Node") { '
        + "ofType { " * 20
        + "name"
        + " }" * 20
        + " } }",
    ],
    ids=["of-type-chain", "nested-lists", "through-a-fragment"],
)
def test_depth_limits_apply_to_introspection(gql_app: Flask, query: str) -> None:
    body = gql(gql_app, query)
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_DEPTH_LIMIT"


def test_the_standard_introspection_query_passes(gql_app: Flask) -> None:
    from graphql import get_introspection_query

    body = gql(gql_app, get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert "errors" not in body, body.get("errors")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_fragments_are_measured_once(gql_app: Flask) -> None:
    # Each fragment spreads the next twice: 2^21 fields if every spread were walked again.
    fragments = " ".join(f"fragment F{i} on Node {{ ...F{i + 1} ...F{i + 1} }}" for i in range(21))
    query = "{ node { ...F0 } } " + fragments + " fragment F21 on Node { depth }"
    started = time.perf_counter()
    error = gql(gql_app, query)["errors"][0]
    assert time.perf_counter() - started < 5  # the repeated walk took over 30 s
    assert error["extensions"]["code"] == "GRAPHQL_COST_LIMIT"
    assert error["extensions"]["cost"] == 2**21 + 1


def test_a_thousand_aliases_stop_at_parsing(gql_app: Flask) -> None:
    query = "{ " + " ".join(f"a{i}: node {{ depth }}" for i in range(1000)) + " }"
    errors = gql(gql_app, query)["errors"]
    assert "more than 2000 tokens" in errors[0]["message"]


def test_token_limit_rejects_huge_documents(make_app: AppFactory) -> None:
    app = make_app(graphql_max_tokens=100)
    query = "{ " + " ".join("api { version }" for _ in range(100)) + " }"
    errors = gql(app, query)["errors"]
    assert "token" in errors[0]["message"].lower()


def test_cost_limit_counts_list_pages(gql_app: Flask) -> None:
    cheap = gql(gql_app, "{ node { children(first: 5) { depth } } }")
    assert "errors" not in cheap
    costly = "{ node { children(first: 100) { children(first: 100) { depth } } } }"
    error = gql(gql_app, costly)["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_COST_LIMIT"
    assert error["extensions"]["limit"] == 500
    assert error["extensions"]["cost"] > 500


def test_domain_errors_keep_their_code(gql_app: Flask) -> None:
    error = gql(gql_app, "{ forbidden }")["errors"][0]
    assert error["message"] == "Editors only"
    assert error["extensions"] == {
        "code": "AUTH_INSUFFICIENT_PERMISSIONS",
        "details": {"role": "editor"},
    }


def test_unexpected_errors_are_masked_and_logged(gql_app: Flask) -> None:
    with capture_logs() as logs:
        body = gql(gql_app, "{ buggy }", headers={"X-Request-ID": "gql-1"})
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "SELECT" not in str(body)
    logged = [entry for entry in logs if entry["event"] == "graphql_unexpected_error"]
    assert logged
    assert logged[0]["error_type"] == "RuntimeError"


def test_context_carries_the_caller(gql_app: Flask) -> None:
    assert gql(gql_app, "{ whoami }")["data"] == {"whoami": None}
    assert gql(gql_app, "{ whoami }", headers={"X-Test-As": "1"})["data"] == {"whoami": 42}


def test_batches_are_limited(gql_app: Flask) -> None:
    client = gql_app.test_client()
    ok = client.post("/graphql", json=[{"query": "{ api { version } }"}] * 5)
    assert ok.status_code == 200
    assert len(ok.get_json()) == 5
    refused = client.post("/graphql", json=[{"query": "{ api { version } }"}] * 6)
    assert refused.status_code == 400
    assert refused.get_json()["errors"][0]["message"] == "Too many operations"


def test_get_and_non_json_are_refused(gql_app: Flask) -> None:
    client = gql_app.test_client()
    assert client.get("/graphql?query={api{version}}").status_code == 405
    form = client.post("/graphql", data={"query": "{ api { version } }"})
    assert form.status_code in (400, 415)


def test_introspection_is_off_in_production(gql_app: Flask) -> None:
    production = Settings(env="production")
    schema = build_schema(gql_app, production)
    result = schema.execute_sync("{ __schema { types { name } } }")
    assert result.errors
    assert "introspection" in result.errors[0].message.lower()
    development = build_schema(gql_app, Settings(env="development"))
    assert development.execute_sync("{ __schema { queryType { name } } }").errors is None

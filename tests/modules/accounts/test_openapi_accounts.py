"""Every accounts REST route is in the OpenAPI document, with its models, security and errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tests.modules.accounts.support import assert_error
from versehub.modules.accounts.api import bp

PUBLIC = {
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/verify-email"),
    ("POST", "/api/v1/auth/password-reset/request"),
    ("POST", "/api/v1/auth/password-reset"),
}
ENVELOPE_KEYS = {"success", "message", "data", "error", "warnings"}
SIGNED_IN: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": []}]


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # the document never touches the database


@pytest.fixture
def spec(app: Flask) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    return document


def accounts_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every rule of the accounts API blueprint."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {
            (method, path) for method in rule.methods or () if method not in {"HEAD", "OPTIONS"}
        }
    return routes


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path][method.lower()]
    return op


def schema(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


def test_every_accounts_route_is_documented(app: Flask, spec: dict[str, Any]) -> None:
    routes = accounts_routes(app)
    assert len(routes) == 27
    documented = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if path.startswith(("/api/v1/auth/", "/api/v1/admin/"))
        and not path.startswith("/api/v1/admin/bans")  # core's rate-limit bans
    }
    assert documented == routes


def test_operations_have_summaries_tags_and_envelopes(app: Flask, spec: dict[str, Any]) -> None:
    for method, path in accounts_routes(app):
        op = operation(spec, method, path)
        assert op["summary"], (method, path)
        assert op["tags"]
        assert op["tags"][0] in {"auth", "api-keys", "two-factor", "admin"}
        success = [code for code in op["responses"] if code.startswith("2")]
        assert success, (method, path)
        for code in success:
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            envelope = schema(spec, ref)
            assert set(envelope["properties"]) == {
                "success",
                "message",
                "data",
                "error",
                "warnings",
            }
        for code in ("400", "422", "429", "500"):
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorEnvelope"), (method, path, code)


def test_protected_routes_declare_security_and_auth_errors(
    app: Flask, spec: dict[str, Any]
) -> None:
    for method, path in accounts_routes(app):
        op = operation(spec, method, path)
        if (method, path) in PUBLIC:
            assert "security" not in op, (method, path)
            continue
        if path == "/api/v1/auth/refresh":
            assert op["security"] == [{"bearerAuth": []}]  # the refresh token
        else:
            assert op["security"] == SIGNED_IN, (method, path)
        assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_login_request_and_response_schemas(spec: dict[str, Any]) -> None:
    op = operation(spec, "POST", "/api/v1/auth/login")
    body = schema(spec, op["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    assert set(body["properties"]) == {"login", "password", "otp"}
    assert set(body["required"]) == {"login", "password"}
    assert body["additionalProperties"] is False
    assert {"401", "423"} <= set(op["responses"])
    envelope = schema(spec, op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])
    data = schema(spec, envelope["properties"]["data"]["$ref"])
    assert {"access_token", "refresh_token", "token_type", "expires_in", "user"} <= set(
        data["properties"]
    )


def test_request_models_parameters_and_optional_bodies(spec: dict[str, Any]) -> None:
    register = operation(spec, "POST", "/api/v1/auth/register")
    assert "201" in register["responses"]
    assert register["requestBody"]["required"] is True
    # Logging out takes an optional body.
    assert operation(spec, "POST", "/api/v1/auth/logout")["requestBody"]["required"] is False
    module = operation(spec, "PUT", "/api/v1/admin/users/{user_id}/modules/{name}")
    assert {(p["name"], p["in"]) for p in module["parameters"]} == {
        ("user_id", "path"),
        ("name", "path"),
    }
    audit = operation(spec, "GET", "/api/v1/admin/audit")
    assert {p["name"] for p in audit["parameters"] if p["in"] == "query"} == {
        "page",
        "per_page",
        "event",
        "actor_id",
        "since",
        "until",
    }
    keys = operation(spec, "GET", "/api/v1/auth/api-keys")
    assert sorted(p["name"] for p in keys["parameters"]) == ["page", "per_page", "user_id"]


# Validation of the typed view parameters runs after the guards, as parse_body did.


def test_guards_run_before_body_validation(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/logout", json={"refresh_token": 5, "extra": True})
    assert_error(response, 401, "AUTH_REQUIRED")
    response = client.patch("/api/v1/admin/users/1/roles", json=[])
    assert_error(response, 401, "AUTH_REQUIRED")


def test_logout_body_is_optional_but_validated(
    client: FlaskClient, member_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/auth/logout", json={"refresh": "x"}, headers=member_headers)
    errors = assert_error(response, 422, "VAL_INVALID")["error"]["errors"]
    assert [e["field"] for e in errors] == ["refresh"]
    assert client.post("/api/v1/auth/logout", headers=member_headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("patch", f"/api/v1/admin/users/{2**40}", "user_id"),
        ("get", f"/api/v1/admin/audit?actor_id={2**63}", "actor_id"),
        ("get", f"/api/v1/auth/api-keys?user_id={2**70}", "user_id"),
        ("delete", f"/api/v1/auth/api-keys/{2**64}", "key_id"),
    ],
)
def test_ids_beyond_sql_integer_are_invalid_not_a_crash(
    client: FlaskClient, admin_headers: dict[str, str], method: str, url: str, field: str
) -> None:
    # Found by schemathesis: these reached the database and failed with a 500.
    kwargs: dict[str, Any] = {"headers": admin_headers}
    if method == "patch":
        kwargs["json"] = {"is_active": True}
    response = getattr(client, method)(url, **kwargs)
    errors = assert_error(response, 422, "VAL_INVALID")["error"]["errors"]
    assert [e["field"] for e in errors] == [field]

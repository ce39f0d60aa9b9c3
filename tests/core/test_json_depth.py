"""Deeply nested JSON is refused before decoding: VAL_MALFORMED on REST, GraphQL's error format."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import capture_logs

from tests.conftest import AppFactory
from tests.core.routes import make_blueprint
from versehub.core.validation import MAX_JSON_DEPTH, JSONTooDeep, check_json_depth

DEEP_BODIES = {
    "arrays": "[" * 1500 + "]" * 1500,
    "objects": '{"a":' * 1500 + "1" + "}" * 1500,
    "mixed": '{"title": ' + '[{"x": ' * 750 + "1" + "}]" * 750 + "}",
    "unclosed": "[" * 5000,
    "just-over": "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "text",
    [
        nested(MAX_JSON_DEPTH),
        '["' + "[" * 500 + '"]',  # brackets inside a string nest nothing
        '["\\"' + "{" * 500 + '"]',  # nor after an escaped quote
        "[" + ",".join(["[1]"] * 5000) + "]",  # many brackets, shallow
        '{"a": "\\\\", "b": [' + "[" * 10 + "]" * 10 + "]}",
    ],
    ids=["at-limit", "in-string", "escaped-quote", "wide", "escaped-backslash"],
)
def test_accepted_nesting(text: str) -> None:
    check_json_depth(text)
    check_json_depth(text.encode())
    json.loads(text)


@pytest.mark.parametrize("text", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_refused_nesting(text: str) -> None:
    with pytest.raises(JSONTooDeep):
        check_json_depth(text.encode())


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/entries"), ("patch", "/api/v1/entries/1")],
    ids=["create", "update"],
)
def test_rest_answers_val_malformed(client: FlaskClient, method: str, path: str, body: str) -> None:
    with capture_logs() as logs:
        response = client.open(path, method=method, data=body, content_type="application/json")
    assert response.status_code == 400, response.data
    answer = response.get_json()
    assert answer["success"] is False
    assert answer["error"]["code"] == "VAL_MALFORMED"
    assert answer["error"]["details"] == {"max_depth": MAX_JSON_DEPTH}
    assert not [entry for entry in logs if entry["log_level"] in {"error", "critical"}]


@pytest.mark.parametrize(
    "body",
    [
        DEEP_BODIES["arrays"],
        '{"query": "{ api { version } }", "variables": {"v": ' + nested(1500) + "}}",
    ],
    ids=["body", "variables"],
)
def test_graphql_answers_in_its_error_format(client: FlaskClient, body: str) -> None:
    with capture_logs() as logs:
        response = client.post("/graphql", data=body, content_type="application/json")
    assert response.status_code == 400, response.data
    error = response.get_json()["errors"][0]
    assert error["extensions"]["code"] == "VAL_MALFORMED"
    assert str(MAX_JSON_DEPTH) in error["message"]
    assert not [entry for entry in logs if entry["log_level"] in {"error", "critical"}]


def test_graphql_unparseable_json_is_val_malformed(client: FlaskClient) -> None:
    response = client.post("/graphql", data='{"query": ', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["extensions"]["code"] == "VAL_MALFORMED"


@pytest.fixture
def api(make_app: AppFactory) -> Flask:
    app = make_app()
    app.register_blueprint(make_blueprint())
    return app


def test_nesting_at_the_limit_reaches_validation(api: Flask) -> None:
    # A body at the limit is decoded and validated like any other (422, not 400).
    body = '{"name": ' + nested(MAX_JSON_DEPTH - 1) + ', "count": 1}'
    response = api.test_client().post(
        "/api/v1/coretest/echo", data=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "VAL_INVALID"


def test_get_json_anywhere_refuses_deep_bodies(api: Flask) -> None:
    # Flask's own request.get_json (used by extensions and key functions) has the same cap.
    with api.test_request_context(
        "/", method="POST", data=DEEP_BODIES["arrays"], content_type="application/json"
    ):
        from flask import request

        assert request.get_json(silent=True) is None

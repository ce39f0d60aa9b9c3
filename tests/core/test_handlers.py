"""The envelope and error codes of API.md on every kind of failure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import AppFactory
from tests.core.routes import make_blueprint
from tests.servers import missing
from versehub.core.errors import ERROR_STATUS, APIError
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db

API_MD = Path(__file__).resolve().parents[3] / "shared" / "API.md"
ENVELOPE_KEYS = ["success", "message", "data", "error", "warnings"]


@pytest.fixture
def api(make_app: AppFactory) -> Flask:
    app = make_app(max_content_length=2048)
    app.register_blueprint(make_blueprint())
    return app


@pytest.fixture
def api_client(api: Flask) -> FlaskClient:
    return api.test_client()


def assert_failure(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data
    body = response.get_json()
    assert list(body) == ENVELOPE_KEYS
    assert body["success"] is False
    assert body["data"] is None
    assert body["error"]["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def test_error_table_matches_api_md() -> None:
    if not API_MD.exists():
        # CI always has shared/ beside the clone: there the contract check must run.
        missing(f"shared/API.md not beside the repository ({API_MD})")
    rows = re.findall(r"^\| ([A-Z0-9_]+) \| (\d{3}) \|", API_MD.read_text(), re.MULTILINE)
    assert {code: int(status) for code, status in rows} == ERROR_STATUS


def test_unknown_error_code_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        APIError("NOPE")


def test_success_envelope(api_client: FlaskClient) -> None:
    response = api_client.post("/api/v1/coretest/echo", json={"name": "ada", "count": 2})
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ENVELOPE_KEYS
    assert body == {
        "success": True,
        "message": "created",
        "data": {"name": "ada", "count": 2},
        "error": None,
        "warnings": [],
    }


def test_list_envelope_and_query_validation(api_client: FlaskClient) -> None:
    body = api_client.get("/api/v1/coretest/page?per_page=5").get_json()
    assert body["data"] == {"items": [1, 2], "pagination": {"per_page": 5, "next_cursor": None}}
    for bad in ("0", "1000", "abc"):
        failed = assert_failure(
            api_client.get(f"/api/v1/coretest/page?per_page={bad}"), 422, "VAL_INVALID"
        )
        assert failed["error"]["errors"][0]["field"] == "per_page"


def test_warnings_are_collected_once(api_client: FlaskClient) -> None:
    body = api_client.get("/api/v1/coretest/warn").get_json()
    assert body["warnings"] == ["parameter 'x' is deprecated"]


def test_unknown_api_route(client: FlaskClient) -> None:
    body = assert_failure(client.get("/api/v1/nope"), 404, "RES_NOT_FOUND")
    assert body["error"]["errors"] == []


def test_unknown_page_is_html_for_browsers(client: FlaskClient) -> None:
    response = client.get("/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b'<html lang="en" ' in response.data
    assert b"RES_NOT_FOUND" in response.data


def test_unknown_page_is_json_for_json_clients(client: FlaskClient) -> None:
    assert_failure(
        client.get("/nope", headers={"Accept": "application/json"}), 404, "RES_NOT_FOUND"
    )


def test_wrong_method(api_client: FlaskClient) -> None:
    response = api_client.delete("/api/v1/coretest/echo")
    body = assert_failure(response, 405, "RES_METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert body["error"]["details"]["allowed_methods"] == ["OPTIONS", "POST"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"name": "ada", ', "application/json"),
        ("", "application/json"),
        ("\xff\xfe", "application/json"),
        ("name=ada", "application/x-www-form-urlencoded"),
        ('{"name": "ada", "count": 1}', "text/plain"),
    ],
    ids=["truncated", "empty", "not-utf8", "form", "text-plain"],
)
def test_malformed_body(api_client: FlaskClient, data: str, content_type: str) -> None:
    response = api_client.post(
        "/api/v1/coretest/echo", data=data.encode("latin-1"), content_type=content_type
    )
    assert_failure(response, 400, "VAL_MALFORMED")


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name", "count"}),
        ({"name": "", "count": 0}, {"name", "count"}),
        ({"name": "ada", "count": 2, "admin": True}, {"admin"}),
        ([1, 2], {""}),
        (42, {""}),
        ({"name": ["x"], "count": "many"}, {"name", "count"}),
    ],
    ids=["missing", "out-of-range", "unknown-field", "array", "number", "wrong-types"],
)
def test_validation_errors_list_each_field(
    api_client: FlaskClient, payload: object, fields: set[str]
) -> None:
    body = assert_failure(
        api_client.post("/api/v1/coretest/echo", json=payload), 422, "VAL_INVALID"
    )
    errors = body["error"]["errors"]
    assert {e["field"] for e in errors} == fields
    assert all(set(e) == {"field", "message", "type"} for e in errors)


def test_oversized_body(api_client: FlaskClient) -> None:
    response = api_client.post(
        "/api/v1/coretest/echo",
        data=b'{"name": "' + b"a" * 4096 + b'"}',
        content_type="application/json",
    )
    body = assert_failure(response, 413, "MEDIA_TOO_LARGE")
    assert body["error"]["details"]["max_bytes"] == 2048


def count_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DeadLetter)) or 0


def test_domain_error_rolls_back(api: Flask, api_client: FlaskClient) -> None:
    assert_failure(api_client.post("/api/v1/coretest/write-then-fail"), 409, "RES_CONFLICT")
    assert count_rows(api) == 0


def test_unhandled_error_is_500_without_leaks(
    api: Flask, api_client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = api_client.post(
        "/api/v1/coretest/write-then-crash", headers={"X-Request-ID": "crash-1"}
    )
    body = assert_failure(response, 500, "SYS_INTERNAL_ERROR")
    text = response.get_data(as_text=True)
    for leak in ("SELECT", "hunter2", "Traceback", "RuntimeError", "password"):
        assert leak not in text
    assert body["error"]["details"] == {"request_id": "crash-1"}
    assert response.headers["X-Request-ID"] == "crash-1"
    assert count_rows(api) == 0
    logged = capsys.readouterr().err
    assert "unhandled_exception" in logged
    assert "crash-1" in logged
    assert "hunter2" not in logged, logged

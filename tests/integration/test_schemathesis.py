"""schemathesis against the app's own OpenAPI document, through the WSGI app.

Every documented operation gets a bounded number of generated requests (25 valid and 25
invalid ones, the same every run), sent with an admin's bearer token so authenticated
operations get past the guards.
Checks: never a 5xx, every answer under /api/ is the JSON envelope, and status codes, content
types and response bodies match the document (`positive_data_acceptance` is left out: the
password policy and username rules are checked by services, beyond what a schema can say).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import AppFactory
from tests.modules.accounts.support import bearer, make_user, tokens_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SPEC_URL = "/api/v1/openapi.json"
ENVELOPE_KEYS = {"success", "message", "data", "error", "warnings"}


def envelope_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case[Any]) -> None:
    """Every answer under /api/ is a JSON envelope with exactly the five keys."""
    if not case.path.startswith("/api/"):
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), content_type
    body = response.json()
    assert isinstance(body, dict), body
    assert set(body) == ENVELOPE_KEYS, sorted(body)
    assert isinstance(body["warnings"], list)
    if body["success"]:
        assert body["error"] is None
    else:
        assert body["data"] is None
        assert isinstance(body["error"]["code"], str), body["error"]


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    envelope_shape,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def db_backend() -> str:
    return "sqlite"


def admin_headers(app: Flask, n: int) -> dict[str, str]:
    """A new admin (with a fresh token) per operation: an earlier operation may have logged
    the previous one out or switched it off."""
    name = f"root{n}"
    make_user(app, email=f"{name}@example.com", username=name, roles=("admin", "member"))
    return bearer(tokens_for(app.test_client(), name)["access_token"])


def exercise(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, headers: dict[str, str]
) -> None:
    """One Hypothesis run of `operation` in `mode`; raises on the first failed check."""

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


# schemathesis.pytest.from_fixture cannot be used: on pytest 9.2 it reads the removed
# `request.node._nodeid`. The same work, spelled out: one Hypothesis run per operation and mode.
def test_every_operation_conforms(make_app: AppFactory) -> None:
    app = make_app()
    make_user(app)  # someone for the admin operations to find
    api = schemathesis.openapi.from_wsgi(SPEC_URL, app)
    # Only our credentials, never generated Authorization / X-API-Key values.
    api.config.generation.update(with_security_parameters=False)
    operations = []
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 26
    failures: list[str] = []
    for n, operation in enumerate(operations):
        headers = admin_headers(app, n)
        for mode in MODES:
            try:
                exercise(operation, mode, headers)
            except Unsatisfiable:
                # No parameters and no body: there is nothing to make invalid.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # noqa: BLE001 - collected, reported all at once below
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)

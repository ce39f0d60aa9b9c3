"""Request ids: the client's when well-formed, a fresh one otherwise; on every response."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/nope", "/api/v1/system/info", "/nope"])
def test_every_response_has_an_id(client: FlaskClient, path: str) -> None:
    assert GENERATED.match(client.get(path).headers["X-Request-ID"])


def test_ids_differ_per_request(client: FlaskClient) -> None:
    ids = {client.get("/health/live").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("incoming", ["abc-123", "trace:7f.1_2", "A" * 128])
def test_well_formed_client_id_is_echoed(client: FlaskClient, incoming: str) -> None:
    response = client.get("/api/v1/nope", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["bad\x00id", "bad\x1bid", "two words", "A" * 129, "<script>", "-leading-dash", "é"],
    ids=["nul", "escape", "space", "too-long", "markup", "leading-dash", "non-ascii"],
)
def test_malformed_client_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    response = client.get("/health/live", headers={"X-Request-ID": incoming})
    assert GENERATED.match(response.headers["X-Request-ID"])

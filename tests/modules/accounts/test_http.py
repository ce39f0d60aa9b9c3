"""register → login → refresh → logout over real HTTP against a running server."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.modules.accounts.support import PASSWORD


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "User-Agent": "http-test/1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_full_flow_over_http(base_url: str) -> None:
    account = {"email": "web@example.com", "username": "webby", "password": PASSWORD}
    status, body = call(base_url, "POST", "/api/v1/auth/register", account)
    assert status == 201, body
    status, body = call(
        base_url, "POST", "/api/v1/auth/login", {"login": "webby", "password": PASSWORD}
    )
    assert status == 200, body
    pair = body["data"]
    status, body = call(base_url, "POST", "/api/v1/auth/refresh", token=pair["refresh_token"])
    assert status == 200, body
    fresh = body["data"]
    status, body = call(base_url, "GET", "/api/v1/auth/me", token=fresh["access_token"])
    assert (status, body["data"]["user"]["username"]) == (200, "webby")
    status, body = call(
        base_url, "POST", "/api/v1/auth/logout", {"refresh_token": fresh["refresh_token"]},
        token=fresh["access_token"],
    )  # fmt: skip
    assert status == 200, body
    status, body = call(base_url, "GET", "/api/v1/auth/me", token=fresh["access_token"])
    assert (status, body["error"]["code"]) == (401, "AUTH_TOKEN_REVOKED")
    status, body = call(base_url, "POST", "/api/v1/auth/refresh", token=pair["refresh_token"])
    assert (status, body["error"]["code"]) == (401, "AUTH_TOKEN_REVOKED")

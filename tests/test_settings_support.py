"""Shared fixtures of the settings tests: an isolated environment and a small fake Vault.

Test modules import the fixtures they use (`*_fixture`, registered under the short name);
this module holds no tests of its own.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from versehub.settings import Settings
from versehub.settings.sources import setting_names

VAULT_TOKEN = "hvs.test-token-0123456789"


@pytest.fixture(name="isolated", autouse=True)
def isolated_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No setting leaks in from the real environment, .env, home folder or proxies."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # hvac falls back to ~/.vault-token
    accepted = {
        name.upper() for field in Settings.model_fields for name in setting_names(Settings, field)
    }
    for name in list(os.environ):
        upper = name.upper()
        if upper in accepted or upper.startswith(("VERSEHUB_", "VAULT_")) or "PROXY" in upper:
            monkeypatch.delenv(name)
    return tmp_path


def write_secret(directory: Path, name: str, value: str) -> Path:
    """One Kubernetes-style secret file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(value, encoding="utf-8")
    return path


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class FakeVault:
    """Answers KV v2 reads (`GET /v1/<mount>/data/<path>`) the way Vault does."""

    def __init__(self, token: str = VAULT_TOKEN) -> None:
        self.token = token
        self.secrets: dict[str, dict[str, Any]] = {}  # "mount/path" -> data
        self.requests: list[tuple[str, str | None]] = []  # (path, X-Vault-Token)
        self.status: int | None = None  # force an answer, e.g. 503 when sealed
        self.body: Any = None  # force a body with status 200
        self.delay = 0.0
        self.released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The address to put in VAULT_ADDR."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve in a thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release a delayed answer."""
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, path: str, token: str | None) -> tuple[int, Any]:
        """Status and JSON body for a GET of `path`."""
        self.requests.append((path, token))
        if self.delay:
            self.released.wait(self.delay)
        if self.status is not None:
            return self.status, {"errors": ["forced"]}
        if token != self.token:
            return 403, {"errors": ["permission denied"]}
        if self.body is not None:
            return 200, self.body
        mount, found, secret_path = path.removeprefix("/v1/").partition("/data/")
        data = self.secrets.get(f"{mount}/{secret_path}")
        if not found or data is None:
            return 404, {"errors": []}
        metadata = {"version": 1, "deletion_time": "", "destroyed": False}
        return 200, {"request_id": "r1", "data": {"data": data, "metadata": metadata}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        vault = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = vault.answer(self.path, self.headers.get("X-Vault-Token"))
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture(name="vault")
def vault_fixture() -> Iterator[FakeVault]:
    """A fake Vault on 127.0.0.1, stopped after the test."""
    server = FakeVault()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="use_vault")
def use_vault_fixture(vault: FakeVault, monkeypatch: pytest.MonkeyPatch) -> FakeVault:
    """The fake Vault, configured the usual way (VAULT_ADDR, VAULT_TOKEN)."""
    monkeypatch.setenv("VAULT_ADDR", vault.url)
    monkeypatch.setenv("VAULT_TOKEN", vault.token)
    return vault

"""Helpers of the integration tests: JSON over HTTP, and `versehub run` in a subprocess."""

from __future__ import annotations

import json
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.core.jobs.helpers import exit_status, spawned, wait_until
from tests.servers import free_port

VERSEHUB = str(Path(sys.executable).parent / "versehub")


class Http:
    """JSON over HTTP to the server under test (loopback only)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    def alive(self) -> bool:
        try:
            return self.call("GET", "/health/live")[0] == 200
        except OSError:
            return False


@contextmanager
def versehub_run(env: dict[str, str], folder: Path, port: int | None = None) -> Iterator[Http]:
    """`versehub run` on a free loopback port, alive; stopped with SIGINT (it must exit 0)."""
    port = port or free_port()
    log = folder / "run.log"
    args = [VERSEHUB, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"]
    with spawned(args, env, folder, log) as proc:
        http = Http(port)
        try:
            wait_until(http.alive, "the server")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log:\n{log.read_text()}") from None
        yield http
        proc.send_signal(signal.SIGINT)
        assert exit_status(proc, "versehub run to stop") == 0

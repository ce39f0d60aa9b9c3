"""The whole account flow over HTTP against a running `versehub run` (embedded job worker).

register → verification mail → verify → login → 2FA set-up → login with a code → refresh →
refresh-token reuse → login with a recovery code → logout.
"""

from __future__ import annotations

import email
import json
import re
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.core.jobs.helpers import cli_env, exit_status, spawned, wait_until
from tests.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
VERSEHUB = str(Path(sys.executable).parent / "versehub")
PASSWORD = "Quiet-Harbour-Lantern-77"


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


def verification_token(mail_folder: Path) -> str:
    """The token in the link of the (only) verification mail written by the worker."""
    files = sorted(mail_folder.glob("*.eml"))
    message = email.message_from_bytes(files[0].read_bytes())
    text = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    match = re.search(r"/account/verify\?token=([A-Za-z0-9._-]+)", text)
    assert match, text
    return match.group(1)


def test_register_verify_login_2fa_refresh_logout(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    instance = tmp_path / "instance"
    env = cli_env(instance, database_url, VERSEHUB_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    log = tmp_path / "run.log"
    args = [VERSEHUB, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"]
    with spawned(args, env, tmp_path, log) as proc:
        http = Http(port)
        try:
            wait_until(http.alive, "the server")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log:\n{log.read_text()}") from None

        status, body = http.call(
            "POST",
            "/api/v1/auth/register",
            {"email": "grace@example.org", "username": "grace", "password": PASSWORD},
        )
        assert status == 201, body
        assert body["data"]["user"]["email_verified"] is False

        # The embedded worker sends the verification mail (written to instance/mail here).
        wait_until(lambda: list((instance / "mail").glob("*.eml")), "the verification mail")
        status, body = http.call(
            "POST", "/api/v1/auth/verify-email", {"token": verification_token(instance / "mail")}
        )
        assert status == 200, body
        assert body["data"]["user"]["email_verified"] is True

        status, body = http.call(
            "POST", "/api/v1/auth/login", {"login": "grace", "password": PASSWORD}
        )
        assert status == 200, body
        access = body["data"]["access_token"]

        status, body = http.call("POST", "/api/v1/auth/2fa/setup", {}, token=access)
        assert status == 200, body
        totp = pyotp.TOTP(body["data"]["secret"])
        status, body = http.call(
            "POST", "/api/v1/auth/2fa/confirm", {"otp": totp.now(), "password": PASSWORD}, access
        )
        assert status == 200, body
        recovery_codes = body["data"]["recovery_codes"]
        assert len(recovery_codes) == 10

        status, body = http.call(
            "POST", "/api/v1/auth/login", {"login": "grace", "password": PASSWORD}
        )
        assert (status, body["error"]["code"]) == (401, "AUTH_2FA_REQUIRED")
        # The code of the next time step: inside the accepted window, and not a replay of the
        # step used to confirm.
        next_code = totp.at(time.time() + totp.interval)
        status, body = http.call(
            "POST", "/api/v1/auth/login", {"login": "grace", "password": PASSWORD, "otp": next_code}
        )
        assert status == 200, body
        access, refresh = body["data"]["access_token"], body["data"]["refresh_token"]

        status, body = http.call("POST", "/api/v1/auth/refresh", token=refresh)
        assert status == 200, body
        new_access = body["data"]["access_token"]
        status, body = http.call("POST", "/api/v1/auth/refresh", token=refresh)
        assert (status, body["error"]["code"]) == (401, "AUTH_TOKEN_REVOKED")  # reuse

        status, body = http.call("GET", "/api/v1/auth/me", token=new_access)
        # Reusing the spent refresh token revoked its whole family, this access token included.
        assert (status, body["error"]["code"]) == (401, "AUTH_TOKEN_REVOKED")

        # Codes up to the last used step are spent: a recovery code logs in again (once).
        with_recovery = {"login": "grace", "password": PASSWORD, "otp": recovery_codes[0]}
        status, body = http.call("POST", "/api/v1/auth/login", with_recovery)
        assert status == 200, body
        access = body["data"]["access_token"]
        status, body = http.call("POST", "/api/v1/auth/login", with_recovery)
        assert status == 401, body  # a recovery code works once
        status, body = http.call("POST", "/api/v1/auth/logout", {}, token=access)
        assert status == 200, body
        status, body = http.call("GET", "/api/v1/auth/me", token=access)
        assert (status, body["error"]["code"]) == (401, "AUTH_TOKEN_REVOKED")

        proc.send_signal(signal.SIGINT)
        assert exit_status(proc, "versehub run to stop") == 0

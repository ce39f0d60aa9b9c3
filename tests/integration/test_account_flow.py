"""The whole account flow over HTTP against a running `versehub run` (embedded job worker).

register → verification mail → verify → login → 2FA set-up → login with a code → refresh →
refresh-token reuse → login with a recovery code → logout.
"""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

import pyotp
import pytest

from tests.core.jobs.helpers import cli_env, wait_until
from tests.integration.support import versehub_run
from tests.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PASSWORD = "Quiet-Harbour-Lantern-77"


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
    with versehub_run(env, tmp_path, port) as http:
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

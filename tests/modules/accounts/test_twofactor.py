"""Two-factor authentication: set-up, login with a code, replay, recovery codes, lockout, keys."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    count,
    error_fields,
)
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent, LoginThrottle, RecoveryCode, RefreshToken
from versehub.modules.accounts.service import otp_codes, twofactor

TFA = "/api/v1/auth/2fa"
# A fixed moment in the middle of a 30-second step; codes are computed for chosen moments.
T0 = 1_900_000_005.0


class Clock:
    """The server's TOTP clock, set by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the TOTP clock at T0 (the test moves it)."""
    fake = Clock()
    monkeypatch.setattr(twofactor, "clock", fake)
    return fake


def login(client: FlaskClient, otp: Any = None, password: str = PASSWORD) -> TestResponse:
    body: dict[str, Any] = {"login": "ada", "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/login", json=body)


def enable(
    client: FlaskClient, headers: dict[str, str], clock: Clock
) -> tuple[pyotp.TOTP, list[str]]:
    """Set up and confirm 2FA at the clock's time; the authenticator and the recovery codes."""
    setup = client.post(f"{TFA}/setup", headers=headers)
    assert setup.status_code == 200, setup.get_json()
    totp = pyotp.TOTP(setup.get_json()["data"]["secret"])
    confirm = client.post(
        f"{TFA}/confirm",
        headers=headers,
        json={"otp": totp.at(clock.now), "password": PASSWORD},
    )
    assert confirm.status_code == 200, confirm.get_json()
    codes: list[str] = confirm.get_json()["data"]["recovery_codes"]
    return totp, codes


def events(app: Flask, name: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)))


def test_setup_confirm_login_replay_recovery_disable(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    setup = client.post(f"{TFA}/setup", headers=member_headers)
    assert setup.status_code == 200
    assert setup.headers["Cache-Control"] == "no-store"
    data = setup.get_json()["data"]
    secret = data["secret"]
    assert len(secret) == 32
    assert data["provisioning_uri"].startswith("otpauth://totp/VerseHub:ada%40example.com?")
    assert f"secret={secret}" in data["provisioning_uri"]
    assert data["secret_grouped"].replace(" ", "") == secret
    assert data["qr_code"].startswith("data:image/svg+xml")
    assert "%3Ctitle%3E" in data["qr_code"]  # the SVG carries its own title for screen readers
    assert "authenticator app" in data["qr_alt"]
    assert (data["digits"], data["period"], data["algorithm"]) == (6, 30, "SHA1")
    status = client.get(TFA, headers=member_headers).get_json()["data"]
    assert status == {
        "enabled": False,
        "enabled_at": None,
        "pending_setup": True,
        "recovery_codes_remaining": 0,
    }
    # Not in force until confirmed.
    assert login(client).status_code == 200

    totp = pyotp.TOTP(secret)
    wrong = client.post(
        f"{TFA}/confirm", headers=member_headers, json={"otp": "000000", "password": PASSWORD}
    )
    assert error_fields(assert_error(wrong, 422, "VAL_INVALID")) == {"otp"}
    confirmed = client.post(
        f"{TFA}/confirm",
        headers=member_headers,
        json={"otp": totp.at(clock.now), "password": PASSWORD},
    )
    assert confirmed.status_code == 200
    assert confirmed.headers["Cache-Control"] == "no-store"
    codes = confirmed.get_json()["data"]["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)
    assert len(events(app, "security.2fa_enabled")) == 1

    # Password right, no code: 2FA required, and no token issued.
    refresh_rows = count(app, RefreshToken)
    body = assert_error(login(client), 401, "AUTH_2FA_REQUIRED")
    assert body["error"]["details"] == {"factors": ["totp", "recovery_code"]}
    assert count(app, RefreshToken) == refresh_rows
    # A wrong password still says only "invalid credentials".
    assert_error(
        login(client, totp.at(clock.now), "wrong password!"), 401, "AUTH_INVALID_CREDENTIALS"
    )
    # The code spent on confirm cannot be used again.
    assert_error(login(client, totp.at(clock.now)), 401, "AUTH_INVALID_CREDENTIALS")

    clock.now += 30
    code = totp.at(clock.now)
    ok = login(client, f"{code[:3]} {code[3:]}")  # typed with a space
    assert ok.status_code == 200
    assert set(ok.get_json()["data"]) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "user",
    }
    assert_error(login(client, code), 401, "AUTH_INVALID_CREDENTIALS")  # replay

    # A recovery code works once, typed in lower case with spaces instead of dashes.
    typed = codes[0].lower().replace("-", " ")
    assert login(client, typed).status_code == 200
    assert_error(login(client, codes[0]), 401, "AUTH_INVALID_CREDENTIALS")
    used = events(app, "security.2fa_recovery_used")
    assert len(used) == 1
    assert used[0].details["remaining"] == 9
    assert used[0].actor_id is not None
    assert used[0].ip is not None  # filled in from the request by the audit subscriber
    assert (
        client.get(TFA, headers=member_headers).get_json()["data"]["recovery_codes_remaining"] == 9
    )

    # Disabling needs the password and a second factor.
    clock.now += 30
    code = totp.at(clock.now)
    bad = client.post(
        f"{TFA}/disable", headers=member_headers, json={"password": "wrong password!", "otp": code}
    )
    assert error_fields(assert_error(bad, 422, "VAL_INVALID")) == {"password"}
    off = client.post(
        f"{TFA}/disable", headers=member_headers, json={"password": PASSWORD, "otp": code}
    )
    assert off.status_code == 200
    assert off.get_json()["data"]["enabled"] is False
    assert login(client).status_code == 200
    assert count(app, RecoveryCode) == 0
    assert len(events(app, "security.2fa_disabled")) == 1
    with app.app_context():
        for event in db.session.scalars(select(AuditEvent)):
            assert secret not in str(event.details)
            assert all(c not in str(event.details) for c in codes)


def test_codes_within_the_window_work_once_and_never_go_back(
    client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    totp, _ = enable(client, member_headers, clock)  # spends the step of T0
    clock.now = T0 + 60  # two steps on
    assert login(client, totp.at(T0 + 30)).status_code == 200  # one step behind: in the window
    assert login(client, totp.at(T0 + 60)).status_code == 200
    assert_error(login(client, totp.at(T0 + 30)), 401, "AUTH_INVALID_CREDENTIALS")  # older
    assert login(client, totp.at(T0 + 90)).status_code == 200  # one step ahead: in the window
    assert_error(login(client, totp.at(T0 + 60)), 401, "AUTH_INVALID_CREDENTIALS")
    assert_error(login(client, totp.at(T0 + 90)), 401, "AUTH_INVALID_CREDENTIALS")
    clock.now = T0 + 300
    assert_error(login(client, totp.at(T0 + 240)), 401, "AUTH_INVALID_CREDENTIALS")  # 2 behind
    assert_error(login(client, totp.at(T0 + 360)), 401, "AUTH_INVALID_CREDENTIALS")  # 2 ahead


def test_brute_forcing_the_code_locks_the_account(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    totp, _ = enable(client, member_headers, clock)
    clock.now += 30
    right = totp.at(clock.now)
    window = {totp.at(clock.now + delta) for delta in (-30, 0, 30)}
    wrong = [f"{n:06d}" for n in range(100_000, 1_000_000, 100_000) if f"{n:06d}" not in window]
    for attempt in wrong[:4]:
        assert_error(login(client, attempt), 401, "AUTH_INVALID_CREDENTIALS")
    locked = assert_error(login(client, wrong[4]), 423, "AUTH_ACCOUNT_LOCKED")
    assert locked["error"]["details"]["retry_after"] > 0
    # Locked: even the right code is refused, and it is not spent by the refusal.
    assert_error(login(client, right), 423, "AUTH_ACCOUNT_LOCKED")
    failed = events(app, "security.login_failed")
    assert [e.details["reason"] for e in failed][:5] == ["bad_second_factor"] * 5
    assert len(events(app, "security.account_locked")) == 1


def test_asking_for_the_code_is_not_a_failed_login(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    enable(client, member_headers, clock)
    for _ in range(6):
        assert_error(login(client), 401, "AUTH_2FA_REQUIRED")
    assert count(app, LoginThrottle) == 0


def test_secret_is_encrypted_at_rest_and_survives_key_rotation(
    app: Flask,
    make_app: AppFactory,
    client: FlaskClient,
    member_id: int,
    member_headers: dict[str, str],
    clock: Clock,
) -> None:
    totp, _ = enable(client, member_headers, clock)
    query = text("SELECT totp_secret_encrypted FROM users WHERE id = :id")
    with app.app_context():
        stored = db.session.execute(query, {"id": member_id}).scalar_one()
    assert totp.secret not in stored
    old_key = app.extensions["versehub.settings"].totp_encryption_keys.get_secret_value()
    assert Fernet(old_key).decrypt(stored.encode()).decode() == totp.secret

    new_key = Fernet.generate_key().decode()
    both = make_app(totp_encryption_keys=f"{new_key},{old_key}")
    result = both.test_cli_runner().invoke(args=["users", "rotate-totp-key"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 two-factor secret" in result.output
    with both.app_context():
        rotated = db.session.execute(query, {"id": member_id}).scalar_one()
    assert Fernet(new_key).decrypt(rotated.encode()).decode() == totp.secret

    only_new = make_app(totp_encryption_keys=new_key).test_client()
    clock.now += 30
    assert login(only_new, totp.at(clock.now)).status_code == 200
    # With no key that can read the secret, 2FA logins fail closed.
    unrelated = make_app(totp_encryption_keys=Fernet.generate_key().decode()).test_client()
    clock.now += 30
    assert_error(login(unrelated, totp.at(clock.now)), 503, "SYS_SERVICE_UNAVAILABLE")
    assert_error(login(unrelated), 401, "AUTH_2FA_REQUIRED")
    failing = make_app(totp_encryption_keys=Fernet.generate_key().decode())
    result = failing.test_cli_runner().invoke(args=["users", "rotate-totp-key"])
    assert result.exit_code == 1
    assert "cannot be decrypted" in result.output


def test_operator_reset(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    enable(client, member_headers, clock)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-2fa", "ada"])
    assert result.exit_code == 0, result.output
    assert "two-factor turned off" in result.output
    assert login(client).status_code == 200
    assert count(app, RecoveryCode) == 0
    assert events(app, "security.2fa_disabled")[0].details["factor"] == "operator_reset"
    again = runner.invoke(args=["users", "reset-2fa", "ada"])
    assert "was not on" in again.output


def test_recovery_codes_regenerate(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    totp, old = enable(client, member_headers, clock)
    clock.now += 30
    response = client.post(
        f"{TFA}/recovery-codes", headers=member_headers, json={"otp": totp.at(clock.now)}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    new = response.get_json()["data"]["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert_error(login(client, old[1]), 401, "AUTH_INVALID_CREDENTIALS")
    assert login(client, new[1]).status_code == 200
    assert len(events(app, "security.2fa_recovery_regenerated")) == 1
    # A recovery code also works for regenerating (and is spent).
    again = client.post(f"{TFA}/recovery-codes", headers=member_headers, json={"otp": new[2]})
    assert again.status_code == 200
    assert len(events(app, "security.2fa_recovery_regenerated")) == 2


def test_disable_with_a_recovery_code(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    _, codes = enable(client, member_headers, clock)
    body = {"password": PASSWORD, "recovery_code": codes[3]}
    assert client.post(f"{TFA}/disable", headers=member_headers, json=body).status_code == 200
    assert login(client).status_code == 200
    disabled = events(app, "security.2fa_disabled")
    assert disabled[0].details["factor"] == "recovery_code"
    assert len(events(app, "security.2fa_recovery_used")) == 1


def test_wrong_codes_when_managing_2fa_count_toward_the_lockout(
    client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    enable(client, member_headers, clock)
    path = f"{TFA}/recovery-codes"
    for _ in range(4):
        wrong = client.post(path, headers=member_headers, json={"otp": "000000"})
        assert error_fields(assert_error(wrong, 422, "VAL_INVALID")) == {"otp"}
    assert_error(
        client.post(path, headers=member_headers, json={"otp": "000000"}),
        423,
        "AUTH_ACCOUNT_LOCKED",
    )
    assert_error(login(client), 423, "AUTH_ACCOUNT_LOCKED")


def test_state_conflicts(client: FlaskClient, member_headers: dict[str, str], clock: Clock) -> None:
    body = {"otp": "123456", "password": PASSWORD}
    assert_error(
        client.post(f"{TFA}/confirm", headers=member_headers, json=body), 409, "RES_CONFLICT"
    )
    disable = {"otp": "123456", "password": PASSWORD}
    assert_error(
        client.post(f"{TFA}/disable", headers=member_headers, json=disable), 409, "RES_CONFLICT"
    )
    enable(client, member_headers, clock)
    assert_error(client.post(f"{TFA}/setup", headers=member_headers), 409, "RES_CONFLICT")
    assert_error(
        client.post(f"{TFA}/confirm", headers=member_headers, json=body), 409, "RES_CONFLICT"
    )


def test_confirm_needs_the_password(
    client: FlaskClient, member_headers: dict[str, str], clock: Clock
) -> None:
    # A stolen access token alone cannot bind the account to the thief's authenticator.
    secret = client.post(f"{TFA}/setup", headers=member_headers).get_json()["data"]["secret"]
    body = {"otp": pyotp.TOTP(secret).at(clock.now), "password": "not the password"}
    response = client.post(f"{TFA}/confirm", headers=member_headers, json=body)
    assert error_fields(assert_error(response, 422, "VAL_INVALID")) == {"password"}
    assert client.get(TFA, headers=member_headers).get_json()["data"]["enabled"] is False


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("confirm", {"otp": 123456, "password": PASSWORD}),
        ("confirm", {"otp": ["123456"], "password": PASSWORD}),
        ("confirm", {"otp": "12ab56", "password": PASSWORD}),
        ("confirm", {"otp": "1234567", "password": PASSWORD}),
        ("confirm", {"otp": "\u0661\u0662\u0663\u0664\u0665\u0666", "password": PASSWORD}),
        ("confirm", {"otp": "123456"}),
        ("confirm", {"otp": "123456", "password": PASSWORD, "remember": True}),
        ("confirm", {"otp": None, "password": PASSWORD}),
        ("disable", {"password": PASSWORD}),
        ("disable", {"password": PASSWORD, "otp": "123456", "recovery_code": "123456"}),
        ("disable", {"password": PASSWORD, "otp": True}),
        ("recovery-codes", {}),
        ("recovery-codes", {"otp": "x" * 100}),
        ("recovery-codes", {"otp": {"code": "123456"}}),
    ],
)
def test_bad_input(
    client: FlaskClient, member_headers: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    assert_error(
        client.post(f"{TFA}/{path}", headers=member_headers, json=body), 422, "VAL_INVALID"
    )


@pytest.mark.parametrize("otp", [123456, "12ab56", "12345", "", ["123456"]])
def test_login_refuses_garbage_codes(client: FlaskClient, member_id: int, otp: Any) -> None:
    body = {"login": "ada", "password": PASSWORD, "otp": otp}
    body_error = assert_error(client.post("/api/v1/auth/login", json=body), 422, "VAL_INVALID")
    assert error_fields(body_error) == {"otp"}


ROUTES = [("get", ""), ("post", "/setup"), ("post", "/confirm"), ("post", "/disable")]
ROUTES += [("post", "/recovery-codes")]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_2fa_needs_a_person(
    client: FlaskClient, member_headers: dict[str, str], method: str, suffix: str
) -> None:
    call = getattr(client, method)
    assert_error(call(f"{TFA}{suffix}", json={}), 401, "AUTH_REQUIRED")
    created = client.post(
        "/api/v1/auth/api-keys",
        headers=member_headers,
        json={"name": "bot", "scopes": ["entries:read", "entries:write"]},
    )
    assert created.status_code == 201, created.get_json()
    key = {"X-API-Key": created.get_json()["data"]["api_key"]["key"]}
    assert_error(call(f"{TFA}{suffix}", headers=key, json={}), 403, "AUTH_INSUFFICIENT_PERMISSIONS")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", ("totp", "123456")),
        (" 123 456 ", ("totp", "123456")),
        ("123-456", ("totp", "123456")),
        ("abcd-efgh-jkmn-pqrs", ("recovery_code", "ABCDEFGHJKMNPQRS")),
        ("ABCD EFGH JKMN PQRS", ("recovery_code", "ABCDEFGHJKMNPQRS")),
        ("oooo-iiii-llll-0000", ("recovery_code", "0000111111110000")),  # look-alikes
        ("12345", None),
        ("1234567", None),
        ("12ab56", None),
        ("\u0661\u0662\u0663\u0664\u0665\u0666", None),  # Arabic-Indic digits
        ("ABCD-EFGH-JKMN-PQRU", None),  # U is not in the alphabet
        ("", None),
    ],
)
def test_code_normalisation(typed: str, expected: tuple[str, str] | None) -> None:
    assert otp_codes.normalise(typed) == expected


def test_recovery_codes_are_well_formed() -> None:
    codes = otp_codes.new_recovery_codes()
    assert len(codes) == otp_codes.RECOVERY_CODE_COUNT
    for code in codes:
        kind, canonical = otp_codes.normalise(code) or ("", "")
        assert kind == "recovery_code"
        assert canonical == code.replace("-", "")
    digest = otp_codes.recovery_hash(user_id=1, code="ABCDEFGHJKMNPQRS")
    assert digest != otp_codes.recovery_hash(user_id=2, code="ABCDEFGHJKMNPQRS")
    assert otp_codes.find_match(digest, [(7, "0" * 64), (8, digest)]) == 8
    assert otp_codes.find_match(digest, [(7, "0" * 64)]) is None

"""Login: the same answer and work for unknown users, rehashing, lockouts that double."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    bearer,
    count,
    login,
)
from versehub.core.db import utcnow
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent, LoginThrottle, RefreshToken, User
from versehub.modules.accounts.service import lockout, passwords


@pytest.mark.parametrize(
    "name", ["ada", "ADA", "ada@example.com", "ADA@Example.com", "\uff41\uff44\uff41"]
)
def test_login_by_username_or_email(client: FlaskClient, member_id: int, name: str) -> None:
    response = login(client, name)
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert set(data) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 900
    assert data["user"]["id"] == member_id
    assert data["user"]["last_login_at"] is not None
    me = client.get("/api/v1/auth/me", headers=bearer(data["access_token"]))
    assert me.get_json()["data"]["user"]["username"] == "ada"


def test_unknown_user_and_wrong_password_look_the_same(
    app: Flask, client: FlaskClient, member_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(
        passwords,
        "HASHER",
        CountingHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16),
    )
    wrong = assert_error(login(client, "ada", "not-the-password"), 401, "AUTH_INVALID_CREDENTIALS")
    unknown = assert_error(login(client, "nobody", PASSWORD), 401, "AUTH_INVALID_CREDENTIALS")
    assert wrong == unknown
    # Both paths ran one full argon2id verification (the unknown user against a dummy hash).
    assert len(verified) == 2
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in verified)
    assert count(app, RefreshToken) == 0


def test_failures_are_committed_and_audited(
    app: Flask, client: FlaskClient, member_id: int
) -> None:
    login(client, "ada", "wrong password 1")
    login(client, "ghost@example.com", "wrong password 2")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        failed = [e for e in events if e.event == "security.login_failed"]
        assert [e.actor_id for e in failed] == [member_id, None]
        assert failed[0].target == f"user:{member_id}"
        assert failed[1].target is not None
        assert failed[1].target.startswith("login:")
        assert "ghost" not in failed[1].target
        assert failed[0].details == {"reason": "bad_credentials", "failures": 1}
        assert failed[0].ip == "127.0.0.1"
        assert failed[0].request_id
        assert "wrong password" not in str([e.details for e in events])
    assert count(app, LoginThrottle) == 2


def test_old_hash_parameters_are_upgraded_at_login(
    app: Flask, client: FlaskClient, member_id: int
) -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2)
    with app.app_context():
        user = db.session.get(User, member_id)
        assert user is not None
        user.password_hash = weaker.hash(PASSWORD)
        db.session.commit()
    assert login(client).status_code == 200
    with app.app_context():
        user = db.session.get(User, member_id)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert passwords.verify_password(user.password_hash, PASSWORD)


def test_disabled_account_cannot_log_in(app: Flask, client: FlaskClient, member_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, member_id)
        assert user is not None
        user.is_active = False
        db.session.commit()
    assert_error(login(client), 401, "AUTH_INVALID_CREDENTIALS")


def _fail_five(client: FlaskClient, name: str = "ada") -> list[int]:
    return [login(client, name, f"wrong password {i}").status_code for i in range(5)]


def _expire_lockout(app: Flask, key: str) -> None:
    with app.app_context():
        row = db.session.get(LoginThrottle, key)
        assert row is not None
        row.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_lockout_after_five_failures_then_doubles(
    app: Flask, client: FlaskClient, member_id: int
) -> None:
    assert _fail_five(client) == [401, 401, 401, 401, 423]
    body = assert_error(login(client), 423, "AUTH_ACCOUNT_LOCKED")  # right password, still locked
    first = body["error"]["details"]["retry_after"]
    assert 14 * 60 < first <= 15 * 60
    assert count(app, AuditEvent, AuditEvent.event == "security.account_locked") == 1

    key = lockout.key_for_user(member_id)
    _expire_lockout(app, key)
    assert _fail_five(client) == [401, 401, 401, 401, 423]
    response = login(client)
    second = assert_error(response, 423, "AUTH_ACCOUNT_LOCKED")["error"]["details"]["retry_after"]
    assert 29 * 60 < second <= 30 * 60
    assert response.headers["Retry-After"] == str(second)

    _expire_lockout(app, key)
    _fail_five(client)
    third = assert_error(login(client), 423, "AUTH_ACCOUNT_LOCKED")["error"]["details"]
    assert 59 * 60 < third["retry_after"] <= 60 * 60
    assert count(app, RefreshToken) == 0


def test_unknown_logins_lock_out_like_real_ones(client: FlaskClient) -> None:
    assert _fail_five(client, "nobody") == [401, 401, 401, 401, 423]
    assert_error(login(client, "nobody"), 423, "AUTH_ACCOUNT_LOCKED")


def test_success_resets_the_failure_count(app: Flask, client: FlaskClient, member_id: int) -> None:
    for i in range(4):
        login(client, "ada", f"wrong {i} password")
    assert login(client).status_code == 200
    assert count(app, LoginThrottle) == 0
    assert [login(client, "ada", f"again {i} wrong").status_code for i in range(4)] == [401] * 4


def test_lockout_duration_is_capped() -> None:
    assert lockout.lockout_duration(1) == timedelta(minutes=15)
    assert lockout.lockout_duration(2) == timedelta(minutes=30)
    assert lockout.lockout_duration(7) == timedelta(hours=16)
    assert lockout.lockout_duration(8) == timedelta(hours=24)
    assert lockout.lockout_duration(500) == timedelta(hours=24)


def test_failures_outside_the_window_start_over(app: Flask, member_id: int) -> None:
    key = lockout.key_for_user(member_id)
    start = utcnow()
    with app.app_context():
        for minute in (0, 4, 8, 12):
            lockout.record_failure(key=key, now=start + timedelta(minutes=minute))
        # The fifth failure comes 16 minutes after the first: a new window begins.
        outcome = lockout.record_failure(key=key, now=start + timedelta(minutes=16))
        assert outcome.failures == 1
        assert outcome.locked_until is None


def test_second_factor_hook_runs_after_the_password(
    app: Flask, client: FlaskClient, member_id: int
) -> None:
    from versehub.core.errors import APIError
    from versehub.modules.accounts.api.auth import LOGIN_CHECKS

    def needs_code(*, user: User, otp: str | None) -> None:
        if otp is None:
            raise APIError("AUTH_2FA_REQUIRED")
        if otp != "123456":
            raise APIError("AUTH_INVALID_CREDENTIALS")

    app.extensions[LOGIN_CHECKS].append(needs_code)
    assert_error(login(client), 401, "AUTH_2FA_REQUIRED")
    assert_error(login(client, "ada", "wrong password!"), 401, "AUTH_INVALID_CREDENTIALS")
    payload = {"login": "ada", "password": PASSWORD, "otp": "000000"}
    assert_error(client.post("/api/v1/auth/login", json=payload), 401, "AUTH_INVALID_CREDENTIALS")
    assert count(app, AuditEvent, AuditEvent.event == "security.login_failed") == 2
    payload["otp"] = "123456"
    assert client.post("/api/v1/auth/login", json=payload).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"login": "ada"},
        {"login": "ada", "password": PASSWORD, "remember": True},
        {"login": ["ada"], "password": PASSWORD},
        {"login": "ada", "password": "x" * 300},
        {"login": "ada", "password": PASSWORD, "otp": "12ab56"},
        [1, 2, 3],
        7,
    ],
)
def test_login_bad_input(app: Flask, client: FlaskClient, member_id: int, payload: object) -> None:
    assert_error(client.post("/api/v1/auth/login", json=payload), 422, "VAL_INVALID")
    assert count(app, LoginThrottle) == 0
    assert count(app, RefreshToken) == 0


@pytest.mark.parametrize("name", ["' OR 1=1 --", "<script>alert(1)</script>", "admin'--"])
def test_injection_in_login_is_just_a_wrong_login(
    app: Flask, client: FlaskClient, member_id: int, name: str
) -> None:
    assert_error(login(client, name), 401, "AUTH_INVALID_CREDENTIALS")
    assert count(app, RefreshToken) == 0

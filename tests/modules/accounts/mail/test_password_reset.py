"""Password reset: no enumeration, the link, new password only, every old token revoked."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.modules.accounts.mail.support import (
    SmtpSink,
    link_in,
    run_job,
    text_of,
    token_of,
    token_signed_at,
)
from tests.modules.accounts.support import (
    PASSWORD,
    assert_error,
    bearer,
    login,
    make_user,
    tokens_for,
)
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent, User
from versehub.modules.accounts.service import mail_tokens, password_reset

REQUEST = "/api/v1/auth/password-reset/request"
RESET = "/api/v1/auth/password-reset"
NEW_PASSWORD = "Quiet-Harbour-Meadow-77"


def _reset_token(app: Flask, user_id: int) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return mail_tokens.make("password-reset", user)


def test_unknown_and_known_emails_get_the_same_answer(smtp_app: Flask, smtp: SmtpSink) -> None:
    make_user(smtp_app)
    client = smtp_app.test_client()
    known = client.post(REQUEST, json={"email": "ada@example.com"})
    unknown = client.post(REQUEST, json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert known.get_json()["data"] == {"requested": True}
    assert {name for name, _ in known.headers} == {name for name, _ in unknown.headers}
    # The jobs decide; only the known address gets a mail.
    assert (
        run_job(smtp_app, password_reset.SEND_TASK, "nobody@example.com", None, None) == "skipped"
    )
    assert smtp.messages == []
    assert run_job(smtp_app, password_reset.SEND_TASK, "ADA@example.com", None, None) == "smtp"
    (message,) = smtp.messages
    assert message["To"] == "ada@example.com"


def test_unknown_email_sends_nothing_through_the_worker(smtp_worker: Flask, smtp: SmtpSink) -> None:
    client = smtp_worker.test_client()
    assert client.post(REQUEST, json={"email": "nobody@example.com"}).status_code == 202
    make_user(smtp_worker, email="eve@example.com", username="eve")
    # The later verification mail arriving shows the worker ran the earlier reset job too.
    (only,) = smtp.wait_for(1)
    assert only["To"] == "eve@example.com"
    assert "verify" in link_in(text_of(only))


def test_reset_changes_the_password_and_revokes_every_token(
    smtp_worker: Flask, smtp: SmtpSink
) -> None:
    user_id = make_user(smtp_worker)
    client = smtp_worker.test_client()
    phone, laptop = tokens_for(client), tokens_for(client)
    smtp.wait_for(1)  # the verification mail from registration

    assert client.post(REQUEST, json={"email": "ada@example.com"}).status_code == 202
    message = smtp.wait_for(2)[1]
    assert message["Subject"] == "Reset your VerseHub password"
    link = link_in(text_of(message))
    assert link.startswith("http://127.0.0.1:5000/account/reset?token=")
    token = token_of(link)

    answer = client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["data"] == {"password_reset": True}

    assert_error(login(client, "ada", PASSWORD), 401, "AUTH_INVALID_CREDENTIALS")
    assert login(client, "ada", NEW_PASSWORD).status_code == 200
    for pair in (phone, laptop):
        me = client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
        assert_error(me, 401, "AUTH_TOKEN_REVOKED")
        refreshed = client.post("/api/v1/auth/refresh", headers=bearer(pair["refresh_token"]))
        assert_error(refreshed, 401, "AUTH_TOKEN_REVOKED")

    # The link is spent: using it again changes nothing.
    again = client.post(RESET, json={"token": token, "new_password": "Another-Fresh-Secret-9"})
    body = assert_error(again, 401, "AUTH_TOKEN_INVALID")
    assert body["error"]["details"] == {"reason": "used"}
    assert login(client, "ada", NEW_PASSWORD).status_code == 200

    with smtp_worker.app_context():
        events = db.session.scalars(
            db.select(AuditEvent.event).where(AuditEvent.target == f"user:{user_id}")
        ).all()
    assert "security.password_reset_requested" in events
    assert "security.password_reset" in events


def test_policy_applies_and_a_refused_password_keeps_the_link(app: Flask) -> None:
    user_id = make_user(app)
    token = _reset_token(app, user_id)
    client = app.test_client()
    for weak, rule in [
        ("short", "password_too_short"),
        ("password", "password_common"),
        ("ada-is-my-name-1", "password_contains_username"),
        ("aaaaaaaaaaaa", "password_too_weak"),
    ]:
        body = assert_error(
            client.post(RESET, json={"token": token, "new_password": weak}), 422, "VAL_INVALID"
        )
        assert {e["field"] for e in body["error"]["errors"]} == {"password"}
        assert rule in {e["type"] for e in body["error"]["errors"]}
    assert login(client, "ada", PASSWORD).status_code == 200
    assert (
        client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    )


def test_an_older_link_dies_with_the_reset(app: Flask) -> None:
    user_id = make_user(app)
    first, second = _reset_token(app, user_id), _reset_token(app, user_id)
    client = app.test_client()
    assert (
        client.post(RESET, json={"token": second, "new_password": NEW_PASSWORD}).status_code == 200
    )
    assert_error(
        client.post(RESET, json={"token": first, "new_password": "Another-Fresh-Secret-9"}),
        401,
        "AUTH_TOKEN_INVALID",
    )


def test_tampered_and_verification_tokens_are_refused(app: Flask) -> None:
    user_id = make_user(app)
    token = _reset_token(app, user_id)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        verify_token = mail_tokens.make("verify-email", user)
    client = app.test_client()
    head, stamp, signature = token.split(".")
    tampered = f"{head}.{stamp}.{signature[::-1]}"
    for bad in (tampered, verify_token):
        assert_error(
            client.post(RESET, json={"token": bad, "new_password": NEW_PASSWORD}),
            401,
            "AUTH_TOKEN_INVALID",
        )
    assert login(client, "ada", PASSWORD).status_code == 200


def test_expired_reset_link(make_app: Callable[..., Flask]) -> None:
    app = make_app(password_reset_max_age=60)
    user_id = make_user(app)
    client = app.test_client()
    expired = token_signed_at(app, "password-reset", user_id, seconds_ago=61)
    body = assert_error(
        client.post(RESET, json={"token": expired, "new_password": NEW_PASSWORD}),
        401,
        "AUTH_TOKEN_EXPIRED",
    )
    assert body["error"]["details"] == {"reason": "expired"}
    assert login(client, "ada", PASSWORD).status_code == 200
    recent = token_signed_at(app, "password-reset", user_id, seconds_ago=30)
    answer = client.post(RESET, json={"token": recent, "new_password": NEW_PASSWORD})
    assert answer.status_code == 200


def test_inactive_accounts_get_no_mail_and_cannot_reset(app: Flask) -> None:
    user_id = make_user(app)
    token = _reset_token(app, user_id)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.is_active = False
        db.session.commit()
    assert run_job(app, password_reset.SEND_TASK, "ada@example.com", None, None) == "skipped"
    assert_error(
        app.test_client().post(RESET, json={"token": token, "new_password": NEW_PASSWORD}),
        401,
        "AUTH_TOKEN_INVALID",
    )

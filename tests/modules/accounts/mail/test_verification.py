"""Email verification: the mail on registration, the link, single use, expiry, tampering."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.modules.accounts.mail.support import (
    SmtpSink,
    html_of,
    link_in,
    text_of,
    token_of,
    token_signed_at,
)
from tests.modules.accounts.support import (
    assert_error,
    bearer,
    make_user,
    register,
    tokens_for,
)
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent, User
from versehub.modules.accounts.service import mail_tokens

VERIFY = "/api/v1/auth/verify-email"
REQUEST = "/api/v1/auth/verify-email/request"


def _verified_at(app: Flask, user_id: int) -> object:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.email_verified_at


def test_register_mails_a_link_that_verifies_once(smtp_worker: Flask, smtp: SmtpSink) -> None:
    client = smtp_worker.test_client()
    response = register(client)
    assert response.status_code == 201
    user_id = response.get_json()["data"]["user"]["id"]
    assert response.get_json()["data"]["user"]["email_verified"] is False

    # Through the real worker to the real SMTP server.
    (message,) = smtp.wait_for(1)
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Confirm your email address for VerseHub"
    assert message["From"]
    text, html = text_of(message), html_of(message)
    link = link_in(text)
    assert link.startswith("http://127.0.0.1:5000/account/verify?token=")
    # The HTML alternative: a language, the same link, and link text that says what it does.
    assert '<html lang="en"' in html
    assert f'href="{link}"' in html
    assert "Confirm my email address</a>" in html
    assert "<img" not in html

    answer = client.post(VERIFY, json={"token": token_of(link)})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["data"]["user"]["email_verified"] is True
    assert _verified_at(smtp_worker, user_id) is not None

    again = assert_error(
        client.post(VERIFY, json={"token": token_of(link)}), 401, "AUTH_TOKEN_INVALID"
    )
    assert again["error"]["details"] == {"reason": "used"}
    assert "already used" in again["message"]
    with smtp_worker.app_context():
        events = db.session.scalars(
            db.select(AuditEvent.event).where(AuditEvent.target == f"user:{user_id}")
        ).all()
        assert "security.email_verified" in events
        assert db.session.scalars(db.select(DeadLetter)).all() == []


def test_expired_link_is_refused_and_changes_nothing(app: Flask) -> None:
    user_id = make_user(app)
    client = app.test_client()
    expired = token_signed_at(app, "verify-email", user_id, seconds_ago=48 * 3600 + 60)
    body = assert_error(client.post(VERIFY, json={"token": expired}), 401, "AUTH_TOKEN_EXPIRED")
    assert body["error"]["details"] == {"reason": "expired"}
    assert "expired" in body["message"]
    assert _verified_at(app, user_id) is None
    # Just inside the 48 hours the same kind of token still works.
    fresh = token_signed_at(app, "verify-email", user_id, seconds_ago=47 * 3600)
    assert client.post(VERIFY, json={"token": fresh}).status_code == 200


def _tamper(token: str) -> str:
    payload, stamp, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{payload}.{stamp}.{flipped}"


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(_tamper, id="bad-signature"),
        pytest.param(lambda t: "x" + t, id="changed-payload"),
        pytest.param(lambda t: t.rsplit(".", 1)[0], id="no-signature"),
        pytest.param(lambda t: "not-a-token", id="garbage"),
    ],
)
def test_tampered_link_is_refused(app: Flask, make_bad: object) -> None:
    user_id = make_user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        token = mail_tokens.make("verify-email", user)
    assert callable(make_bad)
    body = assert_error(
        app.test_client().post(VERIFY, json={"token": make_bad(token)}), 401, "AUTH_TOKEN_INVALID"
    )
    assert body["error"]["details"] == {"reason": "invalid"}
    assert _verified_at(app, user_id) is None


def test_a_reset_token_is_not_a_verification_token(app: Flask) -> None:
    user_id = make_user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        reset_token = mail_tokens.make("password-reset", user)
    assert_error(
        app.test_client().post(VERIFY, json={"token": reset_token}), 401, "AUTH_TOKEN_INVALID"
    )


def test_changing_the_address_voids_the_link(app: Flask) -> None:
    user_id = make_user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        token = mail_tokens.make("verify-email", user)
        user.email, user.email_key = "new@example.com", "new@example.com"
        db.session.commit()
    assert_error(app.test_client().post(VERIFY, json={"token": token}), 401, "AUTH_TOKEN_INVALID")


def test_resend_when_logged_in(smtp_worker: Flask, smtp: SmtpSink) -> None:
    make_user(smtp_worker)  # registration queued the first mail
    client = smtp_worker.test_client()
    headers = bearer(tokens_for(client)["access_token"])
    response = client.post(REQUEST, headers=headers)
    assert response.status_code == 202
    assert response.get_json()["data"] == {"email_verified": False, "sent": True}
    first, second = smtp.wait_for(2)
    # Both links work until one is used; then both are spent.
    one, two = token_of(link_in(text_of(first))), token_of(link_in(text_of(second)))
    assert client.post(VERIFY, json={"token": two}).status_code == 200
    assert_error(client.post(VERIFY, json={"token": one}), 401, "AUTH_TOKEN_INVALID")
    # Verified: nothing more to send.
    again = client.post(REQUEST, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["data"] == {"email_verified": True, "sent": False}


def test_resend_needs_a_login(app: Flask) -> None:
    assert_error(app.test_client().post(REQUEST), 401, "AUTH_REQUIRED")


def test_resend_is_rate_limited(make_app: object) -> None:
    assert callable(make_app)
    app = make_app(rate_limits_enabled=True)
    make_user(app)
    client = app.test_client()
    headers = bearer(tokens_for(client)["access_token"])
    statuses = [client.post(REQUEST, headers=headers).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 5}, {"token": "x", "more": 1}])
def test_bad_bodies(app: Flask, body: dict[str, object]) -> None:
    assert_error(app.test_client().post(VERIFY, json=body), 422, "VAL_INVALID")

"""Two-factor sign-in pages: set up with the QR code or the key, confirm, recovery codes, off."""

from __future__ import annotations

import re

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.modules.accounts.support import PASSWORD, make_user
from tests.modules.accounts.test_twofactor import Clock
from tests.modules.accounts.web_support import csrf_token, form_post, user_row, web_login
from versehub.modules.accounts.service import twofactor

PAGE = "/account/two-factor"
SETUP = "/account/two-factor/setup"
CONFIRM = "/account/two-factor/confirm"
DISABLE = "/account/two-factor/disable"
DOWNLOAD = "/account/two-factor/recovery-codes.txt"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(twofactor, "clock", fake)
    return fake


@pytest.fixture
def reader(app: Flask, client: FlaskClient) -> FlaskClient:
    make_user(app)
    web_login(client)
    return client


def secret_on(html: str) -> str:
    match = re.search(r'data-secret="([A-Z2-7]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def start_setup(client: FlaskClient) -> str:
    started = form_post(client, SETUP, {}, token_from=PAGE)
    assert started.status_code == 303
    assert started.headers["Location"] == SETUP
    return client.get(SETUP).get_data(as_text=True)


def turn_on(client: FlaskClient, clock: Clock) -> tuple[pyotp.TOTP, list[str], TestResponse]:
    totp = pyotp.TOTP(secret_on(start_setup(client)))
    done = form_post(
        client, CONFIRM, {"otp": totp.at(clock.now), "password": PASSWORD}, token_from=SETUP
    )
    codes = re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", done.text)
    return totp, codes, done


def test_status_page_offers_set_up(reader: FlaskClient) -> None:
    html = reader.get(PAGE).get_data(as_text=True)
    assert "Two-factor sign-in is <strong>off</strong>" in html
    assert "Set up two-factor sign-in" in html
    overview = reader.get("/account/").get_data(as_text=True)
    assert 'href="/account/two-factor"' in overview
    assert 'href="/account/api-keys"' in overview


def test_setup_page_shows_qr_image_and_grouped_key(reader: FlaskClient) -> None:
    html = start_setup(reader)
    assert re.search(r'<img class="qr-code" src="data:image/svg\+xml[^"]+" alt="QR code for', html)
    secret = secret_on(html)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert f">{grouped}</p>" in html
    page = reader.get(SETUP)
    assert page.headers["Cache-Control"] == "no-store"
    assert secret_on(page.get_data(as_text=True)) == secret  # the same pending key on reload
    assert " style=" not in html


def test_confirm_shows_recovery_codes_once_and_turns_it_on(
    app: Flask, reader: FlaskClient, clock: Clock
) -> None:
    _, codes, done = turn_on(reader, clock)
    assert done.status_code == 200
    assert done.headers["Cache-Control"] == "no-store"
    assert len(codes) == 10
    assert "Two-factor sign-in is on" in done.text
    assert 'data-copy="recovery-codes"' in done.text
    assert user_row(app).two_factor_enabled
    assert "<strong>on</strong>" in reader.get(PAGE).get_data(as_text=True)
    assert reader.get(SETUP).status_code == 303  # nothing pending any more


def test_recovery_codes_download_as_a_text_file(reader: FlaskClient, clock: Clock) -> None:
    _, codes, done = turn_on(reader, clock)
    # The page's download form carries the codes it shows.
    data = dict(re.findall(r'name="(codes-\d+)" type="hidden" value="([^"]+)"', done.text))
    assert sorted(data.values()) == sorted(codes)
    download = form_post(reader, DOWNLOAD, data, token_from=PAGE)
    assert download.status_code == 200
    assert download.mimetype == "text/plain"
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="versehub-recovery-codes.txt"'
    )
    assert download.headers["Cache-Control"] == "no-store"
    assert all(code in download.text for code in codes)
    forged = form_post(reader, DOWNLOAD, {"codes-0": "<script>alert(1)</script>"}, token_from=PAGE)
    assert forged.status_code == 422
    assert "<script>alert(1)" not in forged.text


@pytest.mark.parametrize(
    ("otp", "password", "message"),
    [
        ("000000", PASSWORD, "Wrong code"),
        ("", PASSWORD, "Enter the 6-digit code"),
        ("<b>12</b>", PASSWORD, "Enter the 6-digit code from your authenticator app, or one"),
        ("javascript:alert(1)", PASSWORD, "Enter the 6-digit code"),
        ("1" * 100, PASSWORD, "Field cannot be longer than 64 characters"),
        (None, "wrong password", "Wrong password"),
        (None, "p" * 300, "Field cannot be longer than 256 characters"),
    ],
)
def test_wrong_code_or_password_keeps_it_off(
    app: Flask,
    reader: FlaskClient,
    clock: Clock,
    otp: str | None,
    password: str,
    message: str,
) -> None:
    totp = pyotp.TOTP(secret_on(start_setup(reader)))
    code = totp.at(clock.now) if otp is None else otp
    page = form_post(reader, CONFIRM, {"otp": code, "password": password}, token_from=SETUP)
    assert page.status_code == 422
    assert message in page.text
    assert "There is a problem" in page.text
    assert "<b>12</b>" not in page.text
    assert secret_on(page.text) == totp.secret  # the same key: scan again not needed
    assert not user_row(app).two_factor_enabled


def test_turning_off_needs_password_and_a_code(
    app: Flask, reader: FlaskClient, clock: Clock
) -> None:
    totp, codes, _ = turn_on(reader, clock)
    wrong = form_post(reader, DISABLE, {"password": PASSWORD, "code": "000000"}, token_from=PAGE)
    assert wrong.status_code == 422
    assert "Wrong or already used code" in wrong.text
    bad_password = form_post(
        reader, DISABLE, {"password": "nope", "code": codes[0]}, token_from=PAGE
    )
    assert bad_password.status_code == 422
    assert "Wrong password" in bad_password.text
    assert user_row(app).two_factor_enabled
    clock.now += 30
    done = form_post(
        reader, DISABLE, {"password": PASSWORD, "code": totp.at(clock.now)}, token_from=PAGE
    )
    assert done.status_code == 303
    assert not user_row(app).two_factor_enabled
    assert "Two-factor sign-in is off" in reader.get(PAGE).get_data(as_text=True)


def test_a_recovery_code_turns_it_off_too(app: Flask, reader: FlaskClient, clock: Clock) -> None:
    _, codes, _ = turn_on(reader, clock)
    code = codes[3].lower().replace("-", " ")  # typed loosely
    done = form_post(reader, DISABLE, {"password": PASSWORD, "code": code}, token_from=PAGE)
    assert done.status_code == 303
    assert not user_row(app).two_factor_enabled


def test_pages_need_a_session_and_csrf(app: Flask, client: FlaskClient) -> None:
    for path in (PAGE, SETUP):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/account/login?next=")
    make_user(app)
    web_login(client)
    assert client.post(SETUP).status_code == 400
    assert client.post(CONFIRM, data={"otp": "123456", "password": PASSWORD}).status_code == 400
    assert user_row(app).totp_secret_encrypted is None


def test_expired_session_is_sent_to_sign_in(app: Flask, reader: FlaskClient) -> None:
    token = csrf_token(reader, PAGE)
    with app.app_context():
        from versehub.extensions import db
        from versehub.modules.accounts.models import User

        user = db.session.get(User, user_row(app).id)
        assert user is not None
        user.token_generation += 1
        db.session.commit()
    answer = reader.post(SETUP, data={"csrf_token": token})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/account/login")
    assert user_row(app).totp_secret_encrypted is None

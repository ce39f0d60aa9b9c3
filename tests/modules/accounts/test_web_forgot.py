"""Forgot password: the request form answers the same for every address and is rate limited."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import make_user
from tests.modules.accounts.web_support import csrf_token, form_post
from versehub.modules.accounts.service import mail, password_reset

FORGOT = "/account/forgot-password"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The mail jobs the requests queue (the job itself is tested with the API)."""
    jobs: list[tuple[Any, ...]] = []
    monkeypatch.setattr(mail, "enqueue", lambda *args: jobs.append(args))
    return jobs


def test_sign_in_page_links_to_the_form(client: FlaskClient) -> None:
    assert f'href="{FORGOT}"' in client.get("/account/login").get_data(as_text=True)
    page = client.get(FORGOT)
    assert page.status_code == 200
    assert 'autocomplete="email"' in page.get_data(as_text=True)


def test_known_and_unknown_addresses_get_the_same_page(
    app: Flask, client: FlaskClient, queued: list[tuple[Any, ...]]
) -> None:
    make_user(app)
    known = form_post(client, FORGOT, {"email": "ada@example.com"}, token_from=FORGOT)
    unknown = form_post(client, FORGOT, {"email": "nobody@example.com"}, token_from=FORGOT)
    assert known.status_code == unknown.status_code == 200
    texts = [r.get_data(as_text=True) for r in (known, unknown)]
    for html, address in zip(texts, ("ada@example.com", "nobody@example.com"), strict=True):
        assert f"If an account uses <strong>{address}</strong>" in html
    assert (
        texts[0].replace("ada@example.com", "X").split("<main")[1]
        == texts[1].replace("nobody@example.com", "X").split("<main")[1]
    )
    assert [job[:2] for job in queued if job[0] == password_reset.SEND_TASK] == [
        (password_reset.SEND_TASK, "ada@example.com"),
        (password_reset.SEND_TASK, "nobody@example.com"),
    ]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter the email address of your account"),
        ("not-an-email", "name@example.com"),
        ("<script>alert(1)</script>@x.org", "name@example.com"),
        ("javascript:alert(1)", "name@example.com"),
        ("a" * 250 + "@example.com", "Field cannot be longer than 254 characters"),
    ],
)
def test_bad_addresses_are_explained_and_nothing_is_queued(
    client: FlaskClient, queued: list[tuple[Any, ...]], email: str, message: str
) -> None:
    page = form_post(client, FORGOT, {"email": email}, token_from=FORGOT)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "There is a problem" in html
    assert message in html
    assert "<script>alert" not in html
    assert queued == []


def test_missing_csrf_queues_nothing(client: FlaskClient, queued: list[tuple[Any, ...]]) -> None:
    client.get(FORGOT)
    assert client.post(FORGOT, data={"email": "ada@example.com"}).status_code == 400
    assert queued == []


def test_requests_are_limited_like_the_api(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail, "enqueue", lambda *args: None)
    app = make_app(rate_limits_enabled=True, rate_limit_password_reset_name="2/minute")
    client = app.test_client()
    token = csrf_token(client, FORGOT)
    statuses = [
        client.post(FORGOT, data={"email": "ada@example.com", "csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    # The API shares the bucket for that address.
    api = app.test_client().post(
        "/api/v1/auth/password-reset/request", json={"email": "ada@example.com"}
    )
    assert api.status_code == 429

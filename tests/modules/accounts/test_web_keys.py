"""API key pages: create with scopes (shown once), list page by page, revoke after a confirm."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import make_user
from tests.modules.accounts.web_support import form_post, web_login
from versehub.core.db import utcnow
from versehub.extensions import db
from versehub.modules.accounts.models import ApiKey, User
from versehub.modules.accounts.service import api_keys
from versehub.modules.accounts.service.meta import RequestMeta

KEYS = "/account/api-keys"
KEY_PATTERN = re.compile(r"vh_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def reader(app: Flask, client: FlaskClient) -> FlaskClient:
    make_user(app, verified=True)
    web_login(client)
    return client


def create(client: FlaskClient, **fields: object) -> str:
    data = {"name": "Caption robot", "scopes": ["entries:read"], **fields}
    return form_post(client, KEYS, data, token_from=KEYS).get_data(as_text=True)


def keys(app: Flask) -> list[ApiKey]:
    with app.app_context():
        rows = db.session.query(ApiKey).order_by(ApiKey.id).all()
        db.session.expunge_all()
        return rows


def test_create_shows_the_key_once_and_it_works(app: Flask, reader: FlaskClient) -> None:
    answer = form_post(
        reader,
        KEYS,
        {"name": "Caption robot", "scopes": ["entries:read", "entries:write"]},
        token_from=KEYS,
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    key = KEY_PATTERN.search(html)
    assert key
    assert "shown only this once" in html
    assert 'data-copy="new-key"' in html
    (row,) = keys(app)
    assert row.scopes == ["entries:read", "entries:write"]
    assert row.expires_at is None
    listing = reader.get(KEYS).get_data(as_text=True)
    assert key.group(0) not in listing  # never again
    assert f"vh_{row.prefix}_" in listing
    assert "Caption robot" in listing
    me = app.test_client().get("/api/v1/auth/me", headers={"X-API-Key": key.group(0)})
    assert me.status_code == 200


def test_expiry_is_the_end_of_the_chosen_day(app: Flask, reader: FlaskClient) -> None:
    day = (utcnow() + timedelta(days=10)).date()
    html = create(reader, expires_on=day.isoformat())
    assert f"works until the end of {day.isoformat()}" in html
    (row,) = keys(app)
    assert row.expires_at is not None
    assert row.expires_at.date() == day + timedelta(days=1)
    assert f"until {day.isoformat()}" in reader.get(KEYS).get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Give the key a name"),
        ({"name": "n" * 101}, "Field cannot be longer than 100 characters"),
        ({"name": "\u200b"}, "visible character"),
        ({"scopes": []}, "Choose at least one of the listed permissions"),
        ({"scopes": ["entries:read", "<script>"]}, "Choose at least one of the listed"),
        ({"scopes": ["admin"]}, "Only admins may create keys with the admin scope"),
        ({"expires_on": "2001-01-01"}, "Choose today or a later day"),
        ({"expires_on": "javascript:alert(1)"}, "Not a valid date value"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_created(
    app: Flask, reader: FlaskClient, fields: dict[str, object], message: str
) -> None:
    answer = form_post(
        reader, KEYS, {"name": "Robot", "scopes": ["entries:read"], **fields}, token_from=KEYS
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "There is a problem" in html
    assert message in html
    assert "<script>" not in html.split("<main", 1)[1]
    assert keys(app) == []


def test_html_in_the_name_is_shown_escaped(reader: FlaskClient) -> None:
    html = create(reader, name='<img src=x onerror="alert(1)"> javascript:alert(1)')
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html
    assert "&lt;img src=x" in reader.get(KEYS).get_data(as_text=True)


def test_admin_scope_is_offered_to_admins_only(app: Flask, reader: FlaskClient) -> None:
    assert 'value="admin"' not in reader.get(KEYS).get_data(as_text=True)
    make_user(app, email="root@example.com", username="root", roles=("admin",), verified=True)
    admin = app.test_client()
    web_login(admin, "root")
    assert 'value="admin"' in admin.get(KEYS).get_data(as_text=True)
    assert KEY_PATTERN.search(create(admin, scopes=["admin"]))


def test_revoke_asks_first_then_the_key_stops(app: Flask, reader: FlaskClient) -> None:
    key = KEY_PATTERN.search(create(reader))
    assert key
    (row,) = keys(app)
    confirm = reader.get(f"{KEYS}/{row.id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke the API key" in confirm.get_data(as_text=True)
    assert keys(app)[0].revoked_at is None  # opening the page changes nothing
    done = form_post(reader, f"{KEYS}/{row.id}/revoke", {}, token_from=KEYS)
    assert done.status_code == 303
    assert keys(app)[0].revoked_at is not None
    assert "is revoked" in reader.get(KEYS).get_data(as_text=True)
    refused = app.test_client().get("/api/v1/auth/me", headers={"X-API-Key": key.group(0)})
    assert refused.status_code == 401
    assert reader.get(f"{KEYS}/{row.id}/revoke").status_code == 200  # says it was already


def test_someone_elses_key_is_not_found(app: Flask, reader: FlaskClient) -> None:
    other = make_user(app, email="bea@example.com", username="bea", verified=True)
    with app.app_context():
        owner = db.session.get(User, other)
        assert owner is not None
        row, _ = api_keys.create(
            owner=owner,
            actor_id=other,
            actor_is_admin=False,
            name="Bea's",
            scopes=["entries:read"],
            expires_at=None,
            meta=RequestMeta(),
        )
        key_id = row.id
    assert reader.get(f"{KEYS}/{key_id}/revoke").status_code == 404
    assert form_post(reader, f"{KEYS}/{key_id}/revoke", {}, token_from=KEYS).status_code == 404
    assert reader.get(f"{KEYS}/999999/revoke").status_code == 404
    assert keys(app)[0].revoked_at is None
    assert "Bea&#39;s" not in reader.get(KEYS).get_data(as_text=True)


def test_list_is_paginated_and_survives_garbage_page_numbers(
    app: Flask, reader: FlaskClient
) -> None:
    for number in range(23):
        create(reader, name=f"key {number:02d}")
    first = reader.get(KEYS).get_data(as_text=True)
    assert "key 22" in first
    assert "key 02" not in first
    assert 'href="/account/api-keys?page=2"' in first
    second = reader.get(f"{KEYS}?page=2").get_data(as_text=True)
    assert "key 02" in second
    assert "Page 2 of 2" in second
    for garbage in ("x", "-5", "0", "99999999999999999999", "<script>"):
        answer = reader.get(KEYS, query_string={"page": garbage})
        assert answer.status_code == 200
        assert "<script>" not in answer.get_data(as_text=True).split("<main", 1)[1]


def test_unverified_reader_is_told_to_confirm_first(app: Flask, client: FlaskClient) -> None:
    make_user(app)  # not verified; the rule is on by default
    web_login(client)
    page = client.get(KEYS).get_data(as_text=True)
    if "Confirm your email address first" not in page:
        pytest.skip("verified email not required in this configuration")
    answer = form_post(client, KEYS, {"name": "x", "scopes": ["entries:read"]}, token_from=KEYS)
    assert answer.status_code == 403
    assert keys(app) == []


def test_pages_need_a_session_and_csrf(app: Flask, client: FlaskClient) -> None:
    answer = client.get(KEYS)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/account/login?next=")
    make_user(app, verified=True)
    web_login(client)
    assert client.post(KEYS, data={"name": "x", "scopes": ["entries:read"]}).status_code == 400
    assert keys(app) == []


def test_density_1_lists_keys_in_one_column(app: Flask, reader: FlaskClient) -> None:
    create(reader)
    with app.app_context():
        user = db.session.query(User).filter_by(username="ada").one()
        user.visual_density = 1
        db.session.commit()
    html = reader.get(KEYS).get_data(as_text=True)
    assert '<ul class="key-cards">' in html
    assert "<table" not in html
    assert 'Revoke<span class="visually-hidden"> Caption robot</span>' in html

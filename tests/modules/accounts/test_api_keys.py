"""API keys: shown once, stored hashed, scoped, revocable, expiring, tied to an active owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, Flask, Response
from flask.testing import FlaskClient

from tests.modules.accounts.support import assert_error, count, make_user
from versehub.core.auth import current_principal, require_role, require_scope
from versehub.core.db import utcnow
from versehub.core.envelope import envelope
from versehub.extensions import db
from versehub.modules.accounts.models import ApiKey, AuditEvent, User
from versehub.modules.accounts.service import api_keys

KEYS = "/api/v1/auth/api-keys"


@pytest.fixture
def probe(app: Flask) -> Flask:
    """Routes that show the resolved principal and guard on a scope and a role."""
    bp = Blueprint("probe", __name__, url_prefix="/api/v1/probe")

    @bp.get("/whoami")
    def whoami() -> Response:
        principal = current_principal()
        if principal is None:
            return envelope(None)
        return envelope(
            {
                "kind": principal.kind,
                "user_id": principal.user_id,
                "roles": sorted(principal.roles),
                "scopes": sorted(principal.scopes) if principal.scopes is not None else None,
                "api_key_id": principal.api_key_id,
                "rate_limit_key": principal.rate_limit_key,
            }
        )

    @bp.post("/entries")
    @require_scope("entries:write")
    def write_entries() -> Response:
        return envelope({"ok": True})

    @bp.get("/admin-only")
    @require_role("admin")
    def admin_only() -> Response:
        return envelope({"ok": True})

    app.register_blueprint(bp)
    return app


def create_key(client: FlaskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("name", "ci bot")
    body.setdefault("scopes", ["entries:read"])
    response = client.post(KEYS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()["data"]["api_key"]
    return created


def test_key_is_shown_once_and_stored_hashed(
    app: Flask, client: FlaskClient, member_headers: dict[str, str]
) -> None:
    created = create_key(client, member_headers, scopes=["entries:read", "entries:write"])
    key = created["key"]
    assert key.startswith(f"vh_{created['prefix']}_")
    assert len(key) > 40
    listed = client.get(KEYS, headers=member_headers).get_json()["data"]["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "key" not in listed[0]
    assert key not in client.get(KEYS, headers=member_headers).get_data(as_text=True)
    with app.app_context():
        row = db.session.get(ApiKey, created["id"])
        assert row is not None
        assert row.key_hash == api_keys.hash_key(key)
        assert key not in (row.key_hash, row.prefix)
    assert count(app, AuditEvent, AuditEvent.event == "security.api_key_created") == 1


def test_key_authenticates_with_its_scopes(
    probe: Flask, client: FlaskClient, member_headers: dict[str, str], member_id: int
) -> None:
    key = create_key(client, member_headers)
    who = client.get("/api/v1/probe/whoami", headers={"X-API-Key": key["key"]}).get_json()["data"]
    assert who == {
        "kind": "api_key",
        "user_id": member_id,
        "roles": ["member"],
        "scopes": ["entries:read"],
        "api_key_id": key["id"],
        "rate_limit_key": f"key:{key['id']}",
    }
    response = client.post("/api/v1/probe/entries", headers={"X-API-Key": key["key"]})
    assert_error(response, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    writer = create_key(client, member_headers, scopes=["entries:write"])
    assert (
        client.post("/api/v1/probe/entries", headers={"X-API-Key": writer["key"]}).status_code
        == 200
    )


def test_last_used_is_recorded_at_most_once_a_minute(
    probe: Flask, client: FlaskClient, member_headers: dict[str, str]
) -> None:
    key = create_key(client, member_headers)
    headers = {"X-API-Key": key["key"]}
    client.get("/api/v1/probe/whoami", headers=headers)
    with probe.app_context():
        first = db.session.get(ApiKey, key["id"])
        assert first is not None
        assert first.last_used_at is not None
        used = first.last_used_at
    client.get("/api/v1/probe/whoami", headers=headers)
    with probe.app_context():
        row = db.session.get(ApiKey, key["id"])
        assert row is not None
        assert row.last_used_at == used
        row.last_used_at = used - timedelta(minutes=2)
        db.session.commit()
    client.get("/api/v1/probe/whoami", headers=headers)
    with probe.app_context():
        row = db.session.get(ApiKey, key["id"])
        assert row is not None
        assert row.last_used_at is not None
        assert row.last_used_at > used - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("garbage", "AUTH_TOKEN_INVALID"),
        ("vh_deadbeef_" + "x" * 43, "AUTH_TOKEN_INVALID"),
        ("vh_' OR 1=1 --_x", "AUTH_TOKEN_INVALID"),
        ("vh_" + "a" * 300, "AUTH_TOKEN_INVALID"),
    ],
)
def test_unknown_keys(probe: Flask, client: FlaskClient, key: str, code: str) -> None:
    assert_error(client.get("/api/v1/probe/whoami", headers={"X-API-Key": key}), 401, code)


def test_right_prefix_wrong_secret(
    probe: Flask, client: FlaskClient, member_headers: dict[str, str]
) -> None:
    key = create_key(client, member_headers)["key"]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = client.get("/api/v1/probe/whoami", headers={"X-API-Key": forged})
    assert_error(response, 401, "AUTH_TOKEN_INVALID")


def test_revoked_expired_and_disabled_owner(
    probe: Flask, client: FlaskClient, member_headers: dict[str, str], member_id: int
) -> None:
    revoked = create_key(client, member_headers)
    assert client.delete(f"{KEYS}/{revoked['id']}", headers=member_headers).status_code == 200
    who = "/api/v1/probe/whoami"
    assert_error(client.get(who, headers={"X-API-Key": revoked["key"]}), 401, "AUTH_TOKEN_REVOKED")

    expiring = create_key(client, member_headers)
    with probe.app_context():
        row = db.session.get(ApiKey, expiring["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert_error(client.get(who, headers={"X-API-Key": expiring["key"]}), 401, "AUTH_TOKEN_EXPIRED")

    live = create_key(client, member_headers)
    with probe.app_context():
        user = db.session.get(User, member_id)
        assert user is not None
        user.is_active = False
        db.session.commit()
    assert_error(client.get(who, headers={"X-API-Key": live["key"]}), 401, "AUTH_TOKEN_REVOKED")


def test_only_admins_create_admin_keys_or_keys_for_others(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    agent_id = make_user(app, email="bot@example.com", username="bot", roles=("agent",))
    response = client.post(KEYS, json={"name": "x", "scopes": ["admin"]}, headers=member_headers)
    assert_error(response, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    # Another user's keys are hidden (404), like everything of another user's.
    body = {"name": "x", "scopes": ["entries:read"], "user_id": agent_id}
    assert_error(client.post(KEYS, json=body, headers=member_headers), 404, "RES_NOT_FOUND")
    assert count(app, ApiKey) == 0
    agent_key = create_key(client, admin_headers, user_id=agent_id, scopes=["agents:write"])
    assert agent_key["user_id"] == agent_id
    admin_key = create_key(client, admin_headers, scopes=["admin"])
    assert admin_key["scopes"] == ["admin"]
    response = client.post(
        KEYS, json={"name": "x", "scopes": ["admin"], "user_id": agent_id}, headers=admin_headers
    )
    assert_error(response, 422, "VAL_INVALID")


def test_admin_role_on_a_key_needs_the_admin_scope(
    probe: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    reader = create_key(client, admin_headers, scopes=["entries:read"])
    response = client.get("/api/v1/probe/admin-only", headers={"X-API-Key": reader["key"]})
    assert_error(response, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    admin = create_key(client, admin_headers, scopes=["admin"])
    response = client.get("/api/v1/probe/admin-only", headers={"X-API-Key": admin["key"]})
    assert response.status_code == 200
    response = client.get("/api/v1/admin/users", headers={"X-API-Key": admin["key"]})
    assert response.status_code == 200


def test_keys_cannot_manage_keys(client: FlaskClient, member_headers: dict[str, str]) -> None:
    key = create_key(client, member_headers, scopes=["entries:read", "entries:write"])
    response = client.post(
        KEYS, json={"name": "child", "scopes": ["entries:read"]}, headers={"X-API-Key": key["key"]}
    )
    assert_error(response, 403, "AUTH_INSUFFICIENT_PERMISSIONS")


def test_other_users_keys_are_not_found(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    admin_key = create_key(client, admin_headers)
    assert_error(
        client.delete(f"{KEYS}/{admin_key['id']}", headers=member_headers), 404, "RES_NOT_FOUND"
    )
    assert_error(client.get(f"{KEYS}?user_id=999", headers=member_headers), 404, "RES_NOT_FOUND")
    mine = create_key(client, member_headers)
    assert client.delete(f"{KEYS}/{mine['id']}", headers=admin_headers).status_code == 200
    assert count(app, AuditEvent, AuditEvent.event == "security.api_key_revoked") == 1


def test_another_users_keys_answer_alike_whether_or_not_the_user_exists(
    client: FlaskClient,
    member_headers: dict[str, str],
    admin_id: int,
    admin_headers: dict[str, str],
) -> None:
    create = {"name": "x", "scopes": ["entries:read"]}
    answers = [
        client.get(f"{KEYS}?user_id={user_id}", headers=member_headers)
        for user_id in (admin_id, 999)
    ] + [
        client.post(KEYS, json={**create, "user_id": user_id}, headers=member_headers)
        for user_id in (admin_id, 999)
    ]
    bodies = [assert_error(answer, 404, "RES_NOT_FOUND") for answer in answers]
    assert {body["message"] for body in bodies} == {"No such user among those you may see"}
    assert all(body["error"] == bodies[0]["error"] for body in bodies)
    # Admins see everyone's; for them only a missing user is 404.
    assert client.get(f"{KEYS}?user_id={admin_id}", headers=admin_headers).status_code == 200
    assert_error(client.get(f"{KEYS}?user_id=999", headers=admin_headers), 404, "RES_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["everything"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["entries:read"]},
        {"name": "x" * 101, "scopes": ["entries:read"]},
        {"name": "line\nbreak", "scopes": ["entries:read"]},
        {"name": "x", "scopes": ["entries:read"], "expires_at": "2020-01-01T00:00:00Z"},
        {"name": "x", "scopes": ["entries:read"], "expires_at": "2099-01-01T00:00:00"},
        {"name": "x", "scopes": "entries:read"},
        {"name": "x", "scopes": ["entries:read"], "secret": "mine"},
    ],
)
def test_bad_key_requests(
    app: Flask, client: FlaskClient, member_headers: dict[str, str], body: dict[str, Any]
) -> None:
    assert_error(client.post(KEYS, json=body, headers=member_headers), 422, "VAL_INVALID")
    assert count(app, ApiKey) == 0


def test_script_in_key_name_is_stored_as_text(
    app: Flask, client: FlaskClient, member_headers: dict[str, str]
) -> None:
    created = create_key(client, member_headers, name="<script>alert(1)</script>")
    assert created["name"] == "<script>alert(1)</script>"
    assert client.get(KEYS, headers=member_headers).mimetype == "application/json"

"""Admin endpoints: users, roles, module grants, account status, and the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, Response
from flask.testing import FlaskClient

import versehub
from tests.modules.accounts.support import (
    assert_error,
    bearer,
    count,
    login,
    make_user,
    tokens_for,
)
from versehub.core.auth import require_module
from versehub.core.envelope import envelope
from versehub.modules.accounts.events import AUDITED_EVENTS
from versehub.modules.accounts.models import AuditEvent, UserModuleAccess, UserRole

USERS = "/api/v1/admin/users"
AUDIT = "/api/v1/admin/audit"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", USERS),
        ("patch", f"{USERS}/1"),
        ("patch", f"{USERS}/1/roles"),
        ("put", f"{USERS}/1/modules/system"),
        ("delete", f"{USERS}/1/modules/system"),
        ("get", AUDIT),
    ],
)
def test_admin_routes_need_an_admin(
    client: FlaskClient, member_headers: dict[str, str], method: str, path: str
) -> None:
    assert_error(getattr(client, method)(path), 401, "AUTH_REQUIRED")
    response = getattr(client, method)(path, headers=member_headers, json={})
    assert_error(response, 403, "AUTH_INSUFFICIENT_PERMISSIONS")


def test_list_users_paginates_and_filters(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    for i in range(5):
        make_user(app, email=f"user{i}@example.com", username=f"user{i}")
    page = client.get(f"{USERS}?per_page=2&page=2", headers=admin_headers).get_json()["data"]
    assert page["pagination"] == {
        "page": 2,
        "per_page": 2,
        "total": 6,
        "pages": 3,
        "has_more": True,
        "next_cursor": None,
    }
    assert [u["username"] for u in page["items"]] == ["user1", "user2"]
    assert all("password_hash" not in u for u in page["items"])
    found = client.get(f"{USERS}?q=USER3", headers=admin_headers).get_json()["data"]["items"]
    assert [u["username"] for u in found] == ["user3"]
    admins = client.get(f"{USERS}?role=admin", headers=admin_headers).get_json()["data"]["items"]
    assert [u["username"] for u in admins] == ["root"]
    wildcard = client.get(f"{USERS}?q=%25", headers=admin_headers).get_json()["data"]["items"]
    assert wildcard == []
    for bad in ("per_page=0", "per_page=101", "page=0", "role=god", "sort=x"):
        assert_error(client.get(f"{USERS}?{bad}", headers=admin_headers), 422, "VAL_INVALID")


def test_roles_change_takes_effect_at_once(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], member_id: int
) -> None:
    member = tokens_for(client)
    response = client.patch(
        f"{USERS}/{member_id}/roles", json={"roles": ["editor", "member"]}, headers=admin_headers
    )
    assert response.get_json()["data"]["user"]["roles"] == ["editor", "member"]
    me = client.get("/api/v1/auth/me", headers=bearer(member["access_token"])).get_json()
    assert me["data"]["user"]["roles"] == ["editor", "member"]
    assert count(app, UserRole) == 4
    with app.app_context():
        from sqlalchemy import select

        from versehub.extensions import db

        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "security.roles_changed")
        ).one()
        assert event.target == f"user:{member_id}"
        assert event.details == {"before": ["member"], "after": ["editor", "member"]}


@pytest.mark.parametrize(
    "body", [{"roles": []}, {"roles": ["root"]}, {"roles": "admin"}, {"roles": ["admin"], "x": 1}]
)
def test_bad_roles(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str], member_id: int, body: Any
) -> None:
    response = client.patch(f"{USERS}/{member_id}/roles", json=body, headers=admin_headers)
    assert_error(response, 422, "VAL_INVALID")
    assert count(app, UserRole, UserRole.user_id == member_id) == 1


def test_last_admin_keeps_the_role(
    client: FlaskClient, admin_headers: dict[str, str], admin_id: int
) -> None:
    response = client.patch(
        f"{USERS}/{admin_id}/roles", json={"roles": ["member"]}, headers=admin_headers
    )
    assert_error(response, 409, "RES_CONFLICT")
    response = client.patch(f"{USERS}/{admin_id}", json={"is_active": False}, headers=admin_headers)
    assert_error(response, 409, "RES_CONFLICT")


def test_unknown_user_is_not_found(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert_error(
        client.patch(f"{USERS}/999/roles", json={"roles": ["member"]}, headers=admin_headers),
        404,
        "RES_NOT_FOUND",
    )


@pytest.fixture
def gated(app: Flask) -> Flask:
    """A route guarded by `require_module("knowledge")` (registered before any request)."""
    bp = Blueprint("gated", __name__, url_prefix="/api/v1/gated")

    @bp.get("/knowledge")
    @require_module("knowledge")
    def knowledge() -> Response:
        return envelope({"ok": True})

    app.register_blueprint(bp)
    return app


def test_module_grants_feed_the_principal(
    gated: Flask, client: FlaskClient, admin_headers: dict[str, str], member_id: int
) -> None:
    app = gated
    member = bearer(tokens_for(client)["access_token"])
    assert client.get("/api/v1/gated/knowledge", headers=member).status_code == 200
    path = f"{USERS}/{member_id}/modules/knowledge"
    response = client.put(path, json={"access": "deny"}, headers=admin_headers)
    assert response.status_code == 200
    assert_error(
        client.get("/api/v1/gated/knowledge", headers=member), 403, "AUTH_INSUFFICIENT_PERMISSIONS"
    )
    client.put(path, json={"access": "grant"}, headers=admin_headers)
    assert count(app, UserModuleAccess, UserModuleAccess.allowed.is_(True)) == 1
    assert client.delete(path, headers=admin_headers).status_code == 200
    assert count(app, UserModuleAccess) == 0
    assert client.get("/api/v1/gated/knowledge", headers=member).status_code == 200
    unknown = client.put(
        f"{USERS}/{member_id}/modules/nope", json={"access": "grant"}, headers=admin_headers
    )
    assert_error(unknown, 404, "RES_NOT_FOUND")
    bad = client.put(path, json={"access": "maybe"}, headers=admin_headers)
    assert_error(bad, 422, "VAL_INVALID")
    assert count(app, AuditEvent, AuditEvent.event == "security.module_access_changed") == 3


def test_disabling_an_account_ends_its_tokens(
    client: FlaskClient, admin_headers: dict[str, str], member_id: int
) -> None:
    member = tokens_for(client)
    response = client.patch(
        f"{USERS}/{member_id}", json={"is_active": False}, headers=admin_headers
    )
    assert response.get_json()["data"]["user"]["is_active"] is False
    me = client.get("/api/v1/auth/me", headers=bearer(member["access_token"]))
    assert_error(me, 401, "AUTH_TOKEN_REVOKED")
    assert_error(login(client), 401, "AUTH_INVALID_CREDENTIALS")
    client.patch(f"{USERS}/{member_id}", json={"is_active": True}, headers=admin_headers)
    # Switching back on does not revive the old tokens.
    again = client.get("/api/v1/auth/me", headers=bearer(member["access_token"]))
    assert_error(again, 401, "AUTH_TOKEN_REVOKED")
    assert login(client).status_code == 200


def test_audit_trail_filters_and_pages(
    client: FlaskClient, admin_headers: dict[str, str], admin_id: int, member_id: int
) -> None:
    login(client, "ada", "wrong password!!")
    login(client, "ada", "wrong password!!")
    body = client.get(f"{AUDIT}?event=security.login_failed", headers=admin_headers).get_json()
    items = body["data"]["items"]
    assert len(items) == 2
    assert {i["actor_id"] for i in items} == {member_id}
    assert body["data"]["pagination"]["total"] == 2
    mine = client.get(f"{AUDIT}?actor_id={admin_id}&per_page=1", headers=admin_headers).get_json()
    assert mine["data"]["pagination"]["per_page"] == 1
    assert all(i["actor_id"] == admin_id for i in mine["data"]["items"])
    future = client.get(f"{AUDIT}?since=2999-01-01T00:00:00Z", headers=admin_headers).get_json()
    assert future["data"]["items"] == []
    past = client.get(f"{AUDIT}?until=2000-01-01T00:00:00Z", headers=admin_headers).get_json()
    assert past["data"]["items"] == []
    for bad in ("per_page=0", "per_page=101", "since=yesterday", "until=2026-13-01"):
        assert_error(client.get(f"{AUDIT}?{bad}", headers=admin_headers), 422, "VAL_INVALID")


def test_audit_dates_are_midnight_utc_and_naive_times_are_utc(
    client: FlaskClient, admin_headers: dict[str, str], member_id: int
) -> None:
    login(client, "ada", "wrong password!!")

    def total(query: str) -> int:
        body = client.get(f"{AUDIT}?event=security.login_failed&{query}", headers=admin_headers)
        assert body.status_code == 200, body.get_json()
        return int(body.get_json()["data"]["pagination"]["total"])

    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    assert total(f"since={today.isoformat()}") == 1
    assert total(f"since={tomorrow.isoformat()}") == 0
    assert total(f"until={tomorrow.isoformat()}") == 1
    assert total(f"until={today.isoformat()}") == 0
    # No offset: UTC, the same answer as with Z.
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert total(f"since={hour_ago}") == total(f"since={hour_ago}Z") == 1
    assert total(f"since={in_an_hour}") == total(f"since={in_an_hour}Z") == 0


@pytest.mark.parametrize(
    "name", ["login_failed", "security.login_faild", "security.*", "user.created", "x" * 64]
)
def test_audit_event_filter_refuses_unknown_names(
    client: FlaskClient, admin_headers: dict[str, str], name: str
) -> None:
    response = client.get(f"{AUDIT}?event={name}", headers=admin_headers)
    body = assert_error(response, 422, "VAL_INVALID")
    [error] = body["error"]["errors"]
    assert error["field"] == "event"
    assert "security.login_failed" in error["message"]
    assert set(body["error"]["details"]["allowed"]) >= AUDITED_EVENTS


def test_every_security_event_in_the_sources_is_a_known_audit_event() -> None:
    sources = Path(versehub.__file__).parent.rglob("*.py")
    written = {
        name
        for path in sources
        for name in re.findall(r"[\"'](security\.[a-z0-9_]+)[\"']", path.read_text("utf-8"))
    }
    assert written
    assert written <= AUDITED_EVENTS
    readme = (Path(versehub.__file__).parents[2] / "README.md").read_text("utf-8")
    assert [name for name in sorted(AUDITED_EVENTS) if f"`{name}`" not in readme] == []


def test_other_modules_security_events_land_in_the_audit_trail(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    from versehub.core.events import publish

    with app.test_request_context(
        "/x", environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"User-Agent": "probe/1"}
    ):
        publish(
            "security.rate_banned",
            actor_id=None,
            target="ip:203.0.113.9",
            until="later",
            password="x",
        )
    items = client.get(f"{AUDIT}?event=security.rate_banned", headers=admin_headers).get_json()
    [event] = items["data"]["items"]
    assert event["ip"] == "203.0.113.9"
    assert event["user_agent"] == "probe/1"
    assert event["details"] == {"until": "later"}


def test_wire_and_table_name_the_same_roles_and_scopes() -> None:
    from typing import get_args

    from versehub.modules.accounts.models import ROLES
    from versehub.modules.accounts.schemas import SCOPES, Role, Scope

    assert set(get_args(Role)) == set(ROLES)
    assert set(get_args(Scope)) == set(SCOPES)

"""Users and roles pages: search, filters, pages, role changes, status and module access."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import make_user
from tests.modules.accounts.web_support import user_row
from tests.modules.admin.support import audit_rows, post, status_messages, text


def test_search_and_role_filter(app: Flask, admin: FlaskClient, member_id: int) -> None:
    make_user(app, email="bea@example.com", username="bea", roles=("editor", "member"))
    everyone = text(admin.get("/admin/users"))
    assert "Users: 3 users</caption>" in everyone
    assert 'href="/admin/users/' in everyone
    found = text(admin.get("/admin/users?q=BEA"))
    assert "Users: 1 user found for “BEA”</caption>" in found
    assert ">bea</a>" in found
    assert ">ada</a>" not in found
    editors = text(admin.get("/admin/users?role=editor"))
    assert ">bea</a>" in editors
    assert ">root</a>" not in editors
    assert "No users match" in text(admin.get("/admin/users?q=nobody-like-this"))


def test_users_come_page_by_page(
    app: Flask, admin: FlaskClient, member_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("versehub.modules.admin.web.users.PER_PAGE", 1)
    first = text(admin.get("/admin/users?role=member"))
    assert "Page 1 of 2" in first
    assert 'rel="next" href="/admin/users?page=2&amp;role=member"' in first
    second = text(admin.get("/admin/users?page=2&role=member"))
    assert ">ada</a>" in second
    assert 'rel="prev"' in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "The page number in the address must be a whole number"),
        ("page=0", "The page number in the address must be a whole number"),
        ("page=99999999999999999999", "The page number in the address must be a whole number"),
        ("role=superuser", "Choose one of the roles in the list"),
        ("q=" + "x" * 101, "The search must be at most 100 characters"),
    ],
)
def test_garbage_filters_get_a_clear_message(admin: FlaskClient, query: str, message: str) -> None:
    page = admin.get(f"/admin/users?{query}")
    html = text(page)
    assert page.status_code == 422
    assert "<title>Error: Users" in html
    assert "There is a problem" in html
    assert message in html


def test_html_in_a_search_is_shown_escaped(admin: FlaskClient) -> None:
    html = text(admin.get("/admin/users?q=<script>alert(1)</script>"))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_changing_roles_is_saved_and_audited(
    app: Flask, admin: FlaskClient, admin_id: int, member_id: int
) -> None:
    answer = post(admin, f"/admin/users/{member_id}/roles", {"roles": ["editor", "member"]})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/admin/users/{member_id}"
    assert "Roles of ada saved: editor, member." in status_messages(
        admin, f"/admin/users/{member_id}"
    )
    assert user_row(app).roles == {"editor", "member"}
    [event] = audit_rows(app, "security.roles_changed")
    assert event.actor_id == admin_id
    assert event.target == f"user:{member_id}"
    assert event.details["before"] == ["member"]
    assert event.details["after"] == ["editor", "member"]


def test_unchanged_roles_are_not_audited(app: Flask, admin: FlaskClient, member_id: int) -> None:
    answer = post(admin, f"/admin/users/{member_id}/roles", {"roles": ["member"]})
    assert answer.status_code == 303
    assert "Roles of ada unchanged: member." in status_messages(admin, "/admin/")
    assert audit_rows(app, "security.roles_changed") == []


@pytest.mark.parametrize(
    ("roles", "message"),
    [([], "Choose at least one role"), (["member", "wizard"], "Roles are admin")],
)
def test_bad_roles_are_refused_on_the_page(
    app: Flask, admin: FlaskClient, member_id: int, roles: list[str], message: str
) -> None:
    page = post(admin, f"/admin/users/{member_id}/roles", {"roles": roles})
    assert page.status_code == 422
    assert message in text(page)
    assert 'href="#roles"' in text(page)
    assert user_row(app).roles == {"member"}


def test_admins_cannot_remove_their_own_admin_role(
    app: Flask, admin: FlaskClient, admin_id: int
) -> None:
    own = text(admin.get(f"/admin/users/{admin_id}"))
    assert "You cannot remove your own admin role: another admin can." in own
    assert 'value="admin" checked disabled' in own
    page = post(admin, f"/admin/users/{admin_id}/roles", {"roles": ["member"]})
    assert page.status_code == 422
    assert "You cannot remove your own admin role" in text(page)
    assert user_row(app, "root").roles == {"admin", "member"}
    # The locked box still sends "admin" along, so other roles can change.
    kept = post(admin, f"/admin/users/{admin_id}/roles", {"roles": ["admin", "editor"]})
    assert kept.status_code == 303
    assert user_row(app, "root").roles == {"admin", "editor"}


def test_disabling_and_enabling_an_account(
    app: Flask, admin: FlaskClient, admin_id: int, member_id: int
) -> None:
    off = post(admin, f"/admin/users/{member_id}/status", {"active": "0"})
    assert off.status_code == 303
    assert "Account ada disabled" in status_messages(admin, f"/admin/users/{member_id}")
    assert user_row(app).is_active is False
    assert "Enable account" in text(admin.get(f"/admin/users/{member_id}"))
    on = post(admin, f"/admin/users/{member_id}/status", {"active": "1"})
    assert on.status_code == 303
    assert user_row(app).is_active is True
    events = audit_rows(app, "security.account_status_changed")
    assert [(e.actor_id, e.details["after"]) for e in events] == [
        (admin_id, False),
        (admin_id, True),
    ]


def test_admins_cannot_disable_themselves(app: Flask, admin: FlaskClient, admin_id: int) -> None:
    assert "you cannot disable it here" in text(admin.get(f"/admin/users/{admin_id}"))
    page = post(admin, f"/admin/users/{admin_id}/status", {"active": "0"})
    assert page.status_code == 409
    assert "You cannot disable your own account" in text(page)
    assert user_row(app, "root").is_active is True
    garbage = post(admin, f"/admin/users/{admin_id}/status", {"active": "maybe"})
    assert garbage.status_code == 422


def test_module_access_is_saved_and_audited(
    app: Flask, admin: FlaskClient, admin_id: int, member_id: int
) -> None:
    answer = post(
        admin,
        f"/admin/users/{member_id}/modules",
        {"module-knowledge": "deny", "module-system": "default"},
    )
    assert answer.status_code == 303
    assert "Module access of ada saved: knowledge changed." in status_messages(
        admin, f"/admin/users/{member_id}"
    )
    [event] = audit_rows(app, "security.module_access_changed")
    assert (event.actor_id, event.details["module"], event.details["after"]) == (
        admin_id,
        "knowledge",
        "deny",
    )
    assert "module-knowledge" in text(admin.get(f"/admin/users/{member_id}"))


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"module-accounts": "deny"}, 422, "The accounts module cannot be denied"),
        ({"module-knowledge": "sometimes"}, 422, "Choose default, grant or deny"),
        ({"module-nope": "grant"}, 422, "No such module"),
    ],
)
def test_bad_module_access_is_refused(
    app: Flask, admin: FlaskClient, member_id: int, data: dict[str, str], status: int, message: str
) -> None:
    page = post(admin, f"/admin/users/{member_id}/modules", data)
    assert page.status_code == status
    assert message in text(page)
    assert audit_rows(app, "security.module_access_changed") == []


def test_an_unknown_user_is_not_found(admin: FlaskClient) -> None:
    assert admin.get("/admin/users/999").status_code == 404
    assert post(admin, "/admin/users/999/roles", {"roles": ["member"]}).status_code == 404

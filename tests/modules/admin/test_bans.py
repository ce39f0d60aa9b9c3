"""The bans page: active bans listed, lifted by an admin (audited), unknown keys explained."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.modules.admin.support import audit_rows, post, status_messages, text
from versehub.core.limits import service
from versehub.core.limits.state import current_limits


def ban(app: Flask, key: str) -> None:
    """Ban `key` for an hour, as `versehub bans add` does."""
    with app.app_context():
        service.ban(
            bans=current_limits().bans,
            key=key,
            duration=3600,
            reason="manual",
            actor="cli",
            actor_id=None,
        )


def test_bans_are_listed_and_lifted(app: Flask, admin: FlaskClient, admin_id: int) -> None:
    assert "No active bans." in text(admin.get("/admin/bans"))
    ban(app, "ip:203.0.113.9")
    listed = text(admin.get("/admin/bans"))
    assert "<code>ip:203.0.113.9</code>" in listed
    assert "Active bans: 1, soonest to end first" in listed
    assert "1</strong> active ban." in text(admin.get("/admin/"))

    answer = post(admin, "/admin/bans/lift", {"key": "ip:203.0.113.9"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/bans"
    assert "Ban of ip:203.0.113.9 lifted." in status_messages(admin, "/admin/bans")
    assert "No active bans." in text(admin.get("/admin/bans"))
    with app.app_context():
        assert service.list_bans(bans=current_limits().bans) == []
    [event] = audit_rows(app, "security.unban")
    assert event.actor_id == admin_id
    assert event.target == "ip:203.0.113.9"
    assert event.details["actor"] == f"user:{admin_id}"


def test_lifting_an_unknown_ban_says_so(app: Flask, admin: FlaskClient) -> None:
    answer = post(admin, "/admin/bans/lift", {"key": "user:424242"})
    assert answer.status_code == 303
    assert "There is no active ban for user:424242" in status_messages(admin, "/admin/bans")
    assert audit_rows(app, "security.unban") == []


def test_lifting_garbage_lifts_nothing(app: Flask, admin: FlaskClient) -> None:
    ban(app, "ip:203.0.113.9")
    for key in ("", "203.0.113.9", "ip:" + "9" * 300, "<script>"):
        answer = post(admin, "/admin/bans/lift", {"key": key})
        assert answer.status_code == 303
        assert "That is not a ban key" in status_messages(admin, "/admin/bans")
    assert "<code>ip:203.0.113.9</code>" in text(admin.get("/admin/bans"))


def test_a_bad_page_number_is_explained(admin: FlaskClient) -> None:
    page = admin.get("/admin/bans?page=two")
    assert page.status_code == 422
    assert "The page number in the address must be a whole number" in text(page)

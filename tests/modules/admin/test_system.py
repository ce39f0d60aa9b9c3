"""The overview and the modules page: counts, every module, health in words."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.modules.accounts.support import make_user
from tests.modules.admin.support import signed_in, text
from tests.modules.knowledge.support import publish, write
from versehub.core.auth import Principal
from versehub.core.modules import Health, get_registry
from versehub.core.stats import register_counts
from versehub.modules.knowledge.service import entries


def figures(html: str) -> dict[str, str]:
    """The overview's <dt>/<dd> pairs."""
    return dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", html))


def test_overview_counts_users_entries_bans_and_jobs(app: Flask, admin: FlaskClient) -> None:
    make_user(app, email="gone@example.com", username="gone")
    html = text(admin.get("/admin/"))
    found = figures(html)
    assert (found["Accounts"], found["Active"], found["Admins"]) == ("2", "2", "1")
    assert "Entries by status" in html
    assert (found["Draft"], found["In review"], found["Published"]) == ("0", "0", "0")
    assert "No active bans." in html
    assert "No failed jobs." in html
    for link in ("/admin/users", "/admin/modules", "/admin/audit", "/admin/bans", "/admin/jobs"):
        assert f'href="{link}"' in html


def test_entries_are_counted_by_status(app: Flask, admin: FlaskClient, admin_id: int) -> None:
    editor = Principal(kind="user", user_id=admin_id, roles=frozenset({"admin", "editor"}))
    with app.app_context():
        write(editor, "First draft")
        write(editor, "Second draft")
        publish(write(editor, "Out now"), editor)
        binned = write(editor, "Thrown away")
        entries.delete(entry_id=binned.id, viewer=editor)
    found = figures(text(admin.get("/admin/")))
    assert (found["Draft"], found["Published"], found["In the recycle bin"]) == ("2", "1", "1")


def test_a_failing_counter_does_not_break_the_overview(app: Flask, admin: FlaskClient) -> None:
    def broken() -> dict[str, int]:
        raise RuntimeError("table gone")

    register_counts(app, "Broken things", broken)
    html = text(admin.get("/admin/"))
    assert "Broken things" in html
    assert "Not available right now (RuntimeError)." in html


def test_without_knowledge_the_admin_pages_still_work(make_app: AppFactory) -> None:
    app = make_app(modules_disabled=["knowledge"])
    make_user(app, email="root@example.com", username="root", roles=("admin", "member"))
    admin = signed_in(app, "root")
    html = text(admin.get("/admin/"))
    assert "Entries by status" not in html
    modules = text(admin.get("/admin/modules"))
    assert re.search(r'<th scope="row" data-label="Module">knowledge', modules)
    assert "disabled by settings" in modules
    app.extensions["celery"].close()


def test_modules_page_shows_every_module_with_health_in_words(
    app: Flask, admin: FlaskClient
) -> None:
    html = text(admin.get("/admin/modules"))
    with app.app_context():
        names = get_registry().names
    assert {"accounts", "admin", "knowledge", "system"} <= set(names)
    for name in names:
        assert f'<th scope="row" data-label="Module">{name}' in html
    assert "<caption>Modules (" in html
    assert "<caption>Platform checks (" in html
    assert '<th scope="col">Health</th>' in html
    # Words, with a symbol hidden from screen readers: never colour alone.
    assert '<span class="health health--ok"><span aria-hidden="true">✓ </span>OK</span>' in html
    assert "This instance is" in html
    assert "uptime_seconds" in html  # the system module's details, as /health/ready has them
    [admin_row] = [row for row in html.split("<tr>") if 'data-label="Module">admin' in row]
    assert '<td data-label="Requires">accounts</td>' in admin_row


def test_a_failing_module_is_named_failing(app: Flask, admin: FlaskClient) -> None:
    with app.app_context():
        registry = get_registry()
        system = registry.get("system")
        assert system is not None
        index = registry.enabled.index(system)
        registry.enabled[index] = type(system)(
            **{**system.__dict__, "health": lambda: Health("fail", {"error": "disk full"})}
        )
    html = text(admin.get("/admin/modules"))
    assert "<strong>not ready</strong>" in html
    assert "Failing</span>" in html
    assert "disk full" in html

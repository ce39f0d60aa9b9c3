"""The admin pages in a real browser: the audit log filtered, a role changed, a failed job
retried by keyboard alone, and axe-core on every admin page in all 10 modes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.e2e.test_accessibility import MODE_IDS, MODES, check_page, set_preferences
from tests.modules.accounts.support import PASSWORD
from tests.modules.admin.support import add_letter
from versehub.core.limits import service as limits
from versehub.core.limits.state import current_limits
from versehub.modules.accounts.service import users
from versehub.modules.accounts.service.meta import RequestMeta


def make_admin(server: LiveServer, username: str) -> int:
    """An admin account `username` (password PASSWORD)."""
    with server.app.app_context():
        user = users.create(
            email=f"{username}@example.com",
            username=username,
            password=PASSWORD,
            roles=("admin", "member"),
            meta=RequestMeta(),
        )
        return user.id


def tab_to(page: Page, matches: Callable[[dict[str, str]], bool], limit: int = 120) -> None:
    """Press Tab until the focused element matches (its text, href, type); fail otherwise."""
    script = """() => { const e = document.activeElement;
        return {text: (e.innerText || e.value || '').trim(), href: e.getAttribute('href') || '',
                tag: e.tagName.toLowerCase()}; }"""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if matches(page.evaluate(script)):
            return
    raise AssertionError("never reached the element by keyboard")


def test_admin_filters_the_audit_log(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    make_admin(live_server, "audit-admin")
    _, page = new_context()
    sign_in(page, "audit-admin")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Audit log"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("Event").select_option("security.login_succeeded")
    page.get_by_label("Actor").fill("audit-admin")
    page.get_by_role("button", name="Apply filters").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("security.login_succeeded")
    expect(table.locator("caption")).to_contain_text("1 event matching the filters")
    assert "actor=audit-admin" in page.url

    page.get_by_label("Actor").fill("no-such-person")
    page.get_by_role("button", name="Apply filters").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("No account is called 'no-such-person'")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Actor")).to_be_focused()
    assert console.csp_violations() == []


def test_admin_changes_a_role(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    make_admin(live_server, "role-admin")
    live_server.make_user("role-target")
    _, page = new_context()
    sign_in(page, "role-admin")
    page.goto("/admin/users")
    page.get_by_label("Name or email contains").fill("role-tar")
    # Results as you type (HTMX), announced in the status region.
    expect(page.get_by_role("status")).to_contain_text("1 user found.")
    expect(page.get_by_role("table")).to_contain_text("role-target")
    assert "q=role-tar" in page.url
    page.get_by_role("link", name="role-target").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("User role-target")
    page.get_by_role("group", name="Roles of role-target").get_by_label("editor").check()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Roles of role-target saved: editor, member."
    )
    expect(page.get_by_label("editor")).to_be_checked()
    assert console.csp_violations() == []


def test_admin_retries_a_failed_job_by_keyboard(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    make_admin(live_server, "jobs-admin")
    letter_id = add_letter(live_server.app)
    _, page = new_context()
    sign_in(page, "jobs-admin")
    page.goto("/admin/jobs")
    tab_to(page, lambda e: e["href"] == f"/admin/jobs/{letter_id}/retry")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Retry failed job {letter_id}?")
    tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Retry job")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Failed job {letter_id}")
    expect(page.get_by_role("status")).to_contain_text("queued again as job")
    assert console.csp_violations() == []


# --- axe in every mode ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix_admin(live_server: LiveServer) -> tuple[LiveServer, int, int, int]:
    """The admin whose stored preferences the matrix changes, a user, a failed job and a ban."""
    admin_id = make_admin(live_server, "matrix-admin")
    other_id = live_server.make_user("matrix-other")
    letter_id = add_letter(live_server.app)
    with live_server.app.app_context():
        limits.ban(
            bans=current_limits().bans,
            key="ip:198.51.100.7",
            duration=3600,
            reason="manual",
            actor="cli",
            actor_id=None,
        )
    return live_server, admin_id, other_id, letter_id


@pytest.fixture(scope="module")
def admin_page(
    browser: Browser, base_url: str, matrix_admin: tuple[LiveServer, int, int, int]
) -> Iterator[Page]:
    """One signed-in admin page reused across modes."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "matrix-admin")
    yield page
    context.close()


def admin_pages(page: Page, other_id: int, letter_id: int) -> Iterator[str]:
    """Visit each admin page state; yield its name once it is showing."""
    for path, name in [
        ("/admin/", "overview"),
        ("/admin/users", "users"),
        ("/admin/users?q=matrix", "users searched"),
        ("/admin/users?page=abc", "users with a bad filter"),
        (f"/admin/users/{other_id}", "user"),
        ("/admin/modules", "modules"),
        ("/admin/audit", "audit log"),
        ("/admin/audit?since=yesterday&actor=nobody-at-all", "audit log with bad filters"),
        ("/admin/bans", "bans"),
        ("/admin/jobs", "failed jobs"),
        (f"/admin/jobs/{letter_id}/retry", "retry confirmation"),
        ("/admin/jobs/purge?scope=all", "purge confirmation"),
        ("/admin/jobs/purge?scope=older&days=soon", "purge with errors"),
    ]:
        page.goto(path)
        yield name
    page.goto(f"/admin/users/{other_id}")
    page.get_by_role("group", name="Roles of matrix-other").get_by_label("member").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save roles").click()
    assert "Choose at least one role" in page.content()
    yield "user with errors"


@pytest.mark.parametrize(("density", "contrast"), MODES, ids=MODE_IDS)
def test_every_admin_page_passes_axe_in_every_mode(
    density: int,
    contrast: str,
    matrix_admin: tuple[LiveServer, int, int, int],
    admin_page: Page,
) -> None:
    server, admin_id, other_id, letter_id = matrix_admin
    set_preferences(server, admin_id, density, contrast)
    failures: list[str] = []
    mode = f"d{density}-{contrast}"
    for name in admin_pages(admin_page, other_id, letter_id):
        html = admin_page.locator("html")
        assert html.get_attribute("data-density") == str(density), name
        assert html.get_attribute("data-contrast") == contrast, name
        # The admin page itself, not an error page in its place.
        assert admin_page.get_by_role("navigation", name="Admin sections").count() == 1, name
        check_page(admin_page, f"{name} [{mode}]", failures)
    assert not failures, "\n".join(failures)


def test_search_and_roles_work_without_javascript(
    live_server: LiveServer, browser: Browser, base_url: str
) -> None:
    make_admin(live_server, "nojs-admin")
    live_server.make_user("nojs-target")
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "nojs-admin")
        page.goto("/admin/users")
        page.get_by_label("Name or email contains").fill("nojs-tar")
        with page.expect_navigation():
            page.get_by_role("button", name="Search").click()
        assert "q=nojs-tar" in page.url
        expect(page.get_by_role("table")).to_contain_text("nojs-target")
        with page.expect_navigation():
            page.get_by_role("link", name="nojs-target").click()
        page.get_by_role("group", name="Roles of nojs-target").get_by_label("agent").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save roles").click()
        expect(page.get_by_role("status")).to_contain_text("saved: agent, member.")
    finally:
        context.close()

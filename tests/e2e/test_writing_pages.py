"""Writing and revision pages in the browser: live preview, workflow, diffs, keyboard, axe.

A member writes an entry with the live preview, edits it and submits it for review, all by
keyboard; an editor opens the revision diff and publishes. axe-core checks every writing page
(write, errors, preview, edit, conflict, revisions, diff) in all 10 density x contrast modes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.e2e.test_accessibility import MODE_IDS, MODES, check_page, set_preferences
from tests.modules.accounts.support import PASSWORD
from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.accounts.service import users
from versehub.modules.accounts.service.meta import RequestMeta
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import EntryCreate, EntryUpdate
from versehub.modules.knowledge.service import entries

# Set to a folder to keep full-page screenshots of every page at density 1, 3 and 5 (and 3 high).
SHOTS = os.environ.get("VERSEHUB_E2E_SHOTS")
# The live preview waits for a pause in typing, then asks the server: on a busy CI machine that
# can take longer than Playwright's default 5 s (a wait, not a timing threshold).
HTMX_WAIT = 20_000


def make_writer(server: LiveServer, username: str, *roles: str) -> int:
    """A verified account `username` with `roles` (password PASSWORD)."""
    with server.app.app_context():
        user = users.create(
            email=f"{username}@example.com",
            username=username,
            password=PASSWORD,
            meta=RequestMeta(),
            roles=("member", *roles),
        )
        user.email_verified_at = datetime.now(UTC)
        db.session.commit()
        return user.id


def status_of(server: LiveServer, slug: str) -> str:
    """The stored workflow state of an entry."""
    with server.app.app_context():
        return str(db.session.scalars(select(Entry.status).where(Entry.slug == slug)).one())


def tab_to(page: Page, test: str, limit: int = 80) -> None:
    """Press Tab until the focused element passes the JS predicate `test` (el => bool)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(({test}))(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element matching {test}")


def focused_id(page: Page) -> str:
    """The id of the focused element."""
    return str(page.evaluate("document.activeElement.id"))


def by_text(text: str) -> str:
    """A predicate: a button or link whose text is `text`."""
    return f"el => el.textContent.trim() === {text!r}"


def test_member_writes_and_submits_then_editor_publishes_by_keyboard(
    live_server: LiveServer, browser: Browser, base_url: str, console: ConsoleLog
) -> None:
    make_writer(live_server, "wren")
    make_writer(live_server, "eddie", "editor")
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    console.attach(page)
    sign_in(page, "wren")
    page.goto("/write")
    tab_to(page, "el => el.id === 'title'")
    page.keyboard.type("Booking an interpreter")
    tab_to(page, "el => el.id === 'content'")
    page.keyboard.type("## Before the day\n\nBook an *interpreter* two weeks ahead.")
    # The live preview and the reading level arrive without moving focus.
    preview_heading = page.locator("#preview-area h3", has_text="Before the day")
    expect(preview_heading).to_be_visible(timeout=HTMX_WAIT)
    expect(page.locator("#preview-area em")).to_have_text("interpreter", timeout=HTMX_WAIT)
    expect(page.locator("#level-status")).to_contain_text(
        "Preview updated. Reading level of the text:", timeout=HTMX_WAIT
    )
    assert focused_id(page) == "content"
    tab_to(page, "el => el.id === 'tags'")
    page.keyboard.type("interpreters, booking")
    tab_to(page, by_text("Save draft"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Draft “Booking an interpreter” saved")
    found = re.search(r"/entries/([^/?#]+)", page.url)
    assert found
    slug = found.group(1)

    # A second save makes a second revision for the editor to compare. (Saving leads to the
    # entry's page; its edit page holds the form and the status buttons.)
    page.goto(f"/entries/{slug}/edit")
    tab_to(page, "el => el.id === 'content'")
    page.keyboard.press("End")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nAsk for the same interpreter each time.")
    tab_to(page, by_text("Save changes"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("revision 2")
    page.goto(f"/entries/{slug}/edit")
    tab_to(page, by_text("Submit for review"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Submitted for review")
    assert status_of(live_server, slug) == "in_review"

    editor_context = browser.new_context(base_url=base_url)
    editor = editor_context.new_page()
    console.attach(editor)
    sign_in(editor, "eddie")
    editor.goto(f"/entries/{slug}/revisions")
    tab_to(editor, by_text("Revision 2"))
    with editor.expect_navigation():
        editor.keyboard.press("Enter")
    expect(editor.locator("h1")).to_have_text("Revision 2 of “Booking an interpreter”")
    expect(
        editor.locator("ins", has_text="Ask for the same interpreter each time.")
    ).to_be_visible()
    tab_to(editor, by_text("Edit this entry"))
    with editor.expect_navigation():
        editor.keyboard.press("Enter")
    tab_to(editor, by_text("Publish"))
    with editor.expect_navigation():
        editor.keyboard.press("Enter")
    expect(editor.locator("#status")).to_contain_text("Published")
    assert status_of(live_server, slug) == "published"
    assert console.csp_violations() == []
    editor_context.close()
    context.close()


def test_writing_works_without_javascript(
    live_server: LiveServer, browser: Browser, base_url: str
) -> None:
    make_writer(live_server, "nojs")
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "nojs")
    page.goto("/write")
    page.get_by_label("Title").fill("Written without scripts")
    page.get_by_label("Text", exact=True).fill("Plain **bold** text.")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-area strong")).to_have_text("bold")
    expect(page.locator("#status")).to_contain_text("Nothing is saved yet")
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#status")).to_contain_text("Draft “Written without scripts” saved")
    context.close()


@pytest.fixture(scope="module")
def matrix(live_server: LiveServer) -> tuple[int, str]:
    """An editor-writer and an entry of theirs with two revisions (id, slug)."""
    user_id = make_writer(live_server, "matrix-writer", "editor")
    with live_server.app.app_context():
        viewer = Principal(kind="user", user_id=user_id, roles=frozenset({"member", "editor"}))
        entry = entries.create(
            data=EntryCreate(title="Captions in class", content="Ask for captions.\nEvery time."),
            viewer=viewer,
        )
        entries.update(
            entry_id=entry.id,
            data=EntryUpdate(content="Ask for captions early.\nEvery time.", version=entry.version),
            viewer=viewer,
        )
        return user_id, entry.slug


@pytest.fixture(scope="module")
def writer_page(
    browser: Browser, base_url: str, matrix: tuple[int, str], module_console: ConsoleLog
) -> Iterator[Page]:
    """One signed-in page reused across modes."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    module_console.attach(page)
    sign_in(page, "matrix-writer")
    yield page
    context.close()


@pytest.fixture(scope="module")
def module_console() -> ConsoleLog:
    """Console messages of the matrix page."""
    return ConsoleLog()


def writing_pages(page: Page, slug: str) -> Iterator[str]:
    """Visit each writing page state; yield its name once it is showing."""
    page.goto("/write")
    yield "write"
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    assert "There is a problem" in page.content()
    yield "write with errors"
    page.get_by_label("Text", exact=True).fill("## A heading\n\nSome *text* to preview.")
    expect(page.locator("#level-status")).to_contain_text("Preview updated", timeout=HTMX_WAIT)
    yield "write with live preview"
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    expect(page.locator("#status")).to_contain_text("Nothing is saved yet")
    yield "write after the Preview button"
    page.goto(f"/entries/{slug}/edit")
    yield "edit"
    page.evaluate("document.querySelector('#version').value = '1'")
    page.get_by_label("Text", exact=True).fill("My text, written meanwhile.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()
    assert "Someone else saved this entry first" in page.content()
    yield "conflict"
    page.goto(f"/entries/{slug}/revisions")
    yield "revisions"
    page.goto(f"/entries/{slug}/revisions/2")
    yield "revision diff"
    page.goto(f"/entries/{slug}/revisions/1")
    yield "first revision"


@pytest.mark.parametrize(("density", "contrast"), MODES, ids=MODE_IDS)
def test_writing_pages_pass_axe_in_every_mode(
    density: int,
    contrast: str,
    live_server: LiveServer,
    matrix: tuple[int, str],
    writer_page: Page,
    module_console: ConsoleLog,
) -> None:
    user_id, slug = matrix
    set_preferences(live_server, user_id, density, contrast)
    failures: list[str] = []
    for name in writing_pages(writer_page, slug):
        html = writer_page.locator("html")
        assert html.get_attribute("data-density") == str(density), name
        assert html.get_attribute("data-contrast") == contrast, name
        assert writer_page.locator("h1").count() == 1, name
        check_page(writer_page, f"{name} [d{density}-{contrast}]", failures)
        if SHOTS and density in (1, 3, 5) and (contrast == "normal" or density == 3):
            shot = Path(SHOTS) / f"{name.replace(' ', '-')}-d{density}-{contrast}.png"
            writer_page.screenshot(path=str(shot), full_page=True)
    assert not failures, "\n".join(failures)
    assert module_console.csp_violations() == []

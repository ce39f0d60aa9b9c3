"""The whole hub in one story, in a real browser: a newcomer registers and confirms their address
from the mail, writes an entry and submits it; an editor reviews the change and publishes it; an
anonymous reader finds it by searching as they type; an admin sees the newcomer's steps in the
audit log."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.e2e.mailbox import Mailbox
from tests.e2e.test_writing_pages import HTMX_WAIT, make_writer, status_of
from tests.modules.accounts.support import PASSWORD

NEWCOMER = "nell-newcomer"
TITLE = "Lipreading is guesswork"


def _register_and_confirm(page: Page, mailbox: Mailbox) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create account").click()
    page.get_by_label("Email address").fill(f"{NEWCOMER}@example.com")
    page.get_by_label("Username").fill(NEWCOMER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status").first).to_contain_text("Your account is ready")
    _, _, links = mailbox.latest_mail(to=f"{NEWCOMER}@example.com")
    (link,) = [link for link in links if "/account/verify?token=" in link]
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("status").first).to_contain_text("Your email address is confirmed")


def _write_and_submit(page: Page) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Write").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Text", exact=True).fill(
        "Only about a third of English speech sounds can be seen on the lips."
    )
    expect(page.locator("#level-status")).to_contain_text("Reading level", timeout=HTMX_WAIT)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Draft “{TITLE}” saved")
    found = re.search(r"/entries/([^/?#]+)$", page.url)
    assert found, page.url
    slug = found.group(1)
    # A second version, so the editor has a change to review.
    page.goto(f"/entries/{slug}/edit")
    text = page.get_by_label("Text", exact=True)
    text.press("Control+End")
    text.type("\n\nContext fills in the rest of what is said.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").first).to_contain_text("revision 2")
    # The status buttons are on the entry page itself.
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status").first).to_contain_text("Submitted for review")
    return slug


def _review_and_publish(page: Page, slug: str) -> None:
    page.goto(f"/entries/{slug}")
    page.get_by_role("link", name=re.compile("revisions", re.IGNORECASE)).first.click()
    page.get_by_role("link", name="Revision 2").click()
    added = page.locator("ins", has_text="Context fills in the rest of what is said.")
    expect(added).to_be_visible()
    page.goto(f"/entries/{slug}")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status").first).to_contain_text("Published")


def test_register_write_review_publish_find_and_audit(
    any_live_server: LiveServer, any_mailbox: Mailbox, browser: Browser, console: ConsoleLog
) -> None:
    """On SQLite and on PostgreSQL: the pages run the same services on both."""
    live_server, mailbox = any_live_server, any_mailbox
    make_writer(live_server, "ed-reviewer", "editor")
    make_writer(live_server, "ada-admin", "admin")
    contexts: list[BrowserContext] = []

    def new_context() -> tuple[BrowserContext, Page]:
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        console.attach(page)
        return context, page

    _, newcomer = new_context()
    _register_and_confirm(newcomer, mailbox)
    sign_in(newcomer, NEWCOMER)
    slug = _write_and_submit(newcomer)
    assert status_of(live_server, slug) == "in_review"

    _, editor = new_context()
    sign_in(editor, "ed-reviewer")
    _review_and_publish(editor, slug)
    assert status_of(live_server, slug) == "published"

    _, reader = new_context()
    reader.goto("/search")
    reader.get_by_label("Search text").press_sequentially("lipreading", delay=20)
    expect(reader.locator("#results-count")).to_have_text("1 result")
    reader.get_by_role("link", name=TITLE).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(reader.locator("article")).to_contain_text("Context fills in the rest of what is said.")

    _, admin = new_context()
    sign_in(admin, "ada-admin")
    admin.goto("/admin/audit")
    admin.get_by_label("Actor").fill(NEWCOMER)
    admin.get_by_role("button", name="Apply filters").click()
    trail = admin.get_by_role("table")
    for event in (
        "security.user_registered",
        "security.email_verified",
        "security.login_succeeded",
    ):
        expect(trail).to_contain_text(event)
    assert console.csp_violations() == []
    for context in contexts:
        context.close()

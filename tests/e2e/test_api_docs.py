"""The API docs page (Swagger UI at /api/docs): axe-clean in every mode, usable by keyboard.

The page follows the signed-in reader's stored preferences like every other page (anonymous
readers get the defaults); /api/ routes refuse undeclared query parameters, so the testing-only
`?_presentation=` override does not apply here and the matrix uses a signed-in reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.e2e.test_accessibility import MODE_IDS, MODES, check_page, set_preferences

DOCS = "/api/docs"
# An operation every instance has (accounts is a core module): the login route.
OPERATION = "#operations-auth-accounts_login_auth_login_post"
SEARCH_OPERATION = "#operations-search-knowledge_search_entries_search_get"


def open_docs(page: Page) -> None:
    """Open the docs page and wait until Swagger UI has rendered the operations."""
    page.goto(DOCS)
    expect(page.locator(".opblock").first).to_be_visible()
    # Our fixes run after rendering (static/js/api_docs.js marks the root when done).
    # expect(page.locator("#swagger-ui")).to_have_attribute("data-ready", "true")


def heading_levels(page: Page) -> list[tuple[int, str]]:
    """(level, name) of each heading in Chromium's own accessibility tree, in page order.

    Playwright's role selectors take h1-h6 levels from the tag and ignore `aria-level`, which
    browsers and screen readers honour; the tree is what assistive technology sees.
    """
    session = page.context.new_cdp_session(page)
    try:
        tree = session.send("Accessibility.getFullAXTree")
    finally:
        session.detach()
    found: list[tuple[int, str]] = []
    for node in tree["nodes"]:
        if node.get("ignored") or node.get("role", {}).get("value") != "heading":
            continue
        properties = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        found.append((int(properties["level"]), str(node.get("name", {}).get("value", ""))))
    return found


def expand_operation(page: Page) -> None:
    """Open one operation by its summary button and wait for its details."""
    operation = page.locator(OPERATION)
    operation.locator(".opblock-summary-control").click()
    expect(operation.locator(".opblock-body")).to_be_visible()
    expect(operation.locator(".responses-wrapper")).to_be_visible()


@pytest.fixture(scope="module")
def docs_reader(live_server: LiveServer) -> tuple[LiveServer, int]:
    """The signed-in reader whose stored preferences the matrix changes."""
    return live_server, live_server.make_user("docs-reader")


@pytest.fixture(scope="module")
def docs_console() -> ConsoleLog:
    """Console messages of the matrix's pages."""
    return ConsoleLog()


@pytest.fixture(scope="module")
def docs_pages(
    browser: Browser, base_url: str, docs_reader: tuple[LiveServer, int], docs_console: ConsoleLog
) -> Iterator[tuple[Page, Page]]:
    """One anonymous and one signed-in page, reused across modes."""
    contexts = [browser.new_context(base_url=base_url) for _ in range(2)]
    anonymous, signed_in = (context.new_page() for context in contexts)
    for page in (anonymous, signed_in):
        docs_console.attach(page)
    sign_in(signed_in, "docs-reader")
    yield anonymous, signed_in
    for context in contexts:
        context.close()


def test_anonymous_docs_page_passes_axe(
    docs_pages: tuple[Page, Page], docs_console: ConsoleLog
) -> None:
    anonymous, _ = docs_pages
    open_docs(anonymous)
    html = anonymous.locator("html")
    assert html.get_attribute("data-density") == "3"
    assert html.get_attribute("data-contrast") == "normal"
    # One h1 (the page's); Swagger UI's title is a level-2 heading under it.
    levels = heading_levels(anonymous)
    assert [name for level, name in levels if level == 1] == ["API documentation"]
    level, name = levels[1]
    assert level == 2
    assert name.startswith("VerseHub API")
    failures: list[str] = []
    check_page(anonymous, "api docs, collapsed", failures)
    expand_operation(anonymous)
    check_page(anonymous, "api docs, one operation open", failures)
    # "Try it out" turns the parameters into fields (the search route has selects and inputs).
    search = anonymous.locator(SEARCH_OPERATION)
    search.locator(".opblock-summary-control").click()
    search.get_by_role("button", name="Try it out").click()
    expect(search.get_by_role("combobox", name="status")).to_be_visible()
    check_page(anonymous, "api docs, trying out the search route", failures)
    assert not failures, "\n".join(failures)
    assert docs_console.csp_violations() == []


@pytest.mark.parametrize(("density", "contrast"), MODES, ids=MODE_IDS)
def test_docs_page_passes_axe_in_every_mode(
    density: int,
    contrast: str,
    docs_reader: tuple[LiveServer, int],
    docs_pages: tuple[Page, Page],
    docs_console: ConsoleLog,
) -> None:
    server, user_id = docs_reader
    _, page = docs_pages
    set_preferences(server, user_id, density, contrast)
    mode = f"d{density}-{contrast}"
    open_docs(page)
    html = page.locator("html")
    assert html.get_attribute("data-density") == str(density)
    assert html.get_attribute("data-contrast") == contrast
    failures: list[str] = []
    expand_operation(page)  # the open operation and every collapsed one in one run
    check_page(page, f"api docs, one operation open [{mode}]", failures)
    assert not failures, "\n".join(failures)
    assert docs_console.csp_violations() == []


def test_keyboard_reaches_an_operation_and_opens_it(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    _, page = new_context()
    open_docs(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    target = page.locator(f"{OPERATION} .opblock-summary-control")
    for _ in range(200):  # every focusable thing on the way is fine; the operation must come
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the login operation")
    # A visible focus indicator on the operation's button.
    outline = target.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline not in ("", "none")
    expect(target).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(target).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"{OPERATION} .opblock-body")).to_be_visible()
    assert console.csp_violations() == []

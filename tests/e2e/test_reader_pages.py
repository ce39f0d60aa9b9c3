"""The reader's pages in a real browser: search as you type, the entry's plain/full switch,
keyboard-only use, JavaScript off, and axe in every density x contrast mode."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ConsoleLog, LiveServer
from tests.e2e.test_accessibility import MODE_IDS, MODES, check_page
from tests.modules.accounts.support import make_user
from tests.modules.knowledge.support import HARD_TEXT, publish, write
from versehub.core.auth import Principal
from versehub.core.presentation import COOKIE, Presentation, _cookie_serializer
from versehub.extensions import db
from versehub.modules.knowledge.schemas import CategoryCreate
from versehub.modules.knowledge.service import categories

PLAIN = "Signs are words you make with your hands. People see them."
HARD_TITLE = "Linguistics of signed languages"


@pytest.fixture(scope="module")
def hub(live_server: LiveServer) -> dict[str, str]:
    """Published entries seeded through the knowledge service, one with a plain version."""
    app = live_server.app
    author_id = make_user(
        app, email="reader-author@example.com", username="reader-author", verified=True
    )
    editor_id = make_user(
        app,
        email="reader-editor@example.com",
        username="reader-editor",
        roles=("editor", "member"),
        verified=True,
    )
    author = Principal(kind="user", user_id=author_id, roles=frozenset({"member"}))
    editor = Principal(kind="user", user_id=editor_id, roles=frozenset({"editor", "member"}))
    with app.app_context():
        category = categories.create(
            data=CategoryCreate(name="Sign language studies", colour="#1f6feb"), viewer=editor
        )
        hard = write(
            author,
            HARD_TITLE,
            content=HARD_TEXT,
            plain_language=PLAIN,
            category=category.slug,
            tags=["grammar"],
            summary="How signed languages work, in depth.",
        )
        publish(hard, editor)
        publish(write(author, "Captions on every video", tags=["captions"]), editor)
        db.session.commit()
        return {"slug": hard.slug, "category": category.slug}


def display_cookie(live_server: LiveServer, density: int, contrast: str) -> dict[str, Any]:
    """The signed display cookie an anonymous reader gets for these choices."""
    presentation = Presentation(
        density=density, contrast="high" if contrast == "high" else "normal"
    )
    with live_server.app.test_request_context():
        value = _cookie_serializer().dumps(asdict(presentation))
    return {"name": COOKIE, "value": value, "url": live_server.url}


def test_anonymous_reader_searches_as_they_type_and_switches_texts(
    live_server: LiveServer,
    hub: dict[str, str],
    new_context: Callable[[], Any],
    console: ConsoleLog,
) -> None:
    context, page = new_context()
    context.add_cookies([display_cookie(live_server, 1, "high")])
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-density", "1")
    expect(html).to_have_attribute("data-contrast", "high")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    page.evaluate("window.samePage = true")  # lost if the browser loads another page
    box = page.get_by_label("Search text")
    box.press_sequentially("linguistics", delay=20)
    count = page.locator("#results-count")
    expect(count).to_have_text("1 result")
    expect(count).to_have_attribute("role", "status")
    # The pushed address is the one the form would load (empty filters included).
    expect(page).to_have_url(re.compile(r"/search\?q=linguistics(&|$)"))
    expect(box).to_be_focused()
    assert page.evaluate("window.samePage") is True
    expect(page.locator("#results mark").first).to_have_text("Linguistics", ignore_case=True)

    page.get_by_role("link", name=HARD_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HARD_TITLE)
    expect(page.locator("#entry-text")).to_contain_text(PLAIN)
    page.get_by_role("link", name="Show the full text").click()
    expect(page.locator("#entry-text")).to_contain_text("Notwithstanding")
    expect(page.locator("#entry-text")).not_to_contain_text(PLAIN)
    expect(page).to_have_url(f"{live_server.url}/entries/{hub['slug']}?text=full")
    expect(page.get_by_role("status").first).to_contain_text("Showing the full text")
    page.get_by_role("link", name="Show the plain-language version").click()
    expect(page.locator("#entry-text")).to_contain_text(PLAIN)
    assert console.csp_violations() == []


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_search_and_reading(
    live_server: LiveServer, hub: dict[str, str], new_context: Callable[[], Any]
) -> None:
    _, page = new_context()
    page.goto("/search")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, "#search-q")
    page.keyboard.type("captions")
    expect(page.locator("#results-count")).to_have_text("1 result")
    tab_to(page, "#results a[href^='/entries/']")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Captions on every video")

    page.goto(f"/entries/{hub['slug']}")
    tab_to(page, "#text-switch")
    page.keyboard.press("Enter")
    expect(page.locator("#entry-text")).to_contain_text("Notwithstanding")
    expect(page.locator("#text-switch")).to_be_focused()  # focus stays on the switch
    page.keyboard.press("Enter")
    expect(page.locator("#entry-text")).to_contain_text(PLAIN)


def test_search_and_switch_work_without_javascript(
    browser: Browser, base_url: str, hub: dict[str, str]
) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/search")
        page.get_by_label("Search text").fill("captions")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"/search\?q=captions(&|$)"))
        expect(page.locator("#results-count")).to_have_text("1 result")
        page.goto(f"/entries/{hub['slug']}")
        page.get_by_role("link", name="Show the full text").click()
        expect(page).to_have_url(f"{base_url}/entries/{hub['slug']}?text=full")
        expect(page.locator("#entry-text")).to_contain_text("Notwithstanding")
    finally:
        context.close()


def reader_pages(page: Page, mode: str, hub: dict[str, str]) -> Iterator[str]:
    """Visit each reader page state in `mode`; yield its name once it is showing."""
    query = f"_presentation={mode}"
    page.goto(f"/?{query}")
    yield "home"
    page.goto(f"/search?{query}")
    yield "search, empty"
    page.get_by_label("Search text").fill("sign")
    expect(page.locator("#results-count")).to_contain_text("result")
    yield "search, results swapped in"
    page.goto(f"/search?q=%3Cb%3Ex&category=nope&level=9&{query}")
    yield "search with problems"
    page.goto(f"/entries/{hub['slug']}?{query}")
    yield "entry, plain version"
    page.goto(f"/entries/{hub['slug']}?text=full&{query}")
    yield "entry, full text"
    page.goto(f"/categories?{query}")
    yield "categories"
    page.goto(f"/categories/{hub['category']}?{query}")
    yield "category"
    page.goto(f"/tags/grammar?{query}")
    yield "tag"
    page.goto(f"/entries/no-such-entry?{query}")
    yield "entry not found"


@pytest.fixture(scope="module")
def matrix_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """One anonymous page reused across the modes."""
    context = browser.new_context(base_url=base_url)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("density", "contrast"), MODES, ids=MODE_IDS)
def test_reader_pages_pass_axe_in_every_mode(
    density: int, contrast: str, hub: dict[str, str], matrix_page: Page
) -> None:
    failures: list[str] = []
    mode = f"d{density}-{contrast}"
    for name in reader_pages(matrix_page, mode, hub):
        html = matrix_page.locator("html")
        assert html.get_attribute("data-density") == str(density), name
        assert html.get_attribute("data-contrast") == contrast, name
        check_page(matrix_page, f"{name} [{mode}]", failures)
    assert not failures, "\n".join(failures)

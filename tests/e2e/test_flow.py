"""A person's path through the account pages, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.modules.accounts.support import PASSWORD


def computed(page: Page, selector: str, prop: str) -> str:
    """A computed CSS property of the first element matching `selector`."""
    value: str = page.evaluate(
        "([sel, prop]) => getComputedStyle(document.querySelector(sel)).getPropertyValue(prop)",
        [selector, prop],
    )
    return value.strip()


def test_register_sign_in_prefer_and_sign_out_everywhere(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    _, page = new_context()
    page.goto("/account/register")
    page.get_by_label("Email address").fill("flow@example.com")
    page.get_by_label("Username").fill("flow")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{live_server.url}/account/login")
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")

    sign_in(page, "flow@example.com")
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    assert page.locator("html").get_attribute("data-density") == "3"
    normal_size = computed(page, "body", "font-size")
    assert computed(page, "html", "background-color") == "rgb(255, 255, 255)"
    assert computed(page, ".button", "transition-duration") != "0s"

    page.get_by_role("link", name="Preferences", exact=True).click()
    page.get_by_role("group", name="Visual density").get_by_label("5").check()
    page.get_by_label("High contrast colours").check()
    page.get_by_label("Reduce motion").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Preferences saved")
    html = page.locator("html")
    expect(html).to_have_attribute("data-density", "5")
    expect(html).to_have_attribute("data-contrast", "high")
    expect(html).to_have_attribute("data-motion", "reduce")
    assert computed(page, "html", "background-color") == "rgb(0, 0, 0)"
    assert computed(page, "body", "font-size") != normal_size
    assert computed(page, ".button", "transition-duration") == "0s"
    page.goto("/account/")
    expect(page.get_by_text("Member since")).to_be_visible()  # density 5 shows the details

    _, phone = new_context()
    sign_in(phone, "flow")
    expect(phone).to_have_url(f"{live_server.url}/account/")

    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page).to_have_url(f"{live_server.url}/account/login")
    expect(page.get_by_role("status")).to_contain_text("signed out on every device")
    phone.goto("/account/")
    expect(phone).to_have_url(f"{live_server.url}/account/login?next=%2Faccount%2F")
    assert console.csp_violations() == []


def test_error_summary_takes_focus_and_links_to_fields(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    _, page = new_context()
    page.goto("/account/login")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Email or username")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.goto("/account/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert computed(page, ".skip-link", "outline-style") == "solid"
    assert console.csp_violations() == []

"""The account pages of issue 13 in a real browser: two-factor, API keys, display settings.

axe runs on these pages in every mode in test_accessibility.py (walks in account_walks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.e2e.account_walks import click_and_wait, setup_key
from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.e2e.test_flow import computed
from tests.modules.accounts.support import PASSWORD
from versehub.core.db import utcnow

CLIPBOARD = ["clipboard-read", "clipboard-write"]


def test_two_factor_set_up_end_to_end(
    live_server: LiveServer, browser: Browser, base_url: str, console: ConsoleLog
) -> None:
    live_server.make_user("tfa-person")
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    context.grant_permissions(CLIPBOARD, origin=base_url)
    page = context.new_page()
    console.attach(page)
    sign_in(page, "tfa-person")
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    click_and_wait(page, "Set up two-factor sign-in")
    qr = page.get_by_role("img", name="QR code for adding your VerseHub account")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.naturalWidth") > 0  # the CSP let the image load

    authenticator = pyotp.TOTP(setup_key(page))  # typed from the text beside the QR code
    page.get_by_label("Code from your authenticator app").fill(authenticator.now())
    page.get_by_label("Your password").fill(PASSWORD)
    click_and_wait(page, "Turn on two-factor sign-in")
    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is on")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("button", name="Copy the codes").click()
    expect(page.get_by_role("status")).to_contain_text("Recovery codes copied.")
    assert page.evaluate("navigator.clipboard.readText()").split("\n") == codes
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as a text file").click()
    assert download.value.suggested_filename == "versehub-recovery-codes.txt"
    text = Path(download.value.path()).read_text()
    assert all(code in text for code in codes)

    # Signing in now needs a second factor; a recovery code works once.
    page.get_by_role("button", name="Sign out", exact=True).first.click()
    sign_in(page, "tfa-person")
    expect(page.get_by_label("One-time code")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill(codes[1])
    click_and_wait(page, "Sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    page.goto("/account/two-factor")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[2])
    click_and_wait(page, "Turn off two-factor sign-in")
    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is off")
    assert console.csp_violations() == []
    context.close()


def test_api_key_is_shown_once_then_revoked(
    live_server: LiveServer, new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    live_server.make_user("key-person", email_verified_at=utcnow())
    context, page = new_context()
    context.grant_permissions(CLIPBOARD, origin=live_server.url)
    sign_in(page, "key-person")
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Caption robot")
    page.get_by_label("entries:read").check()
    click_and_wait(page, "Create key")
    expect(page.get_by_text("It is shown only this once")).to_be_visible()
    key = page.locator("[data-api-key]").inner_text()
    page.get_by_role("button", name="Copy the key").click()
    expect(page.get_by_role("status")).to_contain_text("API key copied.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    api = page.request.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert api.status == 200

    page.get_by_role("link", name="back to API keys").click()
    expect(page.get_by_role("cell", name="Caption robot", exact=True)).to_be_visible()
    assert key not in page.content()  # never shown again
    page.get_by_role("link", name="Revoke Caption robot").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke the API key")
    click_and_wait(page, "Revoke the key")
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    assert page.request.get("/api/v1/auth/me", headers={"X-API-Key": key}).status == 401
    assert console.csp_violations() == []


def test_anonymous_visitor_chooses_density_1_and_high_contrast(
    new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    _, page = new_context()
    page.goto("/account/login")
    page.get_by_role("link", name="Display settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Display settings")
    page.get_by_role("group", name="Visual density").get_by_label("1").check()
    page.get_by_label("High contrast colours").check()
    page.get_by_label("Preferred sign language").select_option(label="British Sign Language (BSL)")
    click_and_wait(page, "Save display settings")
    expect(page.get_by_role("status")).to_contain_text("Display settings saved in this browser")

    page.get_by_role("link", name="Create account").click()
    html = page.locator("html")
    expect(html).to_have_attribute("data-density", "1")
    expect(html).to_have_attribute("data-contrast", "high")
    assert computed(page, "html", "background-color") == "rgb(0, 0, 0)"
    page.goto("/account/preferences")
    expect(page.get_by_label("Preferred sign language")).to_have_value("bfi")
    click_and_wait(page, "Reset to the defaults")
    expect(page.locator("html")).to_have_attribute("data-density", "3")
    assert console.csp_violations() == []


def test_live_preview_follows_the_form_before_saving(
    new_context: Callable[[], Any], console: ConsoleLog
) -> None:
    _, page = new_context()
    page.goto("/account/preferences")
    preview = page.locator("[data-preview]")
    expect(preview).to_have_attribute("data-density", "3")
    standard = computed(page, ".preview-sample", "font-size")
    page.get_by_role("group", name="Visual density").get_by_label("1").check()
    expect(preview).to_have_attribute("data-density", "1")
    assert float(computed(page, ".preview-sample", "font-size")[:-2]) > float(standard[:-2])
    page.get_by_label("High contrast colours").check()
    expect(preview).to_have_attribute("data-contrast", "high")
    assert computed(page, ".preview-sample", "background-color") == "rgb(0, 0, 0)"
    page.get_by_label("Reduce motion").check()
    expect(preview).to_have_attribute("data-motion", "reduce")
    expect(preview).to_contain_text("Density 1 · high contrast · motion reduced")
    assert computed(page, ".preview-dot", "transition-duration") == "0s"
    # Only the sample changed: the page keeps its settings until they are saved.
    expect(page.locator("html")).to_have_attribute("data-density", "3")
    assert computed(page, "html", "background-color") == "rgb(255, 255, 255)"
    assert console.csp_violations() == []


def _tab_to(page: Page, test: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {test}; }})()"):
            return
    raise AssertionError(f"never reached by Tab: {test}")


def test_display_settings_by_keyboard_only(new_context: Callable[[], Any]) -> None:
    _, page = new_context()
    page.goto("/account/preferences")
    _tab_to(page, "el.name === 'visual_density'")
    page.keyboard.press("ArrowLeft")  # 3 → 2: arrows move within the radio group
    page.keyboard.press("ArrowLeft")
    expect(page.locator("[data-preview]")).to_have_attribute("data-density", "1")
    _tab_to(page, "el.id === 'high_contrast'")
    page.keyboard.press("Space")
    expect(page.locator("[data-preview]")).to_have_attribute("data-contrast", "high")
    _tab_to(page, "el.type === 'submit'")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused button shows where the keyboard is
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("data-density", "1")
    expect(page.locator("html")).to_have_attribute("data-contrast", "high")
    expect(page.get_by_role("status")).to_contain_text("Display settings saved")


def test_pages_work_without_javascript(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/account/preferences")
    page.get_by_role("group", name="Visual density").get_by_label("5").check()
    click_and_wait(page, "Save display settings")
    expect(page.locator("html")).to_have_attribute("data-density", "5")
    # The saved page shows the result in the preview too.
    expect(page.locator("[data-preview]")).to_have_attribute("data-density", "5")
    page.goto("/account/forgot-password")
    page.get_by_label("Email address").fill("someone@example.com")
    click_and_wait(page, "Send the link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    context.close()

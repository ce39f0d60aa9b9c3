"""axe-core (WCAG 2.2 AA tags) on every account page, in every density x contrast mode.

The pages of issue 13 (display settings, forgot password, two-factor, API keys) are walked by
tests/e2e/account_walks.py.

Signed-in pages render with the reader's stored preferences (the real path); anonymous pages
use the testing-only `?_presentation=` override to reach the same modes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.e2e.account_walks import (
    add_bad_option,
    api_key_pages,
    click_and_wait,
    two_factor_pages,
)
from tests.e2e.conftest import OTP_USER, ConsoleLog, LiveServer, sign_in
from tests.modules.accounts.support import PASSWORD
from versehub.core.db import utcnow
from versehub.extensions import db
from versehub.modules.accounts.models import User

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
MODES = [(density, contrast) for density in range(1, 6) for contrast in ("normal", "high")]
MODE_IDS = [f"d{d}-{c}" for d, c in MODES]
_axe = Axe()


def check_page(page: Page, name: str, failures: list[str]) -> None:
    """Run axe on the page as it is now; collect a readable report of any violation."""
    # Axe.run injects axe with page.evaluate, which works under our strict CSP (no bypass_csp).
    results = _axe.run(page, options=AXE_OPTIONS)
    if results.violations_count:
        failures.append(f"--- {name} ({page.url})\n{results.generate_report()}")


def submit_with_query(page: Page, query: str, *, drop_csrf: bool = False) -> None:
    """Submit the page's main form with `query` added to its action (and maybe no CSRF token)."""
    script = """([query, dropCsrf]) => {
        const form = document.querySelector("form.form");
        form.action = form.action + (form.action.includes("?") ? "&" : "?") + query;
        if (dropCsrf) { form.querySelector("[name=csrf_token]").remove(); }
    }"""
    page.evaluate(script, [query, drop_csrf])
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def anonymous_pages(page: Page, mode: str) -> Iterator[str]:
    """Visit each anonymous page state in `mode`; yield its name once it is showing."""
    query = f"_presentation={mode}"
    page.goto(f"/account/login?{query}")
    yield "login"
    submit_with_query(page, query)
    yield "login with errors"
    page.get_by_label("Email or username").fill(OTP_USER)
    page.get_by_label("Password").fill(PASSWORD)
    submit_with_query(page, query)
    assert page.get_by_label("One-time code").is_visible()
    yield "login asking for the one-time code"
    page.goto(f"/account/register?{query}")
    yield "register"
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Username").fill("x")
    page.get_by_label("Password").fill("short")
    submit_with_query(page, query)
    yield "register with errors"
    page.goto(f"/account/register?{query}")
    submit_with_query(page, query, drop_csrf=True)
    assert "security token" in page.content()
    yield "CSRF error page"
    page.goto(f"/account/verify?token=not-a-real-token&{query}")
    yield "verify link"
    submit_with_query(page, query)
    assert "not valid" in page.content()
    yield "verify link that is not valid"
    page.goto(f"/account/reset?token=not-a-real-token&{query}")
    yield "reset link"
    page.get_by_label("New password").fill("short")
    submit_with_query(page, query)
    yield "reset link with errors"
    page.goto(f"/account/preferences?{query}")
    yield "display settings"
    add_bad_option(page, "<b>Klingon</b>")
    submit_with_query(page, query)
    assert "Choose a sign language from the list" in page.content()
    yield "display settings with errors"
    page.goto(f"/account/forgot-password?{query}")
    yield "forgot password"
    page.get_by_label("Email address").fill("not an address")
    submit_with_query(page, query)
    yield "forgot password with errors"
    page.get_by_label("Email address").fill("someone@example.com")
    submit_with_query(page, query)
    assert "Check your email" in page.content()
    yield "forgot password: check your email"


def reader_pages(page: Page, mode: str) -> Iterator[str]:
    """Visit each signed-in page state; yield its name once it is showing."""
    page.goto("/account/")
    yield "overview"
    page.goto("/account/preferences")
    yield "preferences"
    add_bad_option(page, "not a code!")
    click_and_wait(page, "Save preferences")
    assert "There is a problem" in page.content()
    yield "preferences with errors"
    yield from two_factor_pages(page)
    yield from api_key_pages(page, f"Key {mode}")
    page.goto("/account/no-such-page")
    yield "not found page"


@pytest.fixture(scope="module")
def reader(live_server: LiveServer) -> tuple[LiveServer, int]:
    """The signed-in reader whose stored preferences the matrix changes."""
    # Verified: creating API keys needs a confirmed email address.
    return live_server, live_server.make_user("matrix-reader", email_verified_at=utcnow())


@pytest.fixture(scope="module")
def module_console() -> ConsoleLog:
    """Console messages of the matrix's two pages."""
    return ConsoleLog()


@pytest.fixture(scope="module")
def pages(
    browser: Browser, base_url: str, reader: tuple[LiveServer, int], module_console: ConsoleLog
) -> Iterator[tuple[Page, Page]]:
    """One anonymous and one signed-in page, reused across modes (one browser, two contexts)."""
    contexts = [browser.new_context(base_url=base_url) for _ in range(2)]
    anonymous, signed_in = (context.new_page() for context in contexts)
    for page in (anonymous, signed_in):
        module_console.attach(page)
    sign_in(signed_in, "matrix-reader")
    yield anonymous, signed_in
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def otp_account(live_server: LiveServer) -> None:
    """The account the stand-in second factor asks a code of."""
    live_server.make_user(OTP_USER)


def set_preferences(server: LiveServer, user_id: int, density: int, contrast: str) -> None:
    """Store the reader's preferences (the pages read them on every request)."""
    with server.app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.visual_density = density
        user.high_contrast = contrast == "high"
        db.session.commit()


@pytest.mark.parametrize(("density", "contrast"), MODES, ids=MODE_IDS)
def test_every_page_passes_axe_in_every_mode(
    density: int,
    contrast: str,
    reader: tuple[LiveServer, int],
    otp_account: None,
    pages: tuple[Page, Page],
    module_console: ConsoleLog,
) -> None:
    server, user_id = reader
    failures: list[str] = []
    anonymous, signed_in = pages
    mode = f"d{density}-{contrast}"
    for name in anonymous_pages(anonymous, mode):
        html = anonymous.locator("html")
        assert html.get_attribute("data-density") == str(density), name
        assert html.get_attribute("data-contrast") == contrast, name
        check_page(anonymous, f"{name} [{mode}]", failures)

    set_preferences(server, user_id, density, contrast)
    for name in reader_pages(signed_in, mode):
        html = signed_in.locator("html")
        # Real preference-driven rendering: nothing in the URL, only the stored preferences.
        assert html.get_attribute("data-density") == str(density), name
        assert html.get_attribute("data-contrast") == contrast, name
        assert html.get_attribute("data-motion") == "full", name
        check_page(signed_in, f"{name} [{mode}]", failures)

    assert not failures, "\n".join(failures)
    assert module_console.csp_violations() == []


def test_axe_catches_a_known_violation(pages: tuple[Page, Page]) -> None:
    """Guard against a silently broken checker: an unlabelled field must be reported."""
    anonymous, _ = pages
    anonymous.goto("/account/login")
    anonymous.evaluate("document.querySelector('label[for=login]').remove()")
    failures: list[str] = []
    check_page(anonymous, "login without a label", failures)
    assert failures
    assert "label" in failures[0]

"""Walks through the signed-in account pages of issue 13, yielding at each state worth checking.

test_accessibility.py runs axe at every yield in every mode (the anonymous pages are walked
there, with the testing-only presentation override). Every walk leaves the account as it found
it (2FA off), so the next mode starts from the same state, and never sends a wrong code the
service would count towards the lockout (the error states come from the form's own checks).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
from playwright.sync_api import Page

from tests.modules.accounts.support import PASSWORD


def click_and_wait(page: Page, button: str) -> None:
    """Press a button that submits a form, and wait for the page it answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def add_bad_option(page: Page, value: str) -> None:
    """Make the sign-language select send a value that is not listed (a forged form)."""
    page.evaluate(
        """(value) => {
            const select = document.getElementById("preferred_sign_language");
            select.add(new Option("Forged", value, true, true));
        }""",
        value,
    )


def setup_key(page: Page) -> str:
    """The key the set-up page shows as text (what a person would type into the app)."""
    return page.locator("#setup-key").inner_text().replace(" ", "")


def two_factor_pages(page: Page) -> Iterator[str]:
    """Set up two-factor sign-in, see the recovery codes, then turn it off again."""
    page.goto("/account/two-factor")
    yield "two-factor (off)"
    click_and_wait(page, "Set up two-factor sign-in")
    yield "two-factor set-up"
    click_and_wait(page, "Turn on two-factor sign-in")  # nothing typed: the form's own errors
    yield "two-factor set-up with errors"
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(setup_key(page)).now())
    page.get_by_label("Your password").fill(PASSWORD)
    click_and_wait(page, "Turn on two-factor sign-in")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    yield "recovery codes"
    page.goto("/account/two-factor")
    yield "two-factor (on)"
    click_and_wait(page, "Turn off two-factor sign-in")
    yield "two-factor turn off with errors"
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    click_and_wait(page, "Turn off two-factor sign-in")
    assert "Two-factor sign-in is off" in page.content()


def api_key_pages(page: Page, name: str) -> Iterator[str]:
    """Create a key, see it once, then revoke it after the confirm page."""
    page.goto("/account/api-keys")
    yield "API keys"
    click_and_wait(page, "Create key")
    yield "API keys with errors"
    page.get_by_label("Name").fill(name)
    page.get_by_label("entries:read").check()
    click_and_wait(page, "Create key")
    assert page.locator("[data-api-key]").inner_text().startswith("vh_")
    yield "new API key"
    page.goto("/account/api-keys")
    page.get_by_role("link", name=f"Revoke {name}").click()
    page.wait_for_load_state()
    yield "revoke API key"
    click_and_wait(page, "Revoke the key")
    assert "is revoked" in page.content()

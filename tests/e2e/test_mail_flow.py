"""Mail in browser flows: register, receive the verification mail, open its link, confirmed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ConsoleLog, LiveServer, sign_in
from tests.e2e.mailbox import Mailbox
from tests.modules.accounts.support import PASSWORD
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import verification
from versehub.modules.accounts.service.meta import RequestMeta

ADDRESS = "mail-flow@example.com"


def _verified(server: LiveServer, email: str) -> bool:
    with server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user is not None
        return user.email_verified_at is not None


def test_register_receive_the_mail_open_the_link_and_the_address_is_confirmed(
    live_server: LiveServer,
    mailbox: Mailbox,
    new_context: Callable[[], Any],
    console: ConsoleLog,
) -> None:
    _, page = new_context()
    page.goto("/account/register")
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_label("Username").fill("mail-flow")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    assert not _verified(live_server, ADDRESS)

    # Sent by the real job through core.mail, to the live server's own address.
    subject, text, links = mailbox.latest_mail(to=ADDRESS)
    assert subject == "Confirm your email address for VerseHub"
    (link,) = [link for link in links if "/account/verify?token=" in link]
    assert link.startswith(f"{live_server.url}/account/verify?token=")
    assert link in text

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    assert not _verified(live_server, ADDRESS)  # opening the link alone confirms nothing
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page).to_have_url(f"{live_server.url}/account/login")
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed")
    assert _verified(live_server, ADDRESS)

    # The link is spent: a second use says so on the page.
    page.goto(link)
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    sign_in(page, ADDRESS)
    expect(page).to_have_url(f"{live_server.url}/account/")
    assert console.csp_violations() == []


def test_latest_mail_waits_for_the_next_message(live_server: LiveServer, mailbox: Mailbox) -> None:
    """`after=` picks the mail an action sends, not an earlier one to the same address."""
    address = "resend@example.com"
    user_id = live_server.make_user("resend")  # a new account is sent the first mail
    first = mailbox.latest_mail(to=address)
    assert first.subject == "Confirm your email address for VerseHub"
    before = mailbox.count(to=address)
    assert before == 1
    with live_server.app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        assert verification.request_verification(user=user, meta=RequestMeta())
        db.session.commit()
    second = mailbox.latest_mail(to=address, after=before)
    assert second.subject == first.subject
    assert mailbox.count(to=address) == 2

"""The SMTP sink and helpers to read mails and the links in them."""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.core.jobs.helpers import wait_until
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import mail_tokens

LINK = re.compile(r"https?://\S+/account/(?:verify|reset)\?token=\S+")


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd's Controller in a thread, keeping what it receives."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        """Messages received so far."""
        with self._collector.lock:
            return list(self._collector.messages)

    def wait_for(self, count: int = 1) -> list[EmailMessage]:
        """Wait (bounded) until `count` messages arrived; returns them."""
        wait_until(lambda: len(self.messages) >= count, f"{count} mail(s) at the SMTP server")
        return self.messages


def text_of(message: EmailMessage) -> str:
    """The plain-text part."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    """The HTML part."""
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def link_in(text: str) -> str:
    """The one account link in a mail text."""
    links = set(LINK.findall(text))
    assert len(links) == 1, links
    return links.pop()


def token_of(link: str) -> str:
    """The token in an account link."""
    return parse_qs(urlsplit(link).query)["token"][0]


def run_job(app: Flask, task_name: str, *args: Any) -> Any:
    """Run a job in this process through the app's task class (app context, commit)."""
    result = app.extensions["celery"].tasks[task_name].apply(args=list(args), throw=True)
    return result.get()


def token_signed_at(
    app: Flask, purpose: mail_tokens.Purpose, user_id: int, *, seconds_ago: int
) -> str:
    """A genuine link token for `user_id`, signed `seconds_ago` seconds in the past."""

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        serializer = URLSafeTimedSerializer(
            app.extensions["versehub.settings"].secret_key.get_secret_value(),
            salt=mail_tokens.SALTS[purpose],
            signer=Past,
        )
        token = serializer.dumps({"u": user.id, "f": mail_tokens.fingerprint(purpose, user)})
        assert isinstance(token, str)
        return token

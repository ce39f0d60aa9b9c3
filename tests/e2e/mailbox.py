"""Mail the live server sends, read back in browser tests.

The e2e app has no SMTP server configured, so `core.mail.deliver` writes each message as an
`.eml` file under `instance/mail/` (the development delivery). Jobs only run while a worker
consumes the broker: the `mailbox` fixture (conftest) runs the app's embedded job worker for
the test, and `Mailbox.latest_mail` waits for the message and parses it.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple

from tests.core.jobs.helpers import wait_until
from versehub.core.mail import MAIL_FOLDER

# Links end at whitespace or at a closing bracket/quote that plain text might wrap them in.
LINK = re.compile(r"https?://[^\s<>\"')\]]+")


class ReceivedMail(NamedTuple):
    """One delivered message: its subject, plain-text part and the links in that text."""

    subject: str
    text: str
    links: list[str]


def _parse(path: Path) -> tuple[str, EmailMessage]:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return str(message["To"]), message


def _received(message: EmailMessage) -> ReceivedMail:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "a mail without a plain-text part"
    text = str(part.get_content())
    return ReceivedMail(subject=str(message["Subject"]), text=text, links=LINK.findall(text))


class Mailbox:
    """The messages written to one instance folder, oldest first."""

    def __init__(self, instance_path: Path) -> None:
        self.folder = instance_path / MAIL_FOLDER

    def messages(self, *, to: str) -> list[EmailMessage]:
        """Every message delivered to `to` so far (file names sort by delivery time)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            recipient, message = _parse(path)
            if recipient.lower() == to.lower():
                found.append(message)
        return found

    def count(self, *, to: str) -> int:
        """How many messages `to` has received."""
        return len(self.messages(to=to))

    def latest_mail(self, *, to: str, after: int = 0) -> ReceivedMail:
        """The newest message to `to`, waiting (bounded) until more than `after` have arrived.

        Pass `after=mailbox.count(to=...)` taken before an action to wait for the mail that
        action sends rather than an earlier one.
        """

        def arrived() -> list[EmailMessage] | None:
            found = self.messages(to=to)
            return found if len(found) > after else None

        messages = wait_until(
            arrived, f"mail number {after + 1} to {to} (is the job worker running? use `mailbox`)"
        )
        return _received(messages[-1])

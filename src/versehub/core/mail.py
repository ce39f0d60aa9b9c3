"""Outgoing mail: templated text + HTML messages, sent by SMTP or written to instance/mail.

Modules compose a `Mail` (usually from their `templates/<module>/mail/` files with
`render_mail`) and hand it to `deliver`, normally from a job. Without `smtp_host` messages are
written as `.eml` files under `instance/mail/` instead, so development needs no mail server.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from versehub.core.jobs.effects import effect_done, record_effect
from versehub.settings import Settings

log = structlog.get_logger(__name__)

MAIL_FOLDER = "mail"
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
ALREADY_SENT = "already-sent"


@dataclass(frozen=True)
class Mail:
    """One message to one recipient: a plain-text body and an HTML alternative."""

    to: str
    subject: str
    text: str
    html: str


class MailDeliveryError(Exception):
    """Sending failed; `transient` says whether trying again later can succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@lru_cache(maxsize=16)
def _templates(folder: str) -> Environment:
    # Autoescaping for .html only: the .txt part is plain text and must stay as written.
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_mail(folder: Path, name: str, *, to: str, subject: str, context: dict[str, Any]) -> Mail:
    """A `Mail` from `<folder>/<name>.txt` and `<folder>/<name>.html` rendered with `context`."""
    env = _templates(str(folder))
    values = {**context, "subject": subject}
    return Mail(
        to=to,
        subject=subject,
        text=env.get_template(f"{name}.txt").render(values),
        html=env.get_template(f"{name}.html").render(values),
    )


def build_message(mail: Mail, *, sender: str, now: datetime | None = None) -> EmailMessage:
    """The MIME message: multipart/alternative with the text part first (the fallback)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "versehub.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    message.set_content(mail.text, subtype="plain", charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message


def deliver(mail: Mail, *, settings: Settings, once_key: str | None = None) -> str:
    """Send `mail` by SMTP, or write it to instance/mail without `smtp_host`; returns where.

    With `once_key` (a job's, see `core.jobs.effects`) a mail already delivered under that key
    is not delivered again (`ALREADY_SENT`): a job redelivered after a crash sends once.
    Raises MailDeliveryError (transient for connection trouble and 4xx answers, permanent for
    5xx rejections).
    """
    if once_key is not None and effect_done(key=once_key):
        return ALREADY_SENT
    message = build_message(mail, sender=settings.mail_from)
    if not settings.smtp_host:
        where = str(write_eml(message, settings=settings))
    else:
        send_smtp(message, settings=settings)
        where = "smtp"
    if once_key is not None:
        record_effect(key=once_key)
    return where


def write_eml(message: EmailMessage, *, settings: Settings) -> Path:
    """Write the message to `instance/mail/<timestamp>-<id>.eml` (development delivery)."""
    folder = settings.instance_path / MAIL_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
    path.write_bytes(message.as_bytes())
    return path


def _connect(settings: Settings) -> smtplib.SMTP:
    host = settings.smtp_host or ""
    port = settings.smtp_port or DEFAULT_PORTS[settings.smtp_tls]
    timeout = settings.smtp_timeout
    if settings.smtp_tls == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if settings.smtp_tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def send_smtp(message: EmailMessage, *, settings: Settings) -> None:
    """Send by SMTP with the configured TLS mode and login; classify failures."""
    try:
        with _connect(settings) as smtp:
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailDeliveryError(
            f"recipient refused ({codes})", transient=all(400 <= c < 500 for c in codes)
        ) from None
    except smtplib.SMTPResponseException as exc:
        # 4xx: try again later (greylisting, full queue); 5xx: the server said no for good.
        raise MailDeliveryError(
            f"SMTP error {exc.smtp_code}", transient=exc.smtp_code < 500
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        # Refused connection, timeout, TLS failure, dropped connection: the server may be back.
        raise MailDeliveryError(
            f"SMTP unavailable ({type(exc).__name__})", transient=True
        ) from None
    if refused:
        raise MailDeliveryError("recipient refused", transient=False)

"""Account mails: links into the web app, queueing the send job, and delivering from the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import structlog
from celery import Celery
from flask import current_app

from versehub.core.errors import APIError
from versehub.core.jobs import TransientJobError
from versehub.core.jobs.effects import effect_key
from versehub.core.logging import Unredacted
from versehub.core.mail import ALREADY_SENT, Mail, MailDeliveryError, deliver, render_mail
from versehub.settings import Settings

log = structlog.get_logger(__name__)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "accounts" / "mail"
VERIFY_PAGE = "/account/verify"
RESET_PAGE = "/account/reset"


class MailRejectedError(Exception):
    """The mail server refused the message for good: the job fails (dead letter) at once."""


def settings() -> Settings:
    """The app's settings."""
    value: Settings = current_app.extensions["versehub.settings"]
    return value


def page_link(path: str, token: str) -> str:
    """An absolute link to a web page of the app carrying `token` in its query string."""
    return f"{settings().public_base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def enqueue(task_name: str, *args: Any) -> None:
    """Queue a mail job on this app's broker; SYS_SERVICE_UNAVAILABLE when it is down."""
    celery: Celery = current_app.extensions["celery"]
    try:
        celery.send_task(task_name, args=list(args))
    except Exception as exc:  # noqa: BLE001 - any broker failure; reported as unavailable
        log.error("mail_enqueue_failed", task_name=task_name, error_type=type(exc).__name__)
        raise APIError("SYS_SERVICE_UNAVAILABLE", "Mail cannot be sent right now") from None


def compose(name: str, *, to: str, subject: str, context: dict[str, Any]) -> Mail:
    """A mail from `templates/accounts/mail/<name>.txt|.html`."""
    return render_mail(
        TEMPLATES, name, to=to, subject=subject, context={"app_name": "VerseHub", **context}
    )


def send(mail: Mail, *, kind: str, user_id: int, link: str) -> str:
    """Deliver from a job; transient failures retry (TransientJobError), rejections do not."""
    config = settings()
    try:
        # Keyed by the job: a job redelivered after a worker died does not mail twice.
        where = deliver(mail, settings=config, once_key=effect_key("mail"))
    except MailDeliveryError as exc:
        if exc.transient:
            raise TransientJobError(str(exc)) from None
        raise MailRejectedError(str(exc)) from None
    if where == ALREADY_SENT:
        log.info("mail_already_sent", kind=kind, user_id=user_id)
    elif where == "smtp":
        log.info("mail_sent", kind=kind, user_id=user_id)
    elif config.env == "development":
        # Development only: the link and text in the console, so sign-up works without a
        # mail server. Elsewhere the log redaction keeps tokens out (`token=...` is scrubbed).
        log.info(
            "mail_written",
            kind=kind,
            user_id=user_id,
            path=where,
            link=Unredacted(link),
            text=Unredacted(mail.text),
        )
    else:
        log.info("mail_written", kind=kind, user_id=user_id, path=where)
    return where


def check_settings(config: Settings) -> None:
    """Warn at start-up, in production, about mail settings that would fail people quietly."""
    if not config.is_production:
        return
    if not config.smtp_host:
        log.warning(
            "mail_not_sent",
            hint="VERSEHUB_SMTP_HOST is unset: verification and reset mails are only written "
            "to instance/mail",
        )
    host = config.public_base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if host in {"127.0.0.1", "localhost", "::1", "[::1]"}:
        log.warning(
            "mail_links_point_at_localhost",
            hint="set VERSEHUB_PUBLIC_BASE_URL to the address people use",
        )
    if config.smtp_username and config.smtp_tls == "none":
        log.warning(
            "smtp_login_without_tls", hint="the SMTP password would cross the network in clear"
        )

"""Delivery: SMTP outages retry then dead-letter, rejections fail at once, development files."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from structlog.testing import capture_logs

from tests.core.jobs.helpers import wait_until
from tests.modules.accounts.mail.conftest import free_port
from tests.modules.accounts.mail.support import SmtpSink, link_in, run_job, text_of, token_of
from tests.modules.accounts.support import make_user, register
from versehub.core.jobs import start_embedded_worker
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db
from versehub.modules.accounts.service import password_reset, verification
from versehub.modules.accounts.service.mail import check_settings
from versehub.settings import Settings


def _dead_letters(app: Flask, task_name: str) -> list[DeadLetter]:
    with app.app_context():
        rows = db.session.scalars(select(DeadLetter).where(DeadLetter.task_name == task_name))
        return list(rows)


def test_smtp_down_retries_then_dead_letters(make_mail_app: Callable[..., Flask]) -> None:
    # Nothing listens on this port: every attempt is a refused connection.
    app = make_mail_app(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    make_user(app)
    start_embedded_worker(app, beat=False)
    client = app.test_client()
    response = client.post("/api/v1/auth/password-reset/request", json={"email": "ada@example.com"})
    assert response.status_code == 202  # the person got the answer; the job deals with SMTP

    (letter,) = wait_until(
        lambda: _dead_letters(app, password_reset.SEND_TASK), "the reset job is a dead letter"
    )
    assert letter.retries == 2  # job_max_retries in the test settings
    assert letter.error_type == "versehub.core.jobs.errors.TransientJobError"
    assert "SMTP unavailable" in letter.error_message
    assert letter.args[0] == "ada@example.com"
    assert "token" not in str(letter.args) + letter.error_message + letter.traceback
    # The registration mail met the same outage.
    wait_until(lambda: _dead_letters(app, verification.SEND_TASK), "the verification dead letter")


def test_rejected_mail_fails_without_retries(make_mail_app: Callable[..., Flask]) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session

    class Refuse:
        async def handle_RCPT(
            self,
            server: SMTP,
            session: Session,
            envelope: Envelope,
            address: str,
            options: list[str],
        ) -> str:
            return "550 5.1.1 No such mailbox"

    port = free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_mail_app(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
        start_embedded_worker(app, beat=False)
        make_user(app)
        (letter,) = wait_until(
            lambda: _dead_letters(app, verification.SEND_TASK), "the rejected mail's dead letter"
        )
    finally:
        controller.stop()
    assert letter.retries == 0
    assert letter.error_type.endswith("MailRejectedError")


def _eml_files(app: Flask) -> list[Path]:
    folder = Path(app.extensions["versehub.settings"].instance_path) / "mail"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _read_eml(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_development_writes_eml_files_and_logs_the_link(
    make_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(env="development", log_level="INFO")
    response = register(app.test_client())
    user_id = response.get_json()["data"]["user"]["id"]
    assert run_job(app, verification.SEND_TASK, user_id) != "smtp"

    (path,) = _eml_files(app)
    assert path.name.endswith(".eml")
    assert "-" in path.name
    message = _read_eml(path)
    assert message["To"] == "ada@example.com"
    link = link_in(text_of(message))
    logged = capsys.readouterr().err
    assert "mail_written" in logged
    assert link in logged  # development: the link is in the console, usable as is
    assert (
        app.test_client()
        .post("/api/v1/auth/verify-email", json={"token": token_of(link)})
        .status_code
        == 200
    )


def test_outside_development_the_log_never_has_the_token(
    make_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(log_level="INFO")  # testing: files, but no links in the log
    user_id = make_user(app)
    run_job(app, password_reset.SEND_TASK, "ada@example.com", None, None)
    run_job(app, verification.SEND_TASK, user_id)
    files = _eml_files(app)
    assert len(files) == 2
    logged = capsys.readouterr().err
    assert "mail_written" in logged
    for path in files:
        token = token_of(link_in(text_of(_read_eml(path))))
        assert token not in logged
        assert token.split(".")[0] not in logged


def test_production_warns_about_mail_that_cannot_reach_anyone() -> None:
    risky = Settings(env="production", smtp_username="mailer", smtp_tls="none")
    with capture_logs() as logs:
        check_settings(risky)
    assert {entry["event"] for entry in logs} == {
        "mail_not_sent",
        "mail_links_point_at_localhost",
        "smtp_login_without_tls",
    }
    fine = Settings(
        env="production", smtp_host="smtp.example.org", public_base_url="https://versehub.example"
    )
    with capture_logs() as logs:
        check_settings(fine)
        check_settings(Settings(env="development"))
    assert logs == []


@pytest.mark.parametrize("backend", ["smtp", "eml"])
def test_a_redelivered_mail_job_sends_once(
    make_mail_app: Callable[..., Flask], smtp: SmtpSink, backend: str
) -> None:
    # A worker killed after sending, before the broker saw the acknowledgement: the same job
    # (same id) runs again and must not mail the person a second time.
    smtp_settings = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_tls": "none"}
    app = make_mail_app(**(smtp_settings if backend == "smtp" else {}))
    user_id = make_user(app)

    def delivered() -> int:
        return len(smtp.messages) if backend == "smtp" else len(_eml_files(app))

    first = run_job_as(app, verification.SEND_TASK, "job-1", user_id)
    again = run_job_as(app, verification.SEND_TASK, "job-1", user_id)
    assert (first, again) == ("smtp" if backend == "smtp" else first, "already-sent")
    assert delivered() == 1
    # Another job (a new request for a link) is another mail.
    run_job_as(app, verification.SEND_TASK, "job-2", user_id)
    assert delivered() == 2


def run_job_as(app: Flask, task_name: str, job_id: str, *args: object) -> str:
    """Run a job in this process with a given job id, as a redelivery would."""
    task = app.extensions["celery"].tasks[task_name]
    return str(task.apply(args=list(args), task_id=job_id, throw=True).get())

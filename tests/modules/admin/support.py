"""Helpers of the admin page tests: signed-in clients, audit rows, dead letters."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.modules.accounts.web_support import csrf_token, web_login
from versehub.core.db import utcnow
from versehub.core.jobs.deadletters import record_dead_letter
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent

# A task every app registers (accounts' hourly purge), so a retried letter can be queued.
REAL_TASK = "accounts.purge_expired_tokens"


def signed_in(app: Flask, login: str) -> FlaskClient:
    """A new browser (client) signed in as `login` through the form."""
    client = app.test_client()
    answer = web_login(client, login)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None) -> TestResponse:
    """POST a form with the CSRF token a page gives this client, as a browser would."""
    token = csrf_token(client, "/account/")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def text(response: TestResponse) -> str:
    """The page as text."""
    return response.get_data(as_text=True)


def status_messages(client: FlaskClient, path: str) -> str:
    """The text of the #status region on the page at `path` (flash messages land there)."""
    page = text(client.get(path))
    match = re.search(r'<div id="status"[^>]*>(.*?)</div>', page, re.S)
    assert match, page[:500]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def audit_rows(app: Flask, event: str) -> list[AuditEvent]:
    """Audit events named `event`, oldest first (detached)."""
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def add_letter(app: Flask, *, task_name: str = REAL_TASK, days_ago: float = 0) -> int:
    """A dead letter that failed `days_ago` days ago; its id."""
    with app.app_context():
        letter = record_dead_letter(
            task_id=f"job-{task_name}-{days_ago}",
            task_name=task_name,
            args=[],
            kwargs={},
            retries=2,
            error=RuntimeError("it broke <b>badly</b>"),
            traceback="Traceback (most recent call last): ...",
        )
        letter.failed_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()
        return int(letter.id)

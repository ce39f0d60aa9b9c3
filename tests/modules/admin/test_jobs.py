"""The failed jobs page: dead letters listed, retried and purged, each after a confirmation."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.admin.support import add_letter, post, status_messages, text
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db


def letter(app: Flask, letter_id: int) -> DeadLetter | None:
    """The dead letter as stored now (detached), or None."""
    with app.app_context():
        found = db.session.get(DeadLetter, letter_id)
        if found is not None:
            db.session.expunge(found)
        return found


def test_failed_jobs_are_listed_with_task_error_and_time(app: Flask, admin: FlaskClient) -> None:
    assert "No failed jobs." in text(admin.get("/admin/jobs"))
    letter_id = add_letter(app)
    html = text(admin.get("/admin/jobs"))
    assert "Failed jobs: 1, newest first" in html
    assert "accounts.purge_expired_tokens" in html
    assert "RuntimeError</span>: it broke &lt;b&gt;badly&lt;/b&gt;" in html
    assert "<time datetime=" in html
    assert f'href="/admin/jobs/{letter_id}/retry"' in html
    assert "1</strong> failed job waiting" in text(admin.get("/admin/"))


def test_retrying_asks_first_then_queues_the_job(app: Flask, admin: FlaskClient) -> None:
    letter_id = add_letter(app)
    confirm = text(admin.get(f"/admin/jobs/{letter_id}/retry"))
    assert f"Retry failed job {letter_id}?" in confirm
    assert ">Retry job</button>" in confirm
    assert letter(app, letter_id).requeued_at is None  # type: ignore[union-attr]

    answer = post(admin, f"/admin/jobs/{letter_id}/retry")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/jobs"
    assert f"Failed job {letter_id} (accounts.purge_expired_tokens) queued again as job" in (
        status_messages(admin, "/admin/jobs")
    )
    assert letter(app, letter_id).requeued_at is not None  # type: ignore[union-attr]

    # Once retried, another retry needs the "again" button (force), as the CLI's --force.
    again = text(admin.get(f"/admin/jobs/{letter_id}/retry"))
    assert ">Retry again</button>" in again
    refused = post(admin, f"/admin/jobs/{letter_id}/retry")
    assert refused.status_code == 303
    assert "was not queued again" in status_messages(admin, "/admin/jobs")
    forced = post(admin, f"/admin/jobs/{letter_id}/retry", {"force": "1"})
    assert forced.status_code == 303
    assert "queued again as job" in status_messages(admin, "/admin/jobs")


def test_retrying_a_missing_failed_job(admin: FlaskClient) -> None:
    assert admin.get("/admin/jobs/999/retry").status_code == 404
    answer = post(admin, "/admin/jobs/999/retry")
    assert answer.status_code == 303
    assert "Failed job 999 is not there any more" in status_messages(admin, "/admin/jobs")


def test_retrying_a_task_this_app_does_not_have(app: Flask, admin: FlaskClient) -> None:
    letter_id = add_letter(app, task_name="gone.task")
    post(admin, f"/admin/jobs/{letter_id}/retry")
    assert "is not registered here" in status_messages(admin, "/admin/jobs")
    assert letter(app, letter_id).requeued_at is None  # type: ignore[union-attr]


def test_purging_old_ones_asks_first_and_keeps_recent_ones(app: Flask, admin: FlaskClient) -> None:
    old = add_letter(app, days_ago=40)
    recent = add_letter(app, days_ago=1)
    confirm = text(admin.get("/admin/jobs/purge?scope=older&days=30"))
    assert "This deletes <strong>1 failed job</strong>" in confirm
    assert "more than 30 days ago" in confirm
    assert letter(app, old) is not None

    answer = post(admin, "/admin/jobs/purge", {"scope": "older", "days": "30"})
    assert answer.status_code == 303
    assert "Deleted 1 failed job(s) that failed more than 30 day(s) ago." in status_messages(
        admin, "/admin/jobs"
    )
    assert letter(app, old) is None
    assert letter(app, recent) is not None


def test_purging_all(app: Flask, admin: FlaskClient) -> None:
    ids = [add_letter(app, days_ago=days) for days in (0, 3)]
    assert "This deletes <strong>2 failed jobs</strong>" in text(
        admin.get("/admin/jobs/purge?scope=all")
    )
    post(admin, "/admin/jobs/purge", {"scope": "all"})
    assert "Deleted 2 failed job(s)." in status_messages(admin, "/admin/jobs")
    assert [letter(app, i) for i in ids] == [None, None]


def test_purging_nothing_says_so(admin: FlaskClient) -> None:
    html = text(admin.get("/admin/jobs/purge?scope=older&days=5"))
    assert "There is nothing to delete" in html
    assert "<form" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("scope=older&days=soon", "Days must be a whole number"),
        ("scope=older&days=-3", "Days must be a whole number"),
        ("scope=older", "Days must be a whole number"),
        ("scope=everything", "Choose which failed jobs to delete"),
        ("", "Choose which failed jobs to delete"),
    ],
)
def test_garbage_purge_choices_get_a_clear_message(
    app: Flask, admin: FlaskClient, query: str, message: str
) -> None:
    add_letter(app)
    page = admin.get(f"/admin/jobs/purge?{query}")
    assert page.status_code == 422
    assert "There is a problem" in text(page)
    assert message in text(page)
    refused = post(admin, "/admin/jobs/purge", dict(p.split("=") for p in query.split("&") if p))
    assert refused.status_code == 303
    assert "Nothing was deleted" in status_messages(admin, "/admin/jobs")
    assert "Failed jobs: 1" in text(admin.get("/admin/jobs"))

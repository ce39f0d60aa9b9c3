"""`versehub jobs failed|retry|purge-failed` on real dead letters."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from tests.core.jobs import tasks
from tests.core.jobs.helpers import send, wait_until
from versehub.cli import cli
from versehub.core.db import utcnow
from versehub.core.jobs.deadletters import record_dead_letter
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db


def invoke(app: Flask, *args: str) -> Result:
    """Run a `versehub` command against `app` (the real command group, not `app.cli`)."""
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def add_letter(app: Flask, task_name: str, args: list[object], failed_days_ago: float = 0) -> int:
    with app.app_context():
        letter = record_dead_letter(
            task_id=f"job-{task_name}-{failed_days_ago}",
            task_name=task_name,
            args=args,
            kwargs={},
            retries=2,
            error=RuntimeError("it broke"),
            traceback="Traceback ...",
        )
        letter.failed_at = utcnow() - timedelta(days=failed_days_ago)
        db.session.commit()
        return int(letter.id)


def get_letter(app: Flask, letter_id: int) -> DeadLetter:
    with app.app_context():
        letter = db.session.get(DeadLetter, letter_id)
        assert letter is not None
        db.session.expunge(letter)
        return letter


def test_failed_with_no_dead_letters(jobs_app: Flask) -> None:
    result = invoke(jobs_app, "jobs", "failed")
    assert result.exit_code == 0
    assert result.output == "No failed jobs.\n"
    assert json.loads(invoke(jobs_app, "jobs", "failed", "--json").output) == []


def test_failed_lists_what_a_worker_dead_lettered(worker: Flask, runs: str) -> None:
    task_id = send(worker, tasks.always_transient, runs, "cli")
    with worker.app_context():
        wait_until(
            lambda: db.session.scalars(
                select(DeadLetter).where(DeadLetter.task_id == task_id)
            ).all(),
            "the dead letter",
        )
        db.session.rollback()

    table = invoke(worker, "jobs", "failed")
    assert table.exit_code == 0
    assert "tests.core.jobs.tasks.always_transient" in table.output
    assert "TransientJobError: still failing (cli) token=[REDACTED]" in table.output
    assert runs not in table.output  # arguments only in --json

    rows = json.loads(invoke(worker, "jobs", "failed", "--json").output)
    assert len(rows) == 1
    row = rows[0]
    assert row["task_id"] == task_id
    assert row["task_name"] == tasks.always_transient.name
    assert row["args"] == [runs, "cli"]
    assert row["kwargs"] == {}
    assert row["retries"] == 2
    assert row["error_type"] == "versehub.core.jobs.errors.TransientJobError"
    assert row["requeued_at"] is None
    assert "traceback" not in row


def test_failed_filters_and_limits(jobs_app: Flask) -> None:
    add_letter(jobs_app, "tests.a", [], failed_days_ago=2)
    newest_b = add_letter(jobs_app, "tests.b", [], failed_days_ago=0)
    add_letter(jobs_app, "tests.b", [], failed_days_ago=1)
    rows = json.loads(invoke(jobs_app, "jobs", "failed", "--json", "--limit", "2").output)
    assert [r["task_name"] for r in rows] == ["tests.b", "tests.b"]
    assert rows[0]["id"] == newest_b
    only_a = json.loads(invoke(jobs_app, "jobs", "failed", "--json", "--task", "tests.a").output)
    assert [r["task_name"] for r in only_a] == ["tests.a"]


def test_retry_requeues_the_job_once(worker: Flask, runs: str) -> None:
    letter_id = add_letter(worker, tasks.record.name, [runs, "again"])
    result = invoke(worker, "jobs", "retry", str(letter_id))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Re-queued dead letter {letter_id} ({tasks.record.name})")
    wait_until(lambda: "done again" in tasks.lines(runs), "the re-queued job to run")
    assert get_letter(worker, letter_id).requeued_at is not None

    # A second retry needs --force, so a job is not re-run by accident.
    refused = worker.test_cli_runner().invoke(cli, ["jobs", "retry", str(letter_id)])
    assert refused.exit_code == 1
    assert f"Dead letter {letter_id} was re-queued at" in refused.output
    forced = invoke(worker, "jobs", "retry", str(letter_id), "--force")
    assert forced.exit_code == 0
    wait_until(lambda: tasks.lines(runs).count("done again") == 2, "the forced re-run")


def test_retry_refuses_unknown_letters_and_tasks(jobs_app: Flask) -> None:
    missing = jobs_app.test_cli_runner().invoke(cli, ["jobs", "retry", "999"])
    assert missing.exit_code == 1
    assert "Dead letter 999 not found" in missing.output

    letter_id = add_letter(jobs_app, "tests.core.jobs.tasks.gone", [])
    unknown = jobs_app.test_cli_runner().invoke(cli, ["jobs", "retry", str(letter_id)])
    assert unknown.exit_code == 1
    assert "is not registered here" in unknown.output
    assert get_letter(jobs_app, letter_id).requeued_at is None


def test_purge_failed_deletes_only_old_letters(jobs_app: Flask) -> None:
    add_letter(jobs_app, "tests.old", [], failed_days_ago=40)
    recent = add_letter(jobs_app, "tests.recent", [], failed_days_ago=1)
    result = invoke(jobs_app, "jobs", "purge-failed", "--older-than", "30")
    assert result.exit_code == 0
    assert result.output == "Deleted 1 dead letter(s) older than 30 day(s).\n"
    rows = json.loads(invoke(jobs_app, "jobs", "failed", "--json").output)
    assert [r["id"] for r in rows] == [recent]


def test_purge_failed_needs_an_age(jobs_app: Flask) -> None:
    result = jobs_app.test_cli_runner().invoke(cli, ["jobs", "purge-failed"])
    assert result.exit_code == 2
    assert "--older-than" in result.output


def test_purge_failed_all_deletes_every_letter(jobs_app: Flask) -> None:
    add_letter(jobs_app, "tests.old", [], failed_days_ago=40)
    add_letter(jobs_app, "tests.recent", [], failed_days_ago=0)
    result = invoke(jobs_app, "jobs", "purge-failed", "--all")
    assert result.exit_code == 0
    assert result.output == "Deleted 2 dead letter(s).\n"
    assert json.loads(invoke(jobs_app, "jobs", "failed", "--json").output) == []


def test_purge_failed_takes_an_age_or_all_not_both(jobs_app: Flask) -> None:
    both = ["jobs", "purge-failed", "--all", "--older-than", "3"]
    result = jobs_app.test_cli_runner().invoke(cli, both)
    assert result.exit_code == 2
    assert "either --older-than DAYS or --all" in result.output

"""Commands: `versehub run`, `versehub worker` and `versehub jobs failed|retry|purge-failed`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, pass_script_info, with_appcontext
from flask.helpers import get_debug_flag

from versehub.core.errors import APIError
from versehub.core.jobs.deadletters import (
    import_spooled_letters,
    list_dead_letters,
    purge_dead_letters,
    requeue_dead_letter,
)
from versehub.core.jobs.models import DeadLetter
from versehub.core.jobs.schemas import DeadLetterOut
from versehub.core.jobs.serve import serve
from versehub.core.jobs.worker import run_worker
from versehub.core.logging import configure_logging
from versehub.core.schema import ensure_schema
from versehub.extensions import db
from versehub.settings import Settings, load_settings


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when code changes. Default: on in debug mode.",
)
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int, reload: bool | None) -> None:
    """Serve VerseHub (threaded) with the embedded job worker and beat unless jobs go to Redis."""
    settings = load_settings()
    # The reloader's parent never builds the app, so it sets up logging itself.
    configure_logging(level=settings.log_level, json=settings.use_json_logs)
    if reload is None:
        reload = settings.debug or get_debug_flag()
    if settings.env == "development" and "public_base_url" not in settings.model_fields_set:
        # Links in mails must reach this server, on the port it was really given.
        base_create_app = info.create_app
        overrides = {"public_base_url": _local_base_url(host, port)}
        if base_create_app is not None:
            info.create_app = lambda: base_create_app(overrides)

    def load_app() -> Flask:
        app = info.load_app()
        ensure_schema(app, upgrade=settings.auto_migrate and not settings.is_production)
        return app

    try:
        code = serve(load_app, host=host, port=port, reload=reload)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


def _local_base_url(host: str, port: int) -> str:
    # A wildcard address is not somewhere a browser can go: the machine itself is.
    if host in {"0.0.0.0", "", "::"}:  # noqa: S104 - reading the address, not binding to it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal in a URL
    return f"http://{host}:{port}"


@click.command("worker")
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker threads. Default: the worker_concurrency setting.",
)
@click.option(
    "--beat/--no-beat",
    default=False,
    help="Also run the periodic-job scheduler (in exactly one worker).",
)
@pass_script_info
def worker_command(info: ScriptInfo, concurrency: int | None, beat: bool) -> None:
    """Run a job worker until SIGINT/SIGTERM (the scaled-out path; any broker)."""
    app = info.load_app()
    # A worker never migrates (that is one release step, `versehub db upgrade`): jobs run on a
    # schema behind the code would fail one by one into dead letters, so refuse to start instead.
    ensure_schema(app, upgrade=False)
    try:
        code = run_worker(app, concurrency=concurrency, beat=beat)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@click.group("jobs")
def jobs_group() -> None:
    """Inspect, re-queue and purge jobs that failed for good (dead letters)."""


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _row(letter: DeadLetter) -> str:
    requeued = letter.requeued_at.strftime("%Y-%m-%d %H:%M:%S") if letter.requeued_at else "-"
    error = _one_line(f"{letter.error_type.rsplit('.', 1)[-1]}: {letter.error_message}", 60)
    return (
        f"{letter.id:<6} {letter.failed_at:%Y-%m-%d %H:%M:%S}  {letter.retries:>7}  "
        f"{requeued:<19}  {letter.task_name}\n{'':<6} {error}"
    )


@jobs_group.command("failed")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--task", "task_name", default=None, help="Only this task name.")
@click.option("--json", "as_json", is_flag=True, help="JSON (with arguments) instead of a table.")
@with_appcontext
def failed_command(limit: int, task_name: str | None, as_json: bool) -> None:
    """List dead letters, newest first (failure times in UTC); imports spooled ones first."""
    settings: Settings = current_app.extensions["versehub.settings"]
    # Letters spooled to files during a database outage belong in the list (and the table).
    problem = import_spooled_letters(instance_path=settings.instance_path)
    if problem is not None:
        click.echo(f"Spooled dead letters not imported yet ({problem}).", err=True)
    letters = list_dead_letters(limit=limit, task_name=task_name)
    if as_json:
        rows = [DeadLetterOut.model_validate(letter).model_dump(mode="json") for letter in letters]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not letters:
        click.echo("No failed jobs.")
        return
    click.echo(f"{'ID':<6} {'FAILED AT (UTC)':<19}  {'RETRIES':>7}  {'REQUEUED AT':<19}  TASK")
    for letter in letters:
        click.echo(_row(letter))


@jobs_group.command("retry")
@click.argument("letter_id", type=int)
@click.option("--force", is_flag=True, help="Re-queue even if it was re-queued before.")
@with_appcontext
def retry_command(letter_id: int, force: bool) -> None:
    """Queue a dead letter's job again (a new job id) and mark the letter re-queued."""
    try:
        letter, task_id = requeue_dead_letter(letter_id=letter_id, force=force)
        db.session.commit()
    except APIError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Re-queued dead letter {letter.id} ({letter.task_name}) as job {task_id}.")


@jobs_group.command("purge-failed")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    default=None,
    help="Delete dead letters that failed more than this many days ago.",
)
@click.option("--all", "everything", is_flag=True, help="Delete every dead letter.")
@with_appcontext
def purge_failed_command(days: int | None, everything: bool) -> None:
    """Delete old dead letters (--older-than DAYS), or all of them (--all)."""
    if (days is None) == (not everything):
        raise click.UsageError("give either --older-than DAYS or --all")
    older_than = None if everything else timedelta(days=days or 0)
    deleted = purge_dead_letters(older_than=older_than)
    db.session.commit()
    if everything:
        click.echo(f"Deleted {deleted} dead letter(s).")
    else:
        click.echo(f"Deleted {deleted} dead letter(s) older than {days} day(s).")


def register_commands(group: click.Group) -> None:
    """Add the job commands to the `versehub` group (`run` replaces Flask's own)."""
    for command in (run_command, worker_command, jobs_group):
        group.add_command(command)

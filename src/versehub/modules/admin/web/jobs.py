"""Failed jobs (dead letters): the list, retrying one, purging all or the old ones.

Retrying and purging are confirmed on a page of their own first (they work without
JavaScript, and a purge cannot be undone); both call the services `versehub jobs` uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from versehub.core.errors import APIError
from versehub.core.jobs.deadletters import (
    count_dead_letters,
    get_dead_letter,
    import_spooled_letters,
    page_dead_letters,
    purge_dead_letters,
    requeue_dead_letter,
)
from versehub.core.pages import render_page
from versehub.extensions import db
from versehub.modules.admin.web.blueprint import bp
from versehub.modules.admin.web.filters import PER_PAGE, Problems, page_arg

DAYS_MAX = 36_500


@bp.get("/jobs")
def list_jobs() -> ResponseReturnValue:
    """Dead letters, newest first (spooled ones imported first, as the CLI does)."""
    problems = Problems()
    page = page_arg(problems)
    settings = current_app.extensions["versehub.settings"]
    spool_problem = import_spooled_letters(instance_path=settings.instance_path)
    found = None if problems else page_dead_letters(page=page, per_page=PER_PAGE)
    return render_page(
        "admin/jobs.html",
        status=422 if problems else 200,
        found=found,
        problems=problems,
        spool_problem=spool_problem,
        purge={"scope": "older", "days": "30"},
    )


@bp.get("/jobs/<int:letter_id>/retry")
def confirm_retry(letter_id: int) -> ResponseReturnValue:
    """Ask before queueing a failed job again."""
    return render_page("admin/job_retry.html", letter=get_dead_letter(letter_id=letter_id))


@bp.post("/jobs/<int:letter_id>/retry")
def retry_job(letter_id: int) -> ResponseReturnValue:
    """Queue the failed job again with a new job id (as `versehub jobs retry`)."""
    try:
        letter, task_id = requeue_dead_letter(
            letter_id=letter_id, force=request.form.get("force") == "1"
        )
        db.session.commit()
    except APIError as exc:
        db.session.rollback()
        if exc.code == "RES_NOT_FOUND":
            flash(
                f"Failed job {letter_id} is not there any more (purged?): nothing queued.", "error"
            )
        elif exc.code == "RES_CONFLICT":
            flash(f"Failed job {letter_id} was not queued again: {exc.message}.", "error")
        else:
            raise
        return redirect(url_for("admin.list_jobs"), 303)
    flash(f"Failed job {letter.id} ({letter.task_name}) queued again as job {task_id}.", "success")
    return redirect(url_for("admin.list_jobs"), 303)


def _purge_choice(values: Mapping[str, str], problems: Problems) -> tuple[str, int | None]:
    """("all", None), or ("older", days) from the purge form."""
    scope = values.get("scope", "").strip()
    if scope == "all":
        return scope, None
    if scope != "older":
        problems.add("scope-older", "Choose which failed jobs to delete")
        return "older", None
    days = values.get("days", "").strip()
    if not days.isdigit() or int(days) > DAYS_MAX:
        problems.add("days", f"Days must be a whole number from 0 to {DAYS_MAX}")
        return scope, None
    return scope, int(days)


def _older_than(days: int | None) -> timedelta | None:
    return None if days is None else timedelta(days=days)


@bp.get("/jobs/purge")
def confirm_purge() -> ResponseReturnValue:
    """Say how many failed jobs a purge deletes, and ask before doing it."""
    problems = Problems()
    scope, days = _purge_choice(request.args, problems)
    if problems:
        return render_page(
            "admin/jobs.html",
            status=422,
            found=page_dead_letters(page=1, per_page=PER_PAGE),
            problems=problems,
            spool_problem=None,
            purge={"scope": scope, "days": request.args.get("days", "")[:20]},
        )
    count = count_dead_letters(older_than=_older_than(days))
    return render_page("admin/job_purge.html", scope=scope, days=days, count=count)


@bp.post("/jobs/purge")
def purge_jobs() -> ResponseReturnValue:
    """Delete every failed job, or those older than the days chosen (as `jobs purge-failed`)."""
    problems = Problems()
    scope, days = _purge_choice(request.form, problems)
    if problems:
        flash("Nothing was deleted: " + "; ".join(m for _, m in problems.items) + ".", "error")
        return redirect(url_for("admin.list_jobs"), 303)
    deleted = purge_dead_letters(older_than=_older_than(days))
    db.session.commit()
    which = "" if scope == "all" else f" that failed more than {days} day(s) ago"
    flash(f"Deleted {deleted} failed job(s){which}.", "success")
    return redirect(url_for("admin.list_jobs"), 303)

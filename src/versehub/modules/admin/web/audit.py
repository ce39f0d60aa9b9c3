"""The audit log with filters (event, actor, days) and pages; the results alone for HTMX."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from versehub.core.errors import APIError
from versehub.core.pages import is_htmx, render_page
from versehub.modules.accounts.service.audit_events import filterable_events
from versehub.modules.admin.service.audit import list_events, resolve_actor
from versehub.modules.admin.web.blueprint import bp
from versehub.modules.admin.web.filters import (
    PER_PAGE,
    Problems,
    choice_arg,
    date_arg,
    page_arg,
    text_arg,
)

FIELDS = ("event", "actor", "since", "until")


@bp.get("/audit")
def list_audit_events() -> ResponseReturnValue:
    """Security events, newest first, filtered by event, actor and a range of days (UTC)."""
    problems = Problems()
    events = filterable_events()
    event = choice_arg("event", "Event", events, problems)
    actor = text_arg("actor", "Actor", problems)
    since = date_arg("since", "From", problems)
    until = date_arg("until", "To", problems)
    page = page_arg(problems)
    found = None
    if not problems:
        try:
            found = list_events(
                page=page, per_page=PER_PAGE, event=event, actor=actor, since=since, until=until
            )
        except APIError as exc:
            if exc.code != "VAL_INVALID":
                raise
            problems.add_service_errors(exc, fields=FIELDS)
    elif actor:
        # Every problem in one round trip: an unknown actor too, not only the dates' format.
        try:
            resolve_actor(actor=actor)
        except APIError as exc:
            problems.add_service_errors(exc, fields=FIELDS)
    filters = {"event": event, "actor": actor, "since": since, "until": until}
    return render_page(
        "admin/audit.html",
        fragment={"audit-results": "admin/_audit_results.html"},
        status=422 if problems else 200,
        found=found,
        events=events,
        filters=filters,
        problems=problems,
        page_args={
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in filters.items()
            if value
        },
        is_htmx=is_htmx(),
    )

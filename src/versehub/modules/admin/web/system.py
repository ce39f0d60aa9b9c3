"""The admin overview and the modules page (their health, as `/health/ready` reports it)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from versehub.core.limits.state import current_limits
from versehub.core.pages import render_page
from versehub.modules.admin.service.modules import describe_system
from versehub.modules.admin.service.overview import get_overview
from versehub.modules.admin.web.blueprint import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    """Counts of users, entries, bans and failed jobs, with links to each admin page."""
    return render_page("admin/index.html", overview=get_overview(bans=current_limits().bans))


@bp.get("/modules")
def list_modules() -> ResponseReturnValue:
    """Every module: on or off, what it requires, and its health with details."""
    return render_page("admin/modules.html", system=describe_system())

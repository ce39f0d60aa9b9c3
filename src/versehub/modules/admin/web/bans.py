"""Rate-limit bans: the active ones, and lifting one (the same service as REST and the CLI)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from versehub.core.api import page_of
from versehub.core.auth import require_principal
from versehub.core.errors import APIError
from versehub.core.limits import service
from versehub.core.limits.state import current_limits
from versehub.core.pages import render_page
from versehub.modules.admin.web.blueprint import bp
from versehub.modules.admin.web.filters import PER_PAGE, Problems, page_arg

KEY_MAX = 200


@bp.get("/bans")
def list_bans() -> ResponseReturnValue:
    """Every active ban, soonest to end first, page by page."""
    problems = Problems()
    page = page_arg(problems)
    found = None
    if not problems:
        found = page_of(service.list_bans(bans=current_limits().bans), page=page, per_page=PER_PAGE)
    return render_page(
        "admin/bans.html", status=422 if problems else 200, found=found, problems=problems
    )


@bp.post("/bans/lift")
def lift_ban() -> ResponseReturnValue:
    """Lift one ban in every process (audited as security.unban)."""
    key = request.form.get("key", "").strip()
    principal = require_principal()
    if not key or len(key) > KEY_MAX or not key.startswith(("ip:", "user:", "key:")):
        flash("That is not a ban key (ip:…, user:… or key:…): nothing was lifted.", "error")
        return redirect(url_for("admin.list_bans"), 303)
    try:
        service.lift_ban(
            bans=current_limits().bans,
            key=key,
            actor=principal.rate_limit_key,
            actor_id=principal.user_id,
        )
    except APIError as exc:
        if exc.code != "RES_NOT_FOUND":
            raise
        flash(f"There is no active ban for {key} (it may have ended already).", "error")
        return redirect(url_for("admin.list_bans"), 303)
    flash(f"Ban of {key} lifted. It applies in every process within seconds.", "success")
    return redirect(url_for("admin.list_bans"), 303)

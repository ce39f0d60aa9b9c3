"""Admin REST endpoints: list and lift bans."""

from __future__ import annotations

from flask import Blueprint, Response

from versehub.core.auth import require_principal, require_role
from versehub.core.envelope import envelope, list_envelope
from versehub.core.limits import service
from versehub.core.limits.schemas import BanOut
from versehub.core.limits.state import current_limits

bp = Blueprint("limits_admin", __name__, url_prefix="/api/v1/admin/bans")


@bp.get("")
@require_role("admin")
def list_bans() -> Response:
    """Every active ban, soonest to end first."""
    bans = service.list_bans(bans=current_limits().bans)
    items = [BanOut.from_ban(ban).model_dump(mode="json") for ban in bans]
    return list_envelope(items, {"total": len(items), "next_cursor": None})


@bp.delete("/<key>")
@require_role("admin")
def lift_ban(key: str) -> Response:
    """Lift the ban of `key` (e.g. `ip:203.0.113.9`, `user:42`, `key:7`)."""
    principal = require_principal()
    ban = service.lift_ban(
        bans=current_limits().bans,
        key=key,
        actor=principal.rate_limit_key,
        actor_id=principal.user_id,
    )
    return envelope(BanOut.from_ban(ban).model_dump(mode="json"), message="Ban lifted")

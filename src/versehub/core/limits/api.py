"""Admin REST endpoints: list and lift bans (documented in the OpenAPI document)."""

from __future__ import annotations

from flask import Response
from flask_openapi3.models.tag import Tag

from versehub.core.api import PageQuery, api_blueprint, list_answer, page_of, validated
from versehub.core.auth import require_principal, require_role, require_scope
from versehub.core.envelope import envelope
from versehub.core.limits import service
from versehub.core.limits.schemas import BanList, BanOut, BanPath
from versehub.core.limits.state import current_limits
from versehub.core.openapi import Envelope

bp = api_blueprint(
    "limits_admin",
    __name__,
    url_prefix="/api/v1/admin/bans",
    tag=Tag(name="bans", description="Callers banned for repeated rate-limit violations (admins)."),
    authenticated=True,
)


@bp.get("", responses={200: Envelope[BanList]})
@require_role("admin")
@require_scope("admin")
@validated
def list_bans(query: PageQuery) -> Response:
    """Every active ban, soonest to end first."""
    bans = service.list_bans(bans=current_limits().bans)
    page = page_of(bans, page=query.page, per_page=query.per_page)
    return list_answer(page, lambda ban: BanOut.from_ban(ban).model_dump(mode="json"))


@bp.delete("/<key>", responses={200: Envelope[BanOut]})
@require_role("admin")
@require_scope("admin")
@validated
def lift_ban(path: BanPath) -> Response:
    """Lift the ban of `key` (e.g. `ip:203.0.113.9`, `user:42`, `key:7`) in every process."""
    principal = require_principal()
    ban = service.lift_ban(
        bans=current_limits().bans,
        key=path.key,
        actor=principal.rate_limit_key,
        actor_id=principal.user_id,
    )
    return envelope(BanOut.from_ban(ban).model_dump(mode="json"), message="Ban lifted")

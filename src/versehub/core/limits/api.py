"""Admin REST endpoints: list and lift bans (documented in the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Response
from pydantic import ValidationError

from versehub.core.auth import require_principal, require_role, require_scope
from versehub.core.envelope import envelope, list_envelope
from versehub.core.limits import service
from versehub.core.limits.schemas import BanList, BanOut, BanPath
from versehub.core.limits.state import current_limits
from versehub.core.openapi import Envelope, api_blueprint
from versehub.core.validation import invalid

bp = api_blueprint(
    "limits_admin",
    __name__,
    url_prefix="/api/v1/admin/bans",
    tag="bans",
    description="Callers banned for repeated rate-limit violations (admins).",
    authenticated=True,
)


def _ban_path(view: Callable[[BanPath], Response]) -> Callable[..., Response]:
    # Validated after the guards (flask-openapi3 would validate before them), so an anonymous
    # caller is told AUTH_REQUIRED rather than how to spell a key.
    @wraps(view)
    def wrapper(**kwargs: str) -> Response:
        try:
            path = BanPath.model_validate(kwargs)
        except ValidationError as exc:
            raise invalid(exc) from exc
        return view(path)

    wrapper.__delay_validate_request__ = True  # type: ignore[attr-defined]
    return wrapper


@bp.get("", responses={200: Envelope[BanList]})
@require_role("admin")
@require_scope("admin")
def list_bans() -> Response:
    """Every active ban, soonest to end first."""
    bans = service.list_bans(bans=current_limits().bans)
    items = [BanOut.from_ban(ban).model_dump(mode="json") for ban in bans]
    return list_envelope(items, {"total": len(items), "next_cursor": None})


@bp.delete("/<key>", responses={200: Envelope[BanOut]})
@require_role("admin")
@require_scope("admin")
@_ban_path
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

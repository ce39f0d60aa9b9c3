"""The blueprint of the admin pages: admins only, for every route in it."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask.typing import ResponseReturnValue

from versehub.core.auth import require_principal
from versehub.core.pages import role_page
from versehub.modules.accounts.service.meta import RequestMeta

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="../templates")

# One guard for the whole blueprint, so no page or fragment can be added without it:
# signed-out readers go to the sign-in page, everyone but admins gets the 404 page.
_admins_only = role_page("admin")(lambda: None)


@bp.before_request
def admins_only() -> ResponseReturnValue | None:
    """Refuse everyone but admins before any admin view runs."""
    answer: ResponseReturnValue | None = _admins_only()
    return answer


def request_meta() -> RequestMeta:
    """Client address, user agent and request id of this request, for the audit trail."""
    return RequestMeta(
        ip=request.remote_addr,
        user_agent=request.user_agent.string or None,
        request_id=g.get("request_id"),
    )


def admin_id() -> int:
    """The signed-in admin's user id."""
    return require_principal().user_id

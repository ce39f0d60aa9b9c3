"""`/api/v1/admin/*`: users, roles, module grants, account status and the audit trail."""

from __future__ import annotations

from flask import Response

from versehub.core.auth import Principal, require_principal, require_role, require_scope
from versehub.core.envelope import envelope, list_envelope
from versehub.core.modules import get_registry
from versehub.core.validation import parse_body, parse_query
from versehub.modules.accounts.api.blueprint import bp, request_meta
from versehub.modules.accounts.models import User
from versehub.modules.accounts.schemas import (
    AuditEventPublic,
    AuditQuery,
    ModuleAccessUpdate,
    RolesUpdate,
    UserPublic,
    UsersQuery,
    UserStatusUpdate,
)
from versehub.modules.accounts.service import access, audit, pages, users


def _user_envelope(user: User) -> Response:
    return envelope({"user": UserPublic.from_user(user).model_dump(mode="json")})


def _admin() -> Principal:
    return require_principal()


@bp.get("/admin/users")
@require_role("admin")
@require_scope("admin")
def list_users() -> Response:
    """Users by id, filtered by `q` (email or username part) and `role`, page by page."""
    query = parse_query(UsersQuery)
    rows, total = users.list_(page=query.page, per_page=query.per_page, q=query.q, role=query.role)
    items = [UserPublic.from_user(user).model_dump(mode="json") for user in rows]
    return list_envelope(
        items, pages.pagination(page=query.page, per_page=query.per_page, total=total)
    )


@bp.patch("/admin/users/<int:user_id>")
@require_role("admin")
@require_scope("admin")
def update_user_status(user_id: int) -> Response:
    """Switch an account on or off (off ends its tokens; its API keys stop working)."""
    body = parse_body(UserStatusUpdate)
    user = access.set_active(
        user=users.get_or_404(user_id=user_id),
        active=body.is_active,
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return _user_envelope(user)


@bp.patch("/admin/users/<int:user_id>/roles")
@require_role("admin")
@require_scope("admin")
def update_user_roles(user_id: int) -> Response:
    """Replace a user's roles."""
    body = parse_body(RolesUpdate)
    user = users.set_roles(
        user=users.get_or_404(user_id=user_id),
        roles=body.roles,
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return _user_envelope(user)


def _known_modules() -> list[str]:
    registry = get_registry()
    return [*registry.names, *registry.disabled]


@bp.put("/admin/users/<int:user_id>/modules/<name>")
@require_role("admin")
@require_scope("admin")
def set_user_module(user_id: int, name: str) -> Response:
    """Grant or deny one module to a user (`{"access": "grant" | "deny"}`)."""
    body = parse_body(ModuleAccessUpdate)
    user = access.set_module_access(
        user=users.get_or_404(user_id=user_id),
        module=name,
        allowed=body.access == "grant",
        known_modules=_known_modules(),
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return _user_envelope(user)


@bp.delete("/admin/users/<int:user_id>/modules/<name>")
@require_role("admin")
@require_scope("admin")
def clear_user_module(user_id: int, name: str) -> Response:
    """Drop a user's grant or denial of a module (back to the module's default)."""
    user = access.set_module_access(
        user=users.get_or_404(user_id=user_id),
        module=name,
        allowed=None,
        known_modules=_known_modules(),
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return _user_envelope(user)


@bp.get("/admin/audit")
@require_role("admin")
@require_scope("admin")
def list_audit_events() -> Response:
    """Security events, newest first; filter by `event`, `actor_id`, `since`, `until`."""
    query = parse_query(AuditQuery)
    rows, pagination = audit.list_(
        page=query.page,
        per_page=query.per_page,
        event=query.event,
        actor_id=query.actor_id,
        since=query.since,
        until=query.until,
    )
    items = [AuditEventPublic.model_validate(row).model_dump(mode="json") for row in rows]
    return list_envelope(items, pagination)

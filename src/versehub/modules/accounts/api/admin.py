"""`/api/v1/admin/*`: users, roles, module grants, account status and the audit trail."""

from __future__ import annotations

from flask import Response
from flask_openapi3.types import ResponseDict

from versehub.core.api import AUTH_ERRORS, BODY_ERRORS, SIGNED_IN, list_answer, validated
from versehub.core.auth import Principal, require_principal, require_role, require_scope
from versehub.core.modules import get_registry
from versehub.core.openapi import Envelope
from versehub.modules.accounts import events
from versehub.modules.accounts.api.blueprint import (
    ADMIN_TAG,
    bp,
    request_meta,
    user_envelope,
)
from versehub.modules.accounts.schemas import (
    AuditEventPublic,
    AuditQuery,
    ModuleAccessUpdate,
    RolesUpdate,
    UserPublic,
    UsersQuery,
    UserStatusUpdate,
)
from versehub.modules.accounts.schemas.api import (
    AuditList,
    UserData,
    UserList,
    UserModulePath,
    UserPath,
)
from versehub.modules.accounts.service import access, audit, users

TAGS = [ADMIN_TAG]
USER_ANSWER: ResponseDict = {200: Envelope[UserData], **AUTH_ERRORS}


def _admin() -> Principal:
    return require_principal()


@bp.get(
    "/admin/users",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[UserList], **AUTH_ERRORS},
)
@require_role("admin")
@require_scope("admin")
@validated
def list_users(query: UsersQuery) -> Response:
    """Users by id, filtered by `q` (email or username part) and `role`, page by page."""
    page = users.list_(page=query.page, per_page=query.per_page, q=query.q, role=query.role)
    return list_answer(page, lambda user: UserPublic.from_user(user).model_dump(mode="json"))


@bp.get("/admin/users/<int:user_id>", tags=TAGS, security=SIGNED_IN, responses=USER_ANSWER)
@require_role("admin")
@require_scope("admin")
@validated
def get_user(path: UserPath) -> Response:
    """One account."""
    return user_envelope(users.get_or_404(user_id=path.user_id))


@bp.patch(
    "/admin/users/<int:user_id>",
    tags=TAGS,
    security=SIGNED_IN,
    responses={**USER_ANSWER, **BODY_ERRORS},
)
@require_role("admin")
@require_scope("admin")
@validated
def update_user_status(path: UserPath, body: UserStatusUpdate) -> Response:
    """Switch an account on or off (off ends its tokens; its API keys stop working)."""
    user = access.set_active(
        user=users.get_or_404(user_id=path.user_id),
        active=body.is_active,
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return user_envelope(user)


@bp.patch(
    "/admin/users/<int:user_id>/roles",
    tags=TAGS,
    security=SIGNED_IN,
    responses={**USER_ANSWER, **BODY_ERRORS},
)
@require_role("admin")
@require_scope("admin")
@validated
def update_user_roles(path: UserPath, body: RolesUpdate) -> Response:
    """Replace a user's roles."""
    user = users.set_roles(
        user=users.get_or_404(user_id=path.user_id),
        roles=body.roles,
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return user_envelope(user)


def _known_modules() -> list[str]:
    registry = get_registry()
    return [*registry.names, *registry.disabled]


def _undeniable_modules() -> list[str]:
    return [module.name for module in get_registry().enabled if not module.deniable]


@bp.put(
    "/admin/users/<int:user_id>/modules/<name>",
    tags=TAGS,
    security=SIGNED_IN,
    responses={**USER_ANSWER, **BODY_ERRORS},
)
@require_role("admin")
@require_scope("admin")
@validated
def set_user_module(path: UserModulePath, body: ModuleAccessUpdate) -> Response:
    """Grant or deny one module to a user (`{"access": "grant" | "deny"}`).

    A denied module refuses that user on every route, page and GraphQL field (403); `accounts`
    and `system` cannot be denied (422).
    """
    user = access.set_module_access(
        user=users.get_or_404(user_id=path.user_id),
        module=path.name,
        allowed=body.access == "grant",
        known_modules=_known_modules(),
        undeniable_modules=_undeniable_modules(),
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return user_envelope(user)


@bp.delete(
    "/admin/users/<int:user_id>/modules/<name>",
    tags=TAGS,
    security=SIGNED_IN,
    responses=USER_ANSWER,
)
@require_role("admin")
@require_scope("admin")
@validated
def clear_user_module(path: UserModulePath) -> Response:
    """Drop a user's grant or denial of a module (back to the module's default)."""
    user = access.set_module_access(
        user=users.get_or_404(user_id=path.user_id),
        module=path.name,
        allowed=None,
        known_modules=_known_modules(),
        actor_id=_admin().user_id,
        meta=request_meta(),
    )
    return user_envelope(user)


@bp.get(
    "/admin/audit",
    tags=TAGS,
    security=SIGNED_IN,
    responses={200: Envelope[AuditList], **AUTH_ERRORS},
)
@require_role("admin")
@require_scope("admin")
@validated
def list_audit_events(query: AuditQuery) -> Response:
    """Security events, newest first; filter by `event`, `actor_id`, `since`, `until`."""
    if query.event is not None:
        events.check_audit_filter(query.event)
    page = audit.list_(
        page=query.page,
        per_page=query.per_page,
        event=query.event,
        actor_id=query.actor_id,
        since=query.since,
        until=query.until,
    )
    return list_answer(
        page, lambda row: AuditEventPublic.model_validate(row).model_dump(mode="json")
    )

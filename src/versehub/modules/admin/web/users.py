"""Users and roles: the list (search, role filter, pages) and one user's page with its actions."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from versehub.core.errors import APIError
from versehub.core.pages import is_htmx, render_page
from versehub.extensions import db
from versehub.modules.accounts.models import ROLES
from versehub.modules.accounts.service import users as accounts_users
from versehub.modules.admin.service import users as admin_users
from versehub.modules.admin.service.modules import undeniable_modules
from versehub.modules.admin.web.blueprint import admin_id, bp, request_meta
from versehub.modules.admin.web.filters import (
    PER_PAGE,
    Problems,
    choice_arg,
    page_arg,
    text_arg,
)


@bp.get("/users")
def list_users() -> ResponseReturnValue:
    """Users by id, searched by name or email and filtered by role; the results alone for HTMX."""
    problems = Problems()
    q = text_arg("q", "The search", problems)
    role = choice_arg("role", "Role", ROLES, problems)
    page = page_arg(problems)
    found = None
    if not problems:
        found = accounts_users.list_(page=page, per_page=PER_PAGE, q=q or None, role=role or None)
    return render_page(
        "admin/users.html",
        fragment={"user-results": "admin/_user_results.html"},
        status=422 if problems else 200,
        found=found,
        q=q,
        role=role,
        roles=ROLES,
        problems=problems,
        page_args={name: value for name, value in (("q", q), ("role", role)) if value},
        is_htmx=is_htmx(),
    )


def _user_page(
    user_id: int, *, problems: Problems | None = None, status: int = 200
) -> ResponseReturnValue:
    user = accounts_users.get_or_404(user_id=user_id)
    return render_page(
        "admin/user.html",
        status=status,
        user=user,
        roles=ROLES,
        is_self=user.id == admin_id(),
        module_access=admin_users.module_access(user=user),
        undeniable=undeniable_modules(),
        problems=problems or Problems(),
    )


@bp.get("/users/<int:user_id>")
def show_user(user_id: int) -> ResponseReturnValue:
    """One account: its facts, roles, status and module access, with the forms to change them."""
    return _user_page(user_id)


def _failed(user_id: int, error: APIError, fields: tuple[str, ...]) -> ResponseReturnValue:
    db.session.rollback()
    problems = Problems()
    problems.add_service_errors(error, fields=fields)
    # A refusal because of the account's state (last admin, oneself) is a conflict; the rest
    # is input the form can correct.
    status = 409 if error.code == "RES_CONFLICT" else 422
    return _user_page(user_id, problems=problems, status=status)


@bp.post("/users/<int:user_id>/roles")
def update_roles(user_id: int) -> ResponseReturnValue:
    """Give the user the roles ticked (audited as security.roles_changed)."""
    user = accounts_users.get_or_404(user_id=user_id)
    try:
        changed = admin_users.change_roles(
            user=user, roles=request.form.getlist("roles"), actor_id=admin_id(), meta=request_meta()
        )
    except APIError as exc:
        if exc.status >= 500:
            raise
        return _failed(user_id, exc, ("roles",))
    roles = ", ".join(sorted(user.roles))
    flash(
        f"Roles of {user.username} saved: {roles}."
        if changed
        else f"Roles of {user.username} unchanged: {roles}.",
        "success" if changed else "info",
    )
    return redirect(url_for("admin.show_user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/status")
def update_status(user_id: int) -> ResponseReturnValue:
    """Switch the account on or off (audited as security.account_status_changed)."""
    user = accounts_users.get_or_404(user_id=user_id)
    wanted = request.form.get("active", "")
    if wanted not in ("0", "1"):
        return _failed(user_id, APIError("VAL_INVALID", "Choose enable or disable"), ())
    try:
        admin_users.set_active(
            user=user, active=wanted == "1", actor_id=admin_id(), meta=request_meta()
        )
    except APIError as exc:
        if exc.status >= 500:
            raise
        return _failed(user_id, exc, ())
    state = "enabled" if user.is_active else "disabled: its sessions, tokens and API keys stop"
    flash(f"Account {user.username} {state}.", "success")
    return redirect(url_for("admin.show_user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/modules")
def update_modules(user_id: int) -> ResponseReturnValue:
    """Grant, deny or reset each module for the user (each change audited)."""
    user = accounts_users.get_or_404(user_id=user_id)
    prefix = "module-"
    choices = {
        key.removeprefix(prefix): value
        for key, value in request.form.items()
        if key.startswith(prefix)
    }
    try:
        changed = admin_users.set_module_access(
            user=user, choices=choices, actor_id=admin_id(), meta=request_meta()
        )
    except APIError as exc:
        if exc.status >= 500:
            raise
        fields = tuple(f"module-{name}" for name in admin_users.module_access(user=user))
        return _failed(user_id, exc, fields)
    flash(
        f"Module access of {user.username} saved: {', '.join(changed)} changed."
        if changed
        else f"Module access of {user.username} unchanged.",
        "success" if changed else "info",
    )
    return redirect(url_for("admin.show_user", user_id=user_id), 303)

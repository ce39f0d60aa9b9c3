"""Users as admins manage them: roles, account status and module access.

The accounts services do the work and write the audit events (the same as the REST admin API);
these add the rules of an admin acting on their own account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from versehub.core.errors import APIError, field_error
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import access, users
from versehub.modules.accounts.service.meta import RequestMeta
from versehub.modules.admin.service.modules import known_modules, undeniable_modules

Access = Literal["default", "grant", "deny"]
ACCESS_VALUES: tuple[Access, ...] = ("default", "grant", "deny")


def change_roles(*, user: User, roles: Iterable[str], actor_id: int, meta: RequestMeta) -> bool:
    """Give the user exactly `roles` (audited); False when nothing changed.

    An admin cannot take the admin role from themselves: another admin has to.
    """
    new = set(roles)
    if user.id == actor_id and "admin" in user.roles and "admin" not in new:
        raise APIError(
            "VAL_INVALID", errors=[field_error("roles", "You cannot remove your own admin role")]
        )
    if not new:
        raise APIError("VAL_INVALID", errors=[field_error("roles", "Choose at least one role")])
    if new == user.roles:
        return False
    users.set_roles(user=user, roles=new, actor_id=actor_id, meta=meta)
    return True


def set_active(*, user: User, active: bool, actor_id: int, meta: RequestMeta) -> User:
    """Switch an account on or off (audited; off ends its tokens and sessions)."""
    if user.id == actor_id and not active:
        raise APIError("RES_CONFLICT", "You cannot disable your own account")
    return access.set_active(user=user, active=active, actor_id=actor_id, meta=meta)


def module_access(*, user: User) -> dict[str, Access]:
    """Each module an admin may set, with the user's override (`default`: none)."""
    overrides = {row.module: row.allowed for row in user.module_rows}
    return {
        name: "default" if name not in overrides else ("grant" if overrides[name] else "deny")
        for name in known_modules()
    }


def set_module_access(
    *, user: User, choices: Mapping[str, str], actor_id: int, meta: RequestMeta
) -> list[str]:
    """Apply the chosen access per module (each change audited); the names that changed."""
    current = module_access(user=user)
    unknown = sorted(set(choices) - set(current))
    if unknown:
        raise APIError("RES_NOT_FOUND", "No such module", details={"modules": unknown})
    bad = sorted(name for name, value in choices.items() if value not in ACCESS_VALUES)
    if bad:
        raise APIError(
            "VAL_INVALID",
            errors=[field_error(f"module-{name}", "Choose default, grant or deny") for name in bad],
        )
    changed = [name for name, value in sorted(choices.items()) if value != current[name]]
    for name in changed:
        value = choices[name]
        access.set_module_access(
            user=user,
            module=name,
            allowed=None if value == "default" else value == "grant",
            known_modules=known_modules(),
            undeniable_modules=undeniable_modules(),
            actor_id=actor_id,
            meta=meta,
        )
    return changed

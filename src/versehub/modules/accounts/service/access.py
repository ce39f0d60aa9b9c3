"""Admin controls over an account: per-user module grants and switching the account off."""

from __future__ import annotations

from collections.abc import Iterable

from versehub.core.errors import APIError, field_error
from versehub.extensions import db
from versehub.modules.accounts import events
from versehub.modules.accounts.models import User, UserModuleAccess
from versehub.modules.accounts.service.meta import RequestMeta
from versehub.modules.accounts.service.users import is_last_admin


def set_module_access(
    *,
    user: User,
    module: str,
    allowed: bool | None,
    known_modules: Iterable[str],
    actor_id: int | None,
    meta: RequestMeta,
    undeniable_modules: Iterable[str] = (),
) -> User:
    """Grant (True) or deny (False) `module` to the user, or drop the override (None); commits.

    Modules in `undeniable_modules` (signing in, instance information) cannot be denied.
    """
    if module not in set(known_modules):
        raise APIError("RES_NOT_FOUND", "No such module", details={"module": module})
    if allowed is False and module in set(undeniable_modules):
        raise APIError(
            "VAL_INVALID",
            errors=[field_error("access", f"The {module} module cannot be denied")],
            details={"module": module},
        )
    existing = next((row for row in user.module_rows if row.module == module), None)
    before = None if existing is None else ("grant" if existing.allowed else "deny")
    if allowed is None:
        if existing is not None:
            user.module_rows.remove(existing)
    elif existing is None:
        user.module_rows.append(UserModuleAccess(module=module, allowed=allowed))
    else:
        existing.allowed = allowed
    db.session.commit()
    after = None if allowed is None else ("grant" if allowed else "deny")
    events.publish_security(
        events.MODULE_ACCESS_CHANGED,
        meta=meta,
        actor_id=actor_id,
        target=f"user:{user.id}",
        module=module,
        before=before,
        after=after,
    )
    return user


def set_active(*, user: User, active: bool, actor_id: int | None, meta: RequestMeta) -> User:
    """Switch the account on or off; switching off also ends every token it holds. Commits."""
    before = user.is_active
    if not active and is_last_admin(user=user):
        raise APIError("RES_CONFLICT", "The last active admin cannot be disabled")
    user.is_active = active
    if before and not active:
        # Reactivating later must not bring back tokens issued before the account was disabled.
        user.token_generation += 1
    db.session.commit()
    events.publish_security(
        events.ACCOUNT_STATUS_CHANGED,
        meta=meta,
        actor_id=actor_id,
        target=f"user:{user.id}",
        before=before,
        after=active,
    )
    return user

"""Security event names, how this module publishes them, and the audit-trail subscriber."""

from __future__ import annotations

from typing import Any

import structlog
from flask import g, has_request_context, request

from versehub.core.events import publish
from versehub.modules.accounts.service import audit
from versehub.modules.accounts.service.audit_events import (
    ACCOUNT_LOCKED,
    ACCOUNT_STATUS_CHANGED,
    ACCOUNT_UNLOCKED,
    API_KEY_CREATED,
    API_KEY_REVOKED,
    AUDITED_EVENTS,
    EMAIL_VERIFICATION_REQUESTED,
    EMAIL_VERIFIED,
    LOGIN_FAILED,
    LOGIN_SUCCEEDED,
    LOGOUT,
    LOGOUT_ALL,
    MODULE_ACCESS_CHANGED,
    PASSWORD_RESET,
    PASSWORD_RESET_REQUESTED,
    ROLES_CHANGED,
    TOKEN_REUSE,
    TWO_FACTOR_CHECK_FAILED,
    TWO_FACTOR_DISABLED,
    TWO_FACTOR_ENABLED,
    TWO_FACTOR_RECOVERY_REGENERATED,
    TWO_FACTOR_RECOVERY_USED,
    USER_REGISTERED,
    check_audit_filter,
)
from versehub.modules.accounts.service.meta import RequestMeta

log = structlog.get_logger(__name__)

# The names live in service.audit_events; re-exported here, where publishers look for them.
__all__ = [
    "ACCOUNT_LOCKED",
    "ACCOUNT_STATUS_CHANGED",
    "ACCOUNT_UNLOCKED",
    "API_KEY_CREATED",
    "API_KEY_REVOKED",
    "AUDITED_EVENTS",
    "EMAIL_VERIFICATION_REQUESTED",
    "EMAIL_VERIFIED",
    "LOGIN_FAILED",
    "LOGIN_SUCCEEDED",
    "LOGOUT",
    "LOGOUT_ALL",
    "MODULE_ACCESS_CHANGED",
    "PASSWORD_RESET",
    "PASSWORD_RESET_REQUESTED",
    "ROLES_CHANGED",
    "TOKEN_REUSE",
    "TWO_FACTOR_CHECK_FAILED",
    "TWO_FACTOR_DISABLED",
    "TWO_FACTOR_ENABLED",
    "TWO_FACTOR_RECOVERY_REGENERATED",
    "TWO_FACTOR_RECOVERY_USED",
    "USER_REGISTERED",
    "check_audit_filter",
    "on_security_event",
    "publish_security",
]

# Payload keys with a column of their own; every other key goes to `details`.
_COLUMNS = ("actor_id", "target", "ip", "user_agent", "request_id")


def publish_security(
    name: str, *, meta: RequestMeta, actor_id: int | None, target: str | None, **details: Any
) -> None:
    """Publish a `security.*` event with the standard payload keys (call after commit)."""
    publish(
        name,
        actor_id=actor_id,
        target=target,
        ip=meta.ip,
        user_agent=meta.user_agent,
        request_id=meta.request_id,
        **details,
    )


def _meta_from(payload: dict[str, Any]) -> RequestMeta:
    # Publishers outside this module may leave the request facts out: take them from the
    # request being served, when there is one.
    in_request = has_request_context()
    return RequestMeta(
        ip=payload.get("ip") or (request.remote_addr if in_request else None),
        user_agent=payload.get("user_agent")
        or (request.user_agent.string or None if in_request else None),
        request_id=payload.get("request_id") or (g.get("request_id") if in_request else None),
    )


def on_security_event(name: str, payload: dict[str, Any]) -> None:
    """Write every `security.*` event to the audit trail."""
    actor = payload.get("actor_id")
    target = payload.get("target")
    audit.record(
        event=name,
        actor_id=actor if isinstance(actor, int) and not isinstance(actor, bool) else None,
        target=str(target) if target is not None else None,
        meta=_meta_from(payload),
        details={k: v for k, v in payload.items() if k not in _COLUMNS},
    )

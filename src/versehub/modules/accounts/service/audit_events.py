"""The names of the security audit trail: every `security.*` event this code base writes.

A service (not `events`) so that other modules (the admin pages) can list and check them.
"""

from __future__ import annotations

from versehub.core.errors import APIError, field_error
from versehub.modules.accounts.service import audit

# `security.*` is an open family: other modules (rate limits, 2FA, mail flows) publish their
# own names with the same payload keys and land in the audit trail too.
LOGIN_SUCCEEDED = "security.login_succeeded"
LOGIN_FAILED = "security.login_failed"
ACCOUNT_LOCKED = "security.account_locked"
ACCOUNT_UNLOCKED = "security.account_unlocked"
LOGOUT = "security.logout"
LOGOUT_ALL = "security.logout_all"
TOKEN_REUSE = "security.token_reuse"  # noqa: S105 - an event name, not a secret
USER_REGISTERED = "security.user_registered"
ROLES_CHANGED = "security.roles_changed"
MODULE_ACCESS_CHANGED = "security.module_access_changed"
ACCOUNT_STATUS_CHANGED = "security.account_status_changed"
API_KEY_CREATED = "security.api_key_created"
API_KEY_REVOKED = "security.api_key_revoked"
TWO_FACTOR_ENABLED = "security.2fa_enabled"
TWO_FACTOR_DISABLED = "security.2fa_disabled"
TWO_FACTOR_RECOVERY_USED = "security.2fa_recovery_used"
TWO_FACTOR_RECOVERY_REGENERATED = "security.2fa_recovery_regenerated"
# A wrong password or code when managing 2FA (login failures stay `login_failed`).
TWO_FACTOR_CHECK_FAILED = "security.2fa_check_failed"
EMAIL_VERIFICATION_REQUESTED = "security.email_verification_requested"
EMAIL_VERIFIED = "security.email_verified"
PASSWORD_RESET_REQUESTED = "security.password_reset_requested"  # noqa: S105 - an event name
PASSWORD_RESET = "security.password_reset"  # noqa: S105 - an event name

# Every name this code base writes to the audit trail (the README lists them; a test checks
# that every `security.*` name in the sources is here). `security.ban` and `security.unban` are
# published by core's rate limits.
AUDITED_EVENTS: frozenset[str] = frozenset(
    {
        LOGIN_SUCCEEDED,
        LOGIN_FAILED,
        ACCOUNT_LOCKED,
        ACCOUNT_UNLOCKED,
        LOGOUT,
        LOGOUT_ALL,
        TOKEN_REUSE,
        USER_REGISTERED,
        ROLES_CHANGED,
        MODULE_ACCESS_CHANGED,
        ACCOUNT_STATUS_CHANGED,
        API_KEY_CREATED,
        API_KEY_REVOKED,
        TWO_FACTOR_ENABLED,
        TWO_FACTOR_DISABLED,
        TWO_FACTOR_RECOVERY_USED,
        TWO_FACTOR_RECOVERY_REGENERATED,
        TWO_FACTOR_CHECK_FAILED,
        EMAIL_VERIFICATION_REQUESTED,
        EMAIL_VERIFIED,
        PASSWORD_RESET_REQUESTED,
        PASSWORD_RESET,
        "security.ban",
        "security.unban",
    }
)


def filterable_events() -> list[str]:
    """Every name the audit log can be filtered by: the known ones and any the trail holds."""
    return sorted(AUDITED_EVENTS | {n for n in audit.written_events() if n})


def check_audit_filter(name: str) -> None:
    """VAL_INVALID unless `name` is an audited event: a known one, or one the trail holds."""
    # `security.*` stays an open family (a plug-in may publish its own names): a name already
    # written is filterable too. Only a name nobody writes or wrote is a mistake.
    if name in AUDITED_EVENTS:
        return
    known = filterable_events()
    if name in known:
        return
    raise APIError(
        "VAL_INVALID",
        errors=[field_error("event", f"Unknown audit event; one of: {', '.join(known)}", "enum")],
        details={"allowed": known},
    )

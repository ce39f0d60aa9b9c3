"""The `accounts` module: users, preferences, tokens, API keys, lockouts and the audit trail."""

from versehub.core.modules import Module
from versehub.modules.accounts.api import bp
from versehub.modules.accounts.events import on_security_event
from versehub.modules.accounts.service.verification import on_user_created
from versehub.modules.accounts.setup import init_app
from versehub.modules.accounts.web import bp as web_bp

module = Module(
    name="accounts",
    description="Accounts and security: registration, JWT login with refresh rotation, "
    "API keys, roles and module grants, lockouts, and the security audit trail.",
    blueprints=(bp, web_bp),
    init=init_app,
    subscriptions={"security.*": on_security_event, "user.created": on_user_created},
    tasks="versehub.modules.accounts.tasks",
    # Signing in, one's own account and the admin pages must stay reachable for everyone.
    deniable=False,
)

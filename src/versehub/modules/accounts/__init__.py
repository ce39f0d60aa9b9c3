"""The `accounts` module: users, preferences, tokens, API keys, lockouts and the audit trail."""

from versehub.core.modules import Module
from versehub.modules.accounts.api import bp
from versehub.modules.accounts.events import on_security_event
from versehub.modules.accounts.setup import init_app

module = Module(
    name="accounts",
    description="Accounts and security: registration, JWT login with refresh rotation, "
    "API keys, roles and module grants, lockouts, and the security audit trail.",
    blueprints=(bp,),
    init=init_app,
    subscriptions={"security.*": on_security_event},
    tasks="versehub.modules.accounts.tasks",
)

"""REST API of the accounts module: one blueprint, routes split by concept."""

from versehub.modules.accounts.api import admin, auth, keys, mail_flows, twofactor
from versehub.modules.accounts.api.blueprint import bp

__all__ = ["admin", "auth", "bp", "keys", "mail_flows", "twofactor"]

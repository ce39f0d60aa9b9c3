"""HTML pages of the admin module (every one for admins only, see blueprint.admins_only)."""

from versehub.modules.admin.web import audit, bans, jobs, system, users
from versehub.modules.admin.web.blueprint import bp

__all__ = ["audit", "bans", "bp", "jobs", "system", "users"]

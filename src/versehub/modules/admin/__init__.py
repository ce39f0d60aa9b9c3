"""The `admin` module: pages for admins (users and roles, modules and health, the audit log,
rate-limit bans, failed jobs), calling the same services as the REST admin API and the CLI."""

from versehub.core.modules import Module
from versehub.modules.admin.web import bp

module = Module(
    name="admin",
    description="Admin pages: users and roles, modules and their health, the audit log, "
    "rate-limit bans and failed jobs.",
    requires=("accounts",),
    blueprints=(bp,),
    # Only admins use these pages and admins use every module: a denial would change nothing
    # but the answer (403 instead of 404) and so reveal the pages to the person denied.
    deniable=False,
)

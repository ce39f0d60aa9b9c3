"""HTML pages of the accounts module and the web session (Flask-Login) they run on."""

from versehub.modules.accounts.web import links, views
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.session import init_web_sessions

__all__ = ["bp", "init_web_sessions", "links", "views"]

"""HTML pages of the accounts module and the web session (Flask-Login) they run on."""

from versehub.modules.accounts.web import forgot, keys, links, preferences, twofactor, views
from versehub.modules.accounts.web.blueprint import bp
from versehub.modules.accounts.web.session import init_web_sessions

__all__ = [
    "bp",
    "forgot",
    "init_web_sessions",
    "keys",
    "links",
    "preferences",
    "twofactor",
    "views",
]

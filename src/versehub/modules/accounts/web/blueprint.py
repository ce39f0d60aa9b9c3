"""The blueprint of the account pages (HTML); the REST API is accounts.api."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account", template_folder="../templates")

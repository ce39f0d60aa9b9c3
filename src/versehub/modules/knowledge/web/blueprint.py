"""The blueprint of the knowledge hub's pages (HTML); the REST API is knowledge.api."""

from __future__ import annotations

from flask import Blueprint

# "hub": the reader-facing site (home, search, entries, writing); "knowledge" is the API's name.
bp = Blueprint("hub", __name__, template_folder="../templates")

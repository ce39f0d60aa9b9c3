"""The knowledge REST API: entries, revisions, workflow, search, categories and tags."""

from versehub.modules.knowledge.api import entries, listing
from versehub.modules.knowledge.api.common import bp

__all__ = ["bp", "entries", "listing"]

"""The knowledge REST API: entries, revisions, workflow, recycle bin, search, categories, tags."""

from versehub.modules.knowledge.api import entries, listing, recycle_bin
from versehub.modules.knowledge.api.common import bp

__all__ = ["bp", "entries", "listing", "recycle_bin"]

"""HTML pages of the knowledge hub: reading, searching, writing and revisions."""

from versehub.modules.knowledge.web.blueprint import bp

__all__ = ["bp"]

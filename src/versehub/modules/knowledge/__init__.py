"""The `knowledge` module: entries with revisions, categories, tags, workflow and search."""

from flask import Flask

from versehub.core.modules import Module
from versehub.modules.knowledge.events import init_providers
from versehub.modules.knowledge.service.search import health


def init_app(app: Flask) -> None:
    """Prepare the registries other modules add to (sign-video providers)."""
    init_providers(app)


module = Module(
    name="knowledge",
    description="The knowledge vault: Markdown entries with safe HTML, reading levels, "
    "plain-language versions, revisions, categories, tags, review workflow and full-text search.",
    requires=("accounts",),
    init=init_app,
    health=health,
)

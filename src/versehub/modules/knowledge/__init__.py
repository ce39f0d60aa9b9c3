"""The `knowledge` module: entries with revisions, categories, tags, workflow and search."""

from flask import Flask

from versehub.core.modules import Module
from versehub.modules.knowledge import demo
from versehub.modules.knowledge.api import bp
from versehub.modules.knowledge.events import init_providers
from versehub.modules.knowledge.service.search import health


def init_app(app: Flask) -> None:
    """Prepare the registries other modules add to (sign-video providers); add `versehub demo`."""
    init_providers(app)
    demo.init_cli(app)


module = Module(
    name="knowledge",
    description="The knowledge vault: Markdown entries with safe HTML, reading levels, "
    "plain-language versions, revisions, categories, tags, review workflow and full-text search.",
    requires=("accounts",),
    blueprints=(bp,),
    init=init_app,
    health=health,
)

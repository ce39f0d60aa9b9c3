"""The `knowledge` module: entries with revisions, categories, tags, workflow and search."""

from flask import Flask

from versehub.core.modules import Module
from versehub.modules.knowledge import cli, tasks
from versehub.modules.knowledge.api import bp
from versehub.modules.knowledge.api.cache import init_cache, on_entry_event
from versehub.modules.knowledge.events import init_providers
from versehub.modules.knowledge.graphql.schema import KnowledgeMutation, KnowledgeQuery
from versehub.modules.knowledge.service.search_backends import health, init_search
from versehub.modules.knowledge.web import bp as web_bp


def init_app(app: Flask) -> None:
    """Choose the search backend for the app's database, prepare the registries other modules
    add to (sign-video providers, cache variants) and the API response cache; add `versehub
    demo`, `versehub entries` and the recycle bin's hourly purge job."""
    init_search(app)
    init_providers(app)
    init_cache(app)
    cli.init_cli(app)
    celery_app = app.extensions.get("celery")
    if celery_app is not None:
        tasks.schedule(celery_app)


module = Module(
    name="knowledge",
    description="The knowledge vault: Markdown entries with safe HTML, reading levels, "
    "plain-language versions, revisions, categories, tags, review workflow and full-text search.",
    requires=("accounts",),
    blueprints=(bp, web_bp),
    graphql_query=KnowledgeQuery,
    graphql_mutation=KnowledgeMutation,
    init=init_app,
    tasks="versehub.modules.knowledge.tasks",
    health=health,
    subscriptions={"entry.*": on_entry_event},  # invalidates the API response cache
)

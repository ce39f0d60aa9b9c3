"""Alembic environment: runs inside the Flask app, on the app's engine and metadata."""

from __future__ import annotations

import logging
from typing import Any, Literal

from alembic import context
from flask import current_app

from versehub.core.db import UTCDateTime, include_name_filter

# Logging is configured by the app (structlog); Alembic's ini must not replace it.
logger = logging.getLogger("alembic.env")
config = context.config
migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def _skip_empty(context_: Any, revision: Any, directives: list[Any]) -> None:
    # `versehub db migrate` with no model changes must not write an empty revision.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations store plain timezone-aware DateTime; UTCDateTime only converts in Python.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=migrate_ext.db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        include_name=include_name_filter(target_metadata),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Apply migrations over the app's engine."""
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", _skip_empty)
    args.setdefault("compare_type", True)
    args.setdefault("render_item", _render_item)
    # Search structures created in raw SQL (FTS5 tables, tsvector columns) are not models.
    args.setdefault("include_name", include_name_filter(target_metadata))
    with migrate_ext.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

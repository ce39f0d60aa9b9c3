"""Migrations run up and down on SQLite and PostgreSQL and match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from versehub.core.db import UNMANAGED_KEY, include_name_filter
from versehub.extensions import db


def table_names(app: Flask) -> set[str]:
    # Raw-SQL search tables (e.g. SQLite FTS5 and its shadow tables) are checked by their module.
    unmanaged = db.metadata.info.get(UNMANAGED_KEY, set())
    with app.app_context():
        return set(inspect(db.engine).get_table_names()) - {"alembic_version", *unmanaged}


def test_models_match_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": include_name_filter(db.metadata)},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_down_to_base_and_up_again(app: Flask) -> None:
    expected = set(db.metadata.tables)
    assert table_names(app) == expected
    with app.app_context():
        downgrade(revision="base")
    assert table_names(app) == set()
    with app.app_context():
        upgrade()
    assert table_names(app) == expected

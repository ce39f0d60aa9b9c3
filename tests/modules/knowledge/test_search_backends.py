"""The search backend: chosen once per app from its database, and its health in /health/ready."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import write
from versehub.extensions import db
from versehub.modules.knowledge.models import FTS_TABLE, SEARCH_VECTOR
from versehub.modules.knowledge.service.search_backends import (
    EXTENSION,
    Fts5Search,
    PostgresSearch,
    backend_for,
    current_search,
)


def _knowledge_health(app: Flask) -> tuple[int, dict[str, object]]:
    response = app.test_client().get("/health/ready")
    return response.status_code, response.get_json()["modules"]["knowledge"]


def _execute(app: Flask, *statements: str) -> None:
    with app.app_context(), db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_the_backend_is_chosen_once_per_dialect(app: Flask, db_backend: str) -> None:
    expected = Fts5Search if db_backend == "sqlite" else PostgresSearch
    backend = app.extensions[EXTENSION]
    assert isinstance(backend, expected)
    with app.app_context():
        assert current_search() is backend  # the same object for every request


def test_backend_for_names_each_dialect_and_refuses_others() -> None:
    assert isinstance(backend_for("sqlite"), Fts5Search)
    assert isinstance(backend_for("postgresql"), PostgresSearch)
    with pytest.raises(ValueError, match="mysql"):
        backend_for("mysql")


def test_search_health_is_reported_under_the_knowledge_module(app: Flask, db_backend: str) -> None:
    status, knowledge = _knowledge_health(app)
    assert status == 200
    assert knowledge["status"] == "ok"
    assert knowledge["search"] == ("fts5" if db_backend == "sqlite" else "tsvector")


def test_a_missing_search_structure_fails_readiness(app: Flask, db_backend: str) -> None:
    if db_backend == "sqlite":
        _execute(app, f"DROP TABLE {FTS_TABLE}")
        missing = f"FTS5 table {FTS_TABLE} is missing"
    else:
        _execute(app, f"ALTER TABLE entries DROP COLUMN {SEARCH_VECTOR}")
        missing = f"tsvector column entries.{SEARCH_VECTOR} is missing"
    status, knowledge = _knowledge_health(app)
    assert status == 503
    assert knowledge["status"] == "fail"
    assert knowledge["error"] == missing


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_an_fts5_index_out_of_sync_degrades(app: Flask, people: People) -> None:
    with app.app_context():
        newest = write(people.author, title="Captions everywhere").id
        db.session.commit()
    _execute(app, f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    status, knowledge = _knowledge_health(app)
    assert status == 200
    assert knowledge["status"] == "degraded"
    assert str(knowledge["error"]) == (
        f"FTS5 table {FTS_TABLE} out of sync (newest indexed entry None, newest entry {newest})"
    )

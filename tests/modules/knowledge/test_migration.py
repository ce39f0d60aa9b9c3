"""The migration creates (and removes) the per-backend search structures."""

from __future__ import annotations

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from versehub.extensions import db

DOWN_TO = "0c3b484e16af"  # the revision before the knowledge migration


def _search_objects() -> set[str]:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            rows = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'entries_fts%'")
            )
            return {row[0] for row in rows}
        columns = conn.execute(
            text(
                "SELECT column_name || ':' || is_generated FROM information_schema.columns "
                "WHERE table_name = 'entries' AND column_name = 'search_vector'"
            )
        )
        indexes = conn.execute(
            text(
                "SELECT indexdef FROM pg_indexes "
                "WHERE indexname IN ('ix_entries_search_vector', 'ix_entries_search_rum')"
            )
        )
        return {row[0] for row in columns} | {row[0] for row in indexes}


def test_search_structures_exist_and_go_with_downgrade(app: Flask) -> None:
    with app.app_context():
        found = _search_objects()
        if db.engine.dialect.name == "sqlite":
            assert {"entries_fts", "entries_fts_ai", "entries_fts_au", "entries_fts_ad"} <= found
            sql = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name='entries_fts'"))
            assert "fts5" in sql
            assert "content='entries'" in sql
        else:
            assert "search_vector:ALWAYS" in found
            # RUM (its default operator class keeps positions) where the extension is available
            # (test_search_index.py), GIN otherwise
            assert any(
                "USING rum (search_vector)" in item or "USING gin (search_vector)" in item
                for item in found
            )
        db.session.remove()
        downgrade(revision=DOWN_TO)
        assert _search_objects() == set()
        upgrade()
        assert _search_objects() == found


def test_module_health_reports_search_backend(app: Flask) -> None:
    from versehub.modules.knowledge.service.search_backends import health

    with app.app_context():
        result = health()
    assert result.status == "ok"
    assert result.details["search"] in {"fts5", "tsvector"}

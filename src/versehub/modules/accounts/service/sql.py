"""Portable SQL helpers for concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from versehub.extensions import db


def insert_or_ignore(model: type[Any], *, values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """INSERT a row unless one with the same `keys` exists (concurrent callers never collide)."""
    # Two requests may revoke the same family or count the first failure of the same login at
    # once: ON CONFLICT DO NOTHING makes the second a no-op instead of a unique violation.
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(model).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    )

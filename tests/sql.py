"""Counting the SQL statements an app sends (query-count assertions in any module's tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from versehub.extensions import db


@contextmanager
def sql_statements(app: Flask, matching: re.Pattern[str] | None = None) -> Iterator[list[str]]:
    """The SQL statements the app runs while the block runs (those `matching`, if given)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if matching is None or matching.search(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

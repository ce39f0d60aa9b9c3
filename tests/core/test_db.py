"""Database set-up: SQLite pragmas, timezone-aware UTC on both backends, pooled PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import StatementError

from versehub.core.db import insert_or_ignore, utcnow
from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db


def dead_letter(**fields: object) -> DeadLetter:
    return DeadLetter(
        task_id="t1", task_name="demo", error_type="E", error_message="m", traceback="", **fields
    )


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_sqlite_pragmas(app: Flask) -> None:
    with app.app_context():
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000


@pytest.mark.parametrize("db_backend", [pytest.param("postgresql", marks=pytest.mark.integration)])
def test_postgresql_pool_options(app: Flask) -> None:
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"
        assert db.engine.pool._pre_ping is True  # type: ignore[attr-defined]
        assert db.engine.pool.size() == 5  # type: ignore[attr-defined]


def test_datetimes_come_back_aware_utc(app: Flask) -> None:
    paris = timezone(timedelta(hours=1))
    with app.app_context():
        row = dead_letter(failed_at=datetime(2026, 1, 2, 13, 0, tzinfo=paris))
        db.session.add(row)
        db.session.commit()
        db.session.expire_all()
        loaded = db.session.scalars(select(DeadLetter)).one()
        assert loaded.failed_at == datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
        assert loaded.failed_at.tzinfo is UTC


def test_naive_datetimes_are_refused(app: Flask) -> None:
    with app.app_context():
        db.session.add(dead_letter(failed_at=datetime(2026, 1, 2, 12, 0)))  # noqa: DTZ001
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalars(select(DeadLetter)).all() == []


def test_defaults_are_computed_per_row(app: Flask) -> None:
    with app.app_context():
        first = dead_letter()
        db.session.add(first)
        db.session.commit()
        second = dead_letter()
        db.session.add(second)
        db.session.commit()
        assert first.failed_at < second.failed_at <= utcnow()


@pytest.mark.parametrize(
    ("given", "expected_prefix"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_uses_psycopg3(given: str, expected_prefix: str) -> None:
    from versehub.settings import Settings

    assert Settings(database_url=given).sqlalchemy_url == expected_prefix


def test_insert_or_ignore_skips_existing_keys(app: Flask) -> None:
    table = Table(
        "words",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(20), unique=True),
        Column("note", String(20)),
    )
    with app.app_context():
        table.create(db.engine)
        insert_or_ignore(db.session, table, [{"name": "b", "note": "first"}], unique=["name"])
        rows = [{"name": "a", "note": "second"}, {"name": "b", "note": "second"}]
        insert_or_ignore(db.session, table, rows, unique=["name"])
        insert_or_ignore(db.session, table, [], unique=["name"])
        db.session.commit()
        found = db.session.execute(select(table.c.name, table.c.note).order_by(table.c.name))
        assert [tuple(row) for row in found] == [("a", "second"), ("b", "first")]

"""Declarative base, common columns and engine set-up for SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, Insert, MetaData, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (a callable default, never computed at import)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# `metadata.info[UNMANAGED_KEY]`: names ("table" or "table.column") that a module creates in raw,
# dialect-specific SQL in its migration (search indexes); migration checks must skip them.
UNMANAGED_KEY = "versehub.unmanaged"


def include_name_filter(metadata: MetaData) -> Callable[[str | None, str, Mapping[Any, Any]], bool]:
    """An Alembic `include_name` hook that skips the names listed under UNMANAGED_KEY."""

    def include_name(name: str | None, type_: str, parent_names: Mapping[Any, Any]) -> bool:
        unmanaged: set[str] = metadata.info.get(UNMANAGED_KEY, set())
        if type_ == "column":
            return f"{parent_names.get('table_name')}.{name}" not in unmanaged
        return name not in unmanaged

    return include_name


class Base(DeclarativeBase):
    """Declarative base of every table."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


class TimestampMixin:
    """`id`, `created_at` and `updated_at` for ordinary tables."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside a writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine(engine: Engine) -> None:
    """Apply per-dialect connection settings (idempotent)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)


def engine_options(url: str, *, pool_size: int, max_overflow: int) -> dict[str, Any]:
    """SQLAlchemy engine options for a URL."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {
        "pool_pre_ping": True,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_recycle": 1800,
    }


def insert_or_ignore(
    session: Session | scoped_session[Any],
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    unique: Sequence[str],
) -> None:
    """INSERT `rows`, silently skipping those whose `unique` columns match an existing row.

    Race-safe "create if missing": a concurrent transaction inserting the same key makes this
    one wait for it (PostgreSQL) or for the write lock (SQLite), then skip the row instead of
    failing with an IntegrityError. Select the rows afterwards to get them. Rows are inserted in
    the order given: callers sort them, so two writers lock keys in the same order.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        stmt = (
            postgresql.insert(table)
            .values(list(rows))
            .on_conflict_do_nothing(index_elements=list(unique))
        )
    elif dialect == "sqlite":
        stmt = (
            sqlite.insert(table)
            .values(list(rows))
            .on_conflict_do_nothing(index_elements=list(unique))
        )
    else:
        raise NotImplementedError(f"insert_or_ignore does not know the dialect {dialect!r}")
    session.execute(stmt)


SUPPORTED_URLS = "sqlite:///path or postgresql://user@host/database"


def database_url_problem(url: str, exc: Exception) -> str:
    """Why DATABASE_URL gives no engine, in one line without the URL (it may hold a password)."""
    scheme, found, _ = url.partition("://")
    if not found or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return f"DATABASE_URL is not a database URL (expected {SUPPORTED_URLS})"
    if isinstance(exc, ImportError):
        return (
            f"DATABASE_URL: the driver for '{scheme}' is not installed (expected {SUPPORTED_URLS})"
        )
    return f"DATABASE_URL: unknown database scheme '{scheme}' (expected {SUPPORTED_URLS})"

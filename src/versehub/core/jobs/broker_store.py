"""The broker file: one SQLite table of messages, its engine settings and a quick probe."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, CreateTable

ALIAS = "vhsqla"  # broker URLs: vhsqla+sqlite:///<file>
TABLE = "vh_broker_messages"
SYNCHRONOUS_MODES = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})

metadata = MetaData()
messages = Table(
    TABLE,
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("visible", Boolean, nullable=False, default=True),
    Column("owner", String(64), nullable=True),  # lease token of the process that fetched it
    Column("sent_at", Float, nullable=False),
    Column("fetched_at", Float, nullable=True),
    sqlite_autoincrement=True,  # ids never reused: delivery order stays first-in, first-out
)
by_queue = Index(
    "ix_vh_broker_messages_queue_visible_id", messages.c.queue, messages.c.visible, messages.c.id
)
by_owner = Index("ix_vh_broker_messages_visible_owner", messages.c.visible, messages.c.owner)


def broker_kind(url: str) -> str:
    """`sqlite` for the embedded broker, `redis` for Redis, else the URL scheme."""
    scheme = url.split("://", 1)[0]
    if scheme.startswith(f"{ALIAS}+"):
        return "sqlite"
    if scheme in {"redis", "rediss"}:
        return "redis"
    return scheme


def sqlite_path(url: str) -> Path:
    """The broker file of a `vhsqla+sqlite:///<file>` (or `sqlite:///<file>`) URL."""
    parsed = make_url(url.removeprefix(f"{ALIAS}+"))
    if parsed.get_backend_name() != "sqlite" or parsed.database in {None, "", ":memory:"}:
        raise ValueError(f"the {ALIAS} broker needs a SQLite file URL, got {parsed.drivername!r}")
    return Path(str(parsed.database))


def create_broker_engine(path: Path, *, busy_timeout: float, synchronous: str) -> Engine:
    """An engine on the broker file (WAL, busy timeout, autocommit), the table created."""
    if synchronous not in SYNCHRONOUS_MODES:
        raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")
    engine = create_engine(
        f"sqlite:///{path}",
        # Every statement stands alone: no read snapshot can go stale before a write.
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": busy_timeout, "check_same_thread": False},
    )
    busy_ms = int(busy_timeout * 1000)

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        # FULL by default: an accepted job survives a power cut, not only a crash.
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    with engine.connect() as conn:
        conn.execute(CreateTable(messages, if_not_exists=True))
        conn.execute(CreateIndex(by_queue, if_not_exists=True))
        conn.execute(CreateIndex(by_owner, if_not_exists=True))
        conn.commit()
    return engine


def probe(url: str, timeout: float) -> dict[str, Any]:
    """Open the broker file, take and drop its write lock, count jobs: fast, never hangs."""
    path = sqlite_path(url)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        # The write lock proves the file and its folder are writable and no writer is stuck.
        conn.execute("BEGIN IMMEDIATE")
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
        queued = fetched = 0
        if exists:
            for visible, count in conn.execute(
                f"SELECT visible, count(*) FROM {TABLE} GROUP BY visible"  # noqa: S608 - constant
            ):
                if visible:
                    queued = count
                else:
                    fetched = count
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return {"queued": queued, "fetched": fetched}

"""The change bus: every process hears what changed, so per-process caches stay exact.

Writers publish `(topic, payload)` inside the transaction that makes the change (explicitly with
`publish`, or through `watch`: any ORM write to a watched model publishes for it). Every
process, the writer included, runs the topic's handlers once the transaction commits. Backends
are chosen once per app (setting `change_bus`): PostgreSQL LISTEN/NOTIFY, Redis pub/sub, or on
SQLite a change-log table read when `PRAGMA data_version` moves. See `bus.py` for the states.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from versehub.core.changes.backends import PostgresBackend, RedisBackend, SqliteBackend
from versehub.core.changes.bus import (
    PENDING_KEY,
    Backend,
    BusState,
    ChangeBus,
    Handler,
    Message,
    ResyncHandler,
    decode,
    encode,
)
from versehub.core.changes.models import ChangeRecord
from versehub.core.errors import StartupError
from versehub.core.health import register_check
from versehub.core.modules import Health
from versehub.extensions import db
from versehub.settings import Settings

__all__ = [
    "BusState",
    "ChangeBus",
    "ChangeRecord",
    "Handler",
    "Message",
    "ResyncHandler",
    "bus_for",
    "close_changes",
    "current_bus",
    "decode",
    "encode",
    "init_changes",
    "publish",
    "publish_now",
    "watch",
]

EXTENSION = "versehub.changes"
WATCHES = "versehub.changes.watches"
# For a watched model: the payload naming the changed row (empty payload: "all of them").
KeyOf = Callable[[Any], dict[str, Any]]
Watches = dict[type[Any], tuple[str, KeyOf, bool]]


def choose_backend(app: Flask, settings: Settings) -> Backend | None:
    """The backend for this app's settings and database (None: `off`)."""
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect.name
    choice = settings.change_bus
    if choice == "off":
        return None
    if choice == "redis":
        if not settings.redis_url:
            raise StartupError("VERSEHUB_CHANGE_BUS=redis needs REDIS_URL")
        return RedisBackend(settings.redis_url, delay=settings.change_bus_reconnect_delay)
    if choice not in ("auto", dialect):
        raise StartupError(f"VERSEHUB_CHANGE_BUS={choice} does not fit a {dialect} database")
    if dialect == "postgresql":
        return PostgresBackend(engine, delay=settings.change_bus_reconnect_delay)
    if dialect == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:":
            return None  # one connection, one process: there is nobody to tell
        return SqliteBackend(path)
    return None


def init_changes(app: Flask, settings: Settings) -> None:
    """Give the app its bus (listening starts on first use in each process, after a fork)."""
    bus = ChangeBus(choose_backend(app, settings))
    app.extensions[EXTENSION] = bus
    app.extensions[WATCHES] = {}
    _listen_to_sessions()
    register_check(app, "changes", lambda: _health(bus))
    # First of the request hooks: messages are in before anything reads a cache (SQLite reads
    # its log here; elsewhere this starts the listener once per process).
    app.before_request(lambda: _check(bus))
    if app.testing:
        # Tests of several worker processes need to know which one answered.
        app.after_request(_worker_header)


def _check(bus: ChangeBus) -> None:
    bus.ready()


def _worker_header(response: Response) -> Response:
    response.headers["X-Worker-PID"] = str(os.getpid())
    return response


def _health(bus: ChangeBus) -> Health:
    bus.ready()
    details = {"backend": bus.backend_name, "state": bus.state, "resyncs": bus.resyncs}
    # Not listening costs speed (caches bypassed), never correctness: degraded, still ready.
    ok = bus.state == "connected" or bus.backend is None
    return Health("ok" if ok else "degraded", details)


def bus_for(app: Flask) -> ChangeBus:
    """The app's bus."""
    bus: ChangeBus = app.extensions[EXTENSION]
    return bus


def current_bus() -> ChangeBus:
    """The current app's bus."""
    return bus_for(current_app)


def close_changes(app: Flask) -> None:
    """Stop listening (tests and shutdown)."""
    bus = app.extensions.get(EXTENSION)
    if isinstance(bus, ChangeBus):
        bus.stop()


def publish(topic: str, payload: dict[str, Any] | None = None) -> None:
    """Tell every process `topic` changed, with the current transaction (call before commit)."""
    current_bus().publish(db.session(), topic, payload or {})


def publish_now(topic: str, payload: dict[str, Any] | None = None) -> None:
    """Tell every process `topic` changed, for a change already committed."""
    current_bus().publish_now(topic, payload or {})


def watch(app: Flask, model: type[Any], topic: str, key: KeyOf, *, bulk: bool = True) -> None:
    """Publish `(topic, key(row))` for every ORM insert, update or delete of `model` rows.

    Bulk UPDATE/DELETE statements on `model` publish `(topic, {})`: all of them (unless
    `bulk` is False: such statements never change what the subscribers cache).
    """
    app.extensions[WATCHES][model] = (topic, key, bulk)


# --- session hooks (one set for every app; each finds its app's bus) ---------------------------
def _listen_to_sessions() -> None:
    if event.contains(Session, "after_commit", _after_commit):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)


def _watches() -> tuple[ChangeBus, Watches] | None:
    if not has_app_context():
        return None
    bus = current_app.extensions.get(EXTENSION)
    watches = current_app.extensions.get(WATCHES)
    if not isinstance(bus, ChangeBus) or not watches:
        return None
    return bus, watches


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    found = _watches()
    if found is None:
        return
    bus, watches = found
    for row in (*session.new, *session.dirty, *session.deleted):
        spec = watches.get(type(row))
        if spec is not None:
            bus.publish(session, spec[0], spec[1](row))


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    found = _watches()
    mapper = state.bind_mapper
    if found is None or mapper is None:
        return
    bus, watches = found
    spec = watches.get(mapper.class_)
    if spec is not None and spec[2]:
        bus.publish(state.session, spec[0], {})


def _after_commit(session: Session) -> None:
    pending: list[tuple[ChangeBus, Message, str]] = session.info.pop(PENDING_KEY, [])
    by_bus: dict[ChangeBus, list[str]] = {}
    for bus, _, text in pending:
        by_bus.setdefault(bus, []).append(text)
    for bus, texts in by_bus.items():
        if bus.backend is not None:
            bus.backend.committed(bus, texts)
    for bus, message, _ in pending:
        bus.dispatch(message)


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    # A savepoint's rollback keeps the outer transaction's messages (those published inside it
    # are kept too: at worst one invalidation more); the outer rollback drops them all.
    if not previous.nested:
        session.info.pop(PENDING_KEY, None)

"""How change messages travel: PostgreSQL NOTIFY, Redis pub/sub, or SQLite's change log."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from typing import Any

import structlog
from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.orm import Session

from versehub.core.changes.bus import ChangeBus
from versehub.core.changes.models import ChangeRecord

log = structlog.get_logger(__name__)

CHANNEL = "versehub_changes"
# The listener's connection is named, so operators (and tests) can find it in pg_stat_activity.
APPLICATION_NAME = "versehub-changes"
# The listener wakes this often to notice `stop()`, and checks an idle connection this often.
WAKE_EVERY = 1.0
PING_EVERY = 5.0
# SQLite keeps this many messages; a reader further behind than that resyncs.
KEEP_MESSAGES = 10_000

_NOTIFY = text("SELECT pg_notify(:channel, :message)")


class _Listener:
    """A daemon thread that keeps a connection listening and reconnects after `delay`."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    thread_name = "versehub-changes"

    def start(self, bus: ChangeBus) -> None:
        """Listen in a daemon thread."""
        self._stop = threading.Event()
        # A weak reference: an app dropped without `stop()` (tests) lets its thread end.
        args = (weakref.ref(bus), self._stop)
        self._thread = threading.Thread(
            target=self._run, args=args, name=self.thread_name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        # Not joined: the thread notices within WAKE_EVERY and closes its connection itself.
        self._stop.set()
        self._thread = None

    def _run(self, bus_ref: weakref.ref[ChangeBus], stop: threading.Event) -> None:
        while not stop.is_set():
            bus = bus_ref()
            if bus is None:
                return
            try:
                self.listen(bus, stop)
            except Exception as exc:  # noqa: BLE001 - any failure: bypass until we listen again
                if not stop.is_set():
                    bus.lost(exc)
            del bus
            stop.wait(self.delay)

    def listen(self, bus: ChangeBus, stop: threading.Event) -> None:
        raise NotImplementedError


class PostgresBackend(_Listener):
    """NOTIFY in the writer's transaction (delivered only if it commits); LISTEN in a thread."""

    name = "postgresql"

    def __init__(self, engine: Engine, *, delay: float) -> None:
        super().__init__(delay)
        self.engine = engine
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def send(self, bus: ChangeBus, session: Session, text: str) -> None:
        """NOTIFY on the session's connection: part of its transaction."""
        session.connection().execute(_NOTIFY, {"channel": CHANNEL, "message": text})

    def send_now(self, bus: ChangeBus, text: str) -> None:
        """NOTIFY in a transaction of its own."""
        with self.engine.begin() as connection:
            connection.execute(_NOTIFY, {"channel": CHANNEL, "message": text})

    def committed(self, bus: ChangeBus, texts: list[str]) -> None:
        """Nothing to do: PostgreSQL delivered them with the commit."""

    def poll(self, bus: ChangeBus) -> None:
        """Nothing to do: the listener thread hears messages as they come."""

    def listen(self, bus: ChangeBus, stop: threading.Event) -> None:
        import psycopg  # only PostgreSQL deployments have it loaded

        with psycopg.connect(
            self.dsn,
            autocommit=True,
            application_name=APPLICATION_NAME,
            connect_timeout=5,
            # A silently dropped connection (no RST) is noticed within ~20 s even when idle.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=2,
        ) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            bus.connected()
            idle = 0.0
            while not stop.is_set():
                heard = False
                for notify in connection.notifies(timeout=WAKE_EVERY):
                    heard = True
                    if notify.channel == CHANNEL:
                        bus.receive(notify.payload)
                idle = 0.0 if heard else idle + WAKE_EVERY
                if idle >= PING_EVERY:
                    connection.execute("SELECT 1")  # raises once the server is gone
                    idle = 0.0


class RedisBackend(_Listener):
    """Redis pub/sub: published after the commit, heard by a subscriber thread."""

    name = "redis"

    def __init__(self, url: str, *, delay: float) -> None:
        import redis

        super().__init__(delay)
        self.url = url
        options: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 2}
        self.client = redis.Redis.from_url(url, **options)

    def send(self, bus: ChangeBus, session: Session, text: str) -> None:
        """Nothing yet: the message is published when the session commits."""

    def send_now(self, bus: ChangeBus, text: str) -> None:
        """PUBLISH at once."""
        self.client.publish(CHANNEL, text)

    def committed(self, bus: ChangeBus, texts: list[str]) -> None:
        """PUBLISH what the committed transaction changed."""
        try:
            for message in texts:
                self.client.publish(CHANNEL, message)
        except Exception:
            # The change is committed but other processes did not hear of it: they keep their
            # cached state until their next resync. PostgreSQL's NOTIFY cannot lose it this way.
            log.error("change_bus_publish_failed", backend=self.name, exc_info=True)

    def poll(self, bus: ChangeBus) -> None:
        """Nothing to do: the subscriber thread hears messages as they come."""

    def listen(self, bus: ChangeBus, stop: threading.Event) -> None:
        import redis

        client = redis.Redis.from_url(
            self.url, socket_timeout=PING_EVERY * 2, socket_connect_timeout=2
        )
        pubsub = client.pubsub()  # type: ignore[no-untyped-call]
        try:
            pubsub.subscribe(CHANNEL)
            # Subscribed once Redis confirms; only then can no message be missed.
            while not stop.is_set():
                reply = pubsub.get_message(timeout=WAKE_EVERY)
                if reply is not None and reply.get("type") == "subscribe":
                    break
            bus.connected()
            idle = 0.0
            while not stop.is_set():
                reply = pubsub.get_message(ignore_subscribe_messages=True, timeout=WAKE_EVERY)
                if reply is None:
                    idle += WAKE_EVERY
                    if idle >= PING_EVERY:
                        pubsub.ping()  # raises once the server is gone
                        idle = 0.0
                    continue
                idle = 0.0
                data = reply.get("data")
                if reply.get("type") == "message" and isinstance(data, bytes):
                    bus.receive(data.decode("utf-8", "replace"))
        finally:
            pubsub.close()
            client.close()


class SqliteBackend:
    """A change log table written in the writer's transaction, read when `data_version` moves.

    `PRAGMA data_version` on a dedicated connection changes whenever another connection (any
    process) commits: a few microseconds per request, and the log is read only then.
    """

    name = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._version: int | None = None
        self._last_id = 0

    def send(self, bus: ChangeBus, session: Session, text: str) -> None:
        """INSERT into the log in the session's transaction; old messages are pruned."""
        connection = session.connection()
        result = connection.execute(insert(ChangeRecord).values(message=text))
        new_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if isinstance(new_id, int) and new_id % 100 == 0:
            connection.execute(
                delete(ChangeRecord).where(ChangeRecord.id <= new_id - KEEP_MESSAGES)
            )

    def send_now(self, bus: ChangeBus, text: str) -> None:
        """INSERT into the log in a transaction of its own."""
        with sqlite3.connect(self.path, timeout=30) as connection:
            connection.execute("INSERT INTO change_log (message) VALUES (?)", (text,))
        connection.close()

    def committed(self, bus: ChangeBus, texts: list[str]) -> None:
        """Nothing to do: the log rows committed with the change."""

    def start(self, bus: ChangeBus) -> None:
        """Open the dedicated connection and remember where the log ends."""
        with self._lock:
            self._close()
            self._open(bus)

    def stop(self) -> None:
        """Close the dedicated connection."""
        with self._lock:
            self._close()

    def poll(self, bus: ChangeBus) -> None:
        """Read the log's new messages when another connection has committed since last time."""
        # Messages are handled under the lock: no other request thread may use a cache between
        # reading the log and dropping what it names.
        with self._lock:
            try:
                if self._connection is None:
                    self._open(bus)
                    return
                (version,) = self._connection.execute("PRAGMA data_version").fetchone()
                if version == self._version:
                    return
                rows = self._connection.execute(
                    "SELECT id, message FROM change_log WHERE id > ? ORDER BY id", (self._last_id,)
                ).fetchall()
                self._version = version
                if rows:
                    gap = rows[0][0] != self._last_id + 1
                    self._last_id = rows[-1][0]
                    if gap:
                        # Ids are never skipped (one writer at a time; a rolled-back id is
                        # reused), so a gap means messages were pruned unread: flush all.
                        bus.connected()
                        rows = []
            except sqlite3.Error as exc:
                bus.lost(exc)
                self._close()
                return
            for _, message in rows:
                bus.receive(message)

    def _open(self, bus: ChangeBus) -> None:
        try:
            connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            (version,) = connection.execute("PRAGMA data_version").fetchone()
            (last,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM change_log").fetchone()
        except sqlite3.Error as exc:
            bus.lost(exc)
            return
        self._connection, self._version, self._last_id = connection, version, int(last)
        bus.connected()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None

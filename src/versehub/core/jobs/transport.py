"""`vhsqla+sqlite:///<file>`: kombu's SQLAlchemy transport made durable for embedded workers.

Differences from kombu's own `sqla` transport (see RECIPES.md): its own options (`polling_interval`
0.1 s, `busy_timeout`, `recover_interval`, `synchronous`) instead of passing everything to
`create_engine`; WAL and a busy timeout; a row is deleted when its job is acknowledged (kombu only
hides it, forever); rows fetched by a process that died (SIGKILL, crash, the reloader's kill) are
queued again by the next worker that polls, so with late acks no accepted job is lost.
SQLite only: the broker is a file next to the app's data, separate from the app database.
"""

from __future__ import annotations

import threading
import time
from json import dumps, loads
from pathlib import Path
from queue import Empty
from typing import Any

import structlog
from celery.worker import state as worker_state
from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from versehub.core.jobs import leases
from versehub.core.jobs.broker_store import ALIAS, create_broker_engine, messages, sqlite_path

log = structlog.get_logger(__name__)


def _worker_stop_requested() -> bool:
    flags = (worker_state.should_stop, worker_state.should_terminate)
    return any(flag is not None and flag is not False for flag in flags)


def _busy(exc: OperationalError) -> bool:
    name = str(getattr(exc.orig, "sqlite_errorname", ""))
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def register_transport() -> None:
    """Make `vhsqla+sqlite:///...` broker URLs resolve to this transport (idempotent)."""
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")


class QoS(virtual.QoS):
    """Acknowledging a message deletes its row; rejecting without requeue does too."""

    def ack(self, delivery_tag: str) -> None:
        self.channel.finish_row(delivery_tag)
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if not requeue:
            self.channel.finish_row(delivery_tag)
        super().reject(delivery_tag, requeue=requeue)  # type: ignore[no-untyped-call]


class Channel(kombu_sqla.Channel):
    """Rows instead of kombu's ORM objects: claimed atomically, deleted on ack."""

    QoS = QoS
    connection: Transport

    def _configure_entity_tablenames(self, opts: dict[str, Any]) -> None:
        # kombu builds its ORM classes here; this transport has one fixed Core table instead.
        self._rows: dict[str, int] = {}  # delivery tag -> row id, for messages held unacked
        self._pending_deletes: list[int] = []  # acked rows not yet deleted (the file was busy)
        self._pending_lock = threading.Lock()  # acks arrive from the worker's pool threads
        self._next_recovery = 0.0

    @property
    def session(self) -> Any:
        raise NotImplementedError(f"the {ALIAS} transport uses no ORM session")

    def _open(self) -> Engine:
        return self.connection.engine

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        """Queues exist implicitly: a row names its queue."""

    # kombu's two base classes name the second parameter differently (message, payload).
    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        with self.connection.engine.connect() as conn:
            conn.execute(
                insert(messages).values(
                    queue=queue, payload=dumps(message), visible=True, sent_at=time.time()
                )
            )
            conn.commit()

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        try:
            self._housekeeping()
            return self._claim(queue)
        except OperationalError as exc:
            if not _busy(exc):
                raise
            # A writer held the file past the busy timeout: try again at the next poll rather
            # than reset the connection (which would hand running jobs out a second time).
            log.warning("broker_busy", queue=queue)
            raise Empty() from exc

    def _claim(self, queue: str) -> dict[str, Any]:
        engine = self.connection.engine
        waiting = (
            select(messages.c.id)
            .where(messages.c.queue == queue, messages.c.visible.is_(True))
            .order_by(messages.c.id)
            .limit(1)
        )
        with engine.connect() as conn:
            # A read first: an idle poll never takes the write lock.
            if conn.execute(waiting).first() is None:
                raise Empty()
            # One statement claims the oldest row: atomic even with several worker processes.
            row = conn.execute(
                update(messages)
                .where(messages.c.id == waiting.scalar_subquery())
                .values(visible=False, owner=self.connection.lease.token, fetched_at=time.time())
                .returning(messages.c.id, messages.c.payload)
            ).first()
            conn.commit()
        if row is None:
            raise Empty()
        payload: dict[str, Any] = loads(row.payload)
        self._rows[payload["properties"]["delivery_tag"]] = row.id
        return payload

    def _restore(self, message: Any) -> None:
        # Unacked at shutdown or rejected with requeue: show the same row again, in its place.
        row_id = self._rows.pop(message.delivery_tag, None)
        if row_id is None:
            super()._restore(message)  # type: ignore[no-untyped-call]
            return
        with self.connection.engine.connect() as conn:
            conn.execute(
                update(messages)
                .where(messages.c.id == row_id)
                .values(visible=True, owner=None, fetched_at=None)
            )
            conn.commit()

    def _restore_at_beginning(self, message: Any) -> None:
        self._restore(message)

    def finish_row(self, delivery_tag: str) -> None:
        """Delete the row of an acknowledged message (retried on the next poll if locked)."""
        row_id = self._rows.pop(delivery_tag, None)
        if row_id is None:
            return
        try:
            self._delete_rows([row_id])
        except OperationalError:
            log.warning("broker_ack_delayed", row_id=row_id, exc_info=True)
            with self._pending_lock:
                self._pending_deletes.append(row_id)

    def _delete_rows(self, row_ids: list[int]) -> None:
        with self.connection.engine.connect() as conn:
            conn.execute(delete(messages).where(messages.c.id.in_(row_ids)))
            conn.commit()

    def _purge(self, queue: str) -> int:
        with self.connection.engine.connect() as conn:
            result = conn.execute(
                delete(messages).where(messages.c.queue == queue, messages.c.visible.is_(True))
            )
            conn.commit()
        return int(result.rowcount)

    def _size(self, queue: str) -> int:
        with self.connection.engine.connect() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(messages)
                .where(messages.c.queue == queue, messages.c.visible.is_(True))
            ).scalar_one()
        return int(count)

    def _housekeeping(self) -> None:
        if self._pending_deletes:
            with self._pending_lock:
                pending, self._pending_deletes = self._pending_deletes, []
            try:
                self._delete_rows(pending)
            except OperationalError:
                with self._pending_lock:
                    self._pending_deletes.extend(pending)
        now = time.monotonic()
        if now >= self._next_recovery:
            self._next_recovery = now + self.connection.recover_interval
            self.connection.recover_abandoned()


class Transport(kombu_sqla.Transport):
    """kombu transport `vhsqla`: one SQLite file, rows claimed by lease, deleted on ack."""

    Channel = Channel
    polling_interval = 0.1
    stop_check_interval = 0.5
    driver_name = "sqlite"
    connection_errors = (OperationalError,)

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)  # type: ignore[no-untyped-call]
        options = client.transport_options
        self.path = sqlite_path(client.hostname)
        self.busy_timeout = float(options.get("busy_timeout", 5.0))
        self.recover_interval = float(options.get("recover_interval", 10.0))
        self.synchronous = str(options.get("synchronous", "FULL")).upper()
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    @property
    def leases_dir(self) -> Path:
        """Where consuming processes keep their lease files."""
        return self.path.with_name(self.path.name + ".leases")

    @property
    def lease(self) -> leases.Lease:
        """This process's lease on this broker file."""
        return leases.lease_for(self.leases_dir)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine on the broker file, with the table created on first use."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    self._engine = create_broker_engine(
                        self.path, busy_timeout=self.busy_timeout, synchronous=self.synchronous
                    )
        return self._engine

    def recover_abandoned(self) -> int:
        """Queue again the rows fetched by processes that are gone; returns how many."""
        mine = self.lease.token
        directory = self.leases_dir
        recovered = 0
        with self.engine.connect() as conn:
            owners = conn.execute(
                select(messages.c.owner).where(messages.c.visible.is_(False)).distinct()
            ).scalars()
            for owner in list(owners):
                if owner == mine or (owner and leases.owner_alive(directory, owner)):
                    continue
                result = conn.execute(
                    update(messages)
                    .where(
                        messages.c.visible.is_(False),
                        messages.c.owner.is_(None) if owner is None else messages.c.owner == owner,
                    )
                    .values(visible=True, owner=None, fetched_at=None)
                )
                conn.commit()
                recovered += int(result.rowcount)
        for token in leases.dead_owner_files(directory):
            if token != mine:
                leases.forget_owner(directory, token)
        if recovered:
            log.warning("broker_jobs_recovered", count=recovered, broker=str(self.path))
        return recovered

    def drain_events(self, connection: Any, timeout: float | None = None, **kwargs: Any) -> None:
        """Wait up to `timeout` for a message, ending early once a Celery worker stop is asked.

        Celery's blocking loop drains 2 s at a time and reads its stop flag in between; waiting
        in short steps lets an embedded worker stop within half a second.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = self.stop_check_interval
            if deadline is not None:
                step = min(step, max(0.0, deadline - time.monotonic()))
            try:
                super().drain_events(connection, timeout=step, **kwargs)  # type: ignore[no-untyped-call]
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                if _worker_stop_requested():
                    raise
            else:
                return

    def close_connection(self, connection: Any) -> None:
        super().close_connection(connection)  # type: ignore[no-untyped-call]
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

"""The change bus of one app: messages out at commit, messages in from other processes.

A message is `{"v": 1, "topic": ..., "payload": {...}, "origin": <process id>}` as JSON. It
is published inside the transaction that makes the change, so other processes hear of it only
when (and as soon as) that transaction commits; this process's own handlers run right after the
commit. Handlers are invalidations: they drop cached entries and must be cheap and idempotent.

State: `connected` (messages arrive, caches may be used), `down` (the listener lost its
connection), `resyncing` (connected again, caches being flushed), `off` (no backend). Anything
but `connected` makes every cache that depends on the bus answer from the database.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog
from sqlalchemy.orm import Session

log = structlog.get_logger(__name__)

VERSION = 1
# Payloads longer than this are not ours (PostgreSQL's NOTIFY limit is 8000 bytes).
MAX_MESSAGE = 7900
PENDING_KEY = "versehub.changes.pending"

BusState = Literal["connected", "down", "resyncing", "off"]


@dataclass(frozen=True, slots=True)
class Message:
    """A change: `topic` names what changed, `payload` which one (empty: all of them)."""

    topic: str
    payload: dict[str, Any]
    origin: str
    # True when this process made the change (handled right after its own commit).
    local: bool = False


Handler = Callable[[Message], None]
ResyncHandler = Callable[[], None]


class Backend(Protocol):
    """How messages travel between processes."""

    name: str

    def send(self, bus: ChangeBus, session: Session, text: str) -> None:
        """Queue `text` in the session's open transaction (delivered on commit)."""

    def send_now(self, bus: ChangeBus, text: str) -> None:
        """Send `text` in a transaction of its own."""

    def committed(self, bus: ChangeBus, texts: list[str]) -> None:
        """The session committed with these messages queued (Redis publishes them now)."""

    def start(self, bus: ChangeBus) -> None:
        """Start listening in this process; call `bus.connected()` once messages can arrive."""

    def stop(self) -> None:
        """Stop listening (tests, shutdown)."""

    def poll(self, bus: ChangeBus) -> None:
        """Per-request check for backends without a listener thread (SQLite)."""


def encode(topic: str, payload: dict[str, Any], origin: str) -> str:
    """The wire form of a message."""
    return json.dumps(
        {"v": VERSION, "topic": topic, "payload": payload, "origin": origin},
        separators=(",", ":"),
        sort_keys=True,
    )


def decode(text: str) -> Message | None:
    """The message in `text`, or None when it is not one of ours."""
    if len(text) > MAX_MESSAGE:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        return None
    topic, payload, origin = data.get("topic"), data.get("payload"), data.get("origin")
    if not (isinstance(topic, str) and isinstance(payload, dict) and isinstance(origin, str)):
        return None
    return Message(topic=topic, payload=payload, origin=origin)


class ChangeBus:
    """Per app: its backend, its subscribers and the listener's state in this process."""

    def __init__(self, backend: Backend | None, *, start_wait: float = 5.0) -> None:
        self.backend = backend
        self.state: BusState = "off" if backend is None else "down"
        self.origin = uuid.uuid4().hex
        self.resyncs = 0
        self._start_wait = start_wait
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self._first_connect = threading.Event()
        self._handlers: dict[str, list[Handler]] = {}
        self._resync_handlers: list[ResyncHandler] = []
        self._warned: set[str] = set()

    @property
    def backend_name(self) -> str:
        """`postgresql`, `redis`, `sqlite` or `off`."""
        return "off" if self.backend is None else self.backend.name

    # --- subscribers -----------------------------------------------------------------------
    def subscribe(self, topic: str, handler: Handler) -> None:
        """Run `handler` for every message on `topic` (this process's own included)."""
        self._handlers.setdefault(topic, []).append(handler)

    def on_resync(self, handler: ResyncHandler) -> None:
        """Run `handler` when messages may have been missed: it must drop everything cached."""
        self._resync_handlers.append(handler)

    # --- per request -----------------------------------------------------------------------
    def ready(self) -> bool:
        """Whether caches fed by the bus may be used now (listening starts after a fork)."""
        backend = self.backend
        if backend is None:
            return False
        if self._pid != os.getpid():
            self._start(backend)
        backend.poll(self)
        return self.state == "connected"

    def _start(self, backend: Backend) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            # A forked child is another process: its own origin, its own listener.
            self.origin = uuid.uuid4().hex
            self.state = "down"
            self._first_connect.clear()
            self._pid = os.getpid()
            backend.start(self)
        # The first request of a process waits for the listener (once), so a fresh worker
        # does not answer its first requests uncached for no reason.
        self._first_connect.wait(self._start_wait)

    def stop(self) -> None:
        """Stop listening in this process."""
        if self.backend is not None and self._pid == os.getpid():
            self.backend.stop()
        self._pid = None
        self.state = "off" if self.backend is None else "down"

    # --- out -------------------------------------------------------------------------------
    def publish(self, session: Session, topic: str, payload: dict[str, Any]) -> None:
        """Send a change with the session's transaction; handled here after its commit."""
        text = encode(topic, payload, self.origin)
        pending: list[tuple[ChangeBus, Message, str]] = session.info.setdefault(PENDING_KEY, [])
        if any(bus is self and sent == text for bus, _, sent in pending):
            return
        pending.append((self, Message(topic, payload, self.origin, local=True), text))
        if self.backend is not None:
            self.backend.send(self, session, text)

    def publish_now(self, topic: str, payload: dict[str, Any]) -> None:
        """Send a change that is already committed (in a transaction of its own)."""
        text = encode(topic, payload, self.origin)
        if self.backend is not None:
            try:
                self.backend.send_now(self, text)
            except Exception:  # the change is committed; others learn of it at their resync
                log.error("change_bus_send_failed", topic=topic, exc_info=True)
        self.dispatch(Message(topic, payload, self.origin, local=True))

    # --- in --------------------------------------------------------------------------------
    def receive(self, text: str) -> None:
        """A message from the backend: ours from another process, or not ours (ignored)."""
        message = decode(text)
        if message is None:
            self._warn_once("payload", "change_bus_foreign_message", text=text[:200])
            return
        if message.origin == self.origin:
            return  # handled right after our own commit
        self.dispatch(message)

    def dispatch(self, message: Message) -> None:
        """Run the topic's handlers; one failing means a cache may be stale: flush them all."""
        handlers = self._handlers.get(message.topic)
        if handlers is None:
            self._warn_once(
                f"topic:{message.topic}", "change_bus_unknown_topic", topic=message.topic
            )
            return
        for handler in handlers:
            try:
                handler(message)
            except Exception:
                log.exception("change_handler_failed", topic=message.topic)
                self.flush()

    def flush(self) -> None:
        """Run every resync handler (drop everything cached)."""
        for handler in self._resync_handlers:
            try:
                handler()
            except Exception:
                log.exception("change_resync_handler_failed")

    def connected(self) -> None:
        """The listener is (again) listening: flush what may have been missed, then serve."""
        self.state = "resyncing"
        self.flush()
        if self._first_connect.is_set():
            self.resyncs += 1
            log.warning("change_bus_resynced", backend=self.backend_name, resyncs=self.resyncs)
        self.state = "connected"
        self._first_connect.set()

    def lost(self, error: BaseException | str) -> None:
        """The listener lost its connection: bypass the caches until `connected()`."""
        if self.state != "down":
            log.warning("change_bus_down", backend=self.backend_name, error=str(error)[:200])
        self.state = "down"
        self._first_connect.set()  # a first request waits no longer for a server that is away

    def _warn_once(self, kind: str, event: str, **fields: Any) -> None:
        if kind in self._warned:
            return
        self._warned.add(kind)
        log.warning(event, backend=self.backend_name, **fields)

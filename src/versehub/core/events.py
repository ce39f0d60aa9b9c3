"""A small in-process event bus, one per app; subscribers can never break a publisher."""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import structlog
from flask import Flask, current_app

from versehub.core.metrics import EVENT_SUBSCRIBER_ERRORS, EVENTS_PUBLISHED

log = structlog.get_logger(__name__)

# The names are a contract (ARCHITECTURE.md); `security.*` is a family.
STANDARD_EVENTS: frozenset[str] = frozenset(
    {
        "user.created",
        "user.login",
        "user.logout",
        "preferences.updated",
        "entry.created",
        "entry.updated",
        "entry.published",
        "entry.deleted",
        # Ways back out of review, and the recycle bin: each has its own name so a subscriber
        # (notifications, the feed) can tell an author why their entry moved.
        "entry.withdrawn",
        "entry.sent_back",
        "entry.archived",
        "entry.restored",
        "entry.purged",
        "media.uploaded",
        "media.processing",
        "media.ready",
        "media.failed",
        "assignment.created",
        "assignment.offered",
        "assignment.accepted",
        "assignment.delivered",
        "assignment.reassigned",
        "agent.online",
        "agent.offline",
        "action.executed",
    }
)
EVENT_FAMILIES: tuple[str, ...] = ("security.",)

Subscriber = Callable[[str, dict[str, Any]], None]


class UnknownEventError(ValueError):
    """Publishing or subscribing to a name that is not in the contract."""


def is_known(name: str) -> bool:
    """Whether `name` is a standard event or belongs to a standard family."""
    return name in STANDARD_EVENTS or any(
        name.startswith(family) and len(name) > len(family) for family in EVENT_FAMILIES
    )


class EventBus:
    """Synchronous fan-out by exact name or glob pattern (`entry.*`, `security.*`, `*`)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)

    def subscribe(self, pattern: str, subscriber: Subscriber) -> None:
        """Call `subscriber(name, payload)` for every event matching `pattern`."""
        if not any(ch in pattern for ch in "*?[") and not is_known(pattern):
            raise UnknownEventError(f"unknown event {pattern!r}")
        self._subscribers[pattern].append(subscriber)

    def unsubscribe(self, pattern: str, subscriber: Subscriber) -> None:
        """Remove a subscription (no error when absent)."""
        if subscriber in self._subscribers.get(pattern, []):
            self._subscribers[pattern].remove(subscriber)

    def subscribers_for(self, name: str) -> list[Subscriber]:
        """Every subscriber whose pattern matches `name`, in subscription order."""
        return [
            sub
            for pattern, subs in self._subscribers.items()
            if pattern == name or fnmatch.fnmatchcase(name, pattern)
            for sub in subs
        ]

    def publish(self, name: str, payload: dict[str, Any] | None = None) -> int:
        """Deliver to every subscriber; returns how many succeeded. Failures are logged."""
        if not is_known(name):
            raise UnknownEventError(f"unknown event {name!r}")
        EVENTS_PUBLISHED.labels(name).inc()
        delivered = 0
        for subscriber in self.subscribers_for(name):
            try:
                # Each subscriber gets its own copy: one cannot change what the next one sees.
                subscriber(name, dict(payload or {}))
            except Exception:  # a subscriber's bug must not fail the action that published
                EVENT_SUBSCRIBER_ERRORS.labels(name).inc()
                log.exception(
                    "event_subscriber_failed",
                    event_name=name,
                    subscriber=getattr(subscriber, "__qualname__", repr(subscriber)),
                )
            else:
                delivered += 1
        return delivered


def init_events(app: Flask) -> EventBus:
    """Create the app's bus."""
    bus = EventBus()
    app.extensions["versehub.events"] = bus
    return bus


def get_bus() -> EventBus:
    """The current app's bus."""
    bus: EventBus = current_app.extensions["versehub.events"]
    return bus


def publish(name: str, **payload: Any) -> int:
    """Publish on the current app's bus."""
    return get_bus().publish(name, payload)

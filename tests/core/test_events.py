"""The event bus: contract names, patterns, and subscribers that cannot break publishers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from versehub.core.events import STANDARD_EVENTS, EventBus, UnknownEventError, publish


def recorder() -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def subscriber(name: str, payload: dict[str, Any]) -> None:
        seen.append((name, payload))

    return seen, subscriber


def test_contract_names_are_all_present() -> None:
    expected = {
        "user.created",
        "user.login",
        "user.logout",
        "preferences.updated",
        "entry.created",
        "entry.updated",
        "entry.published",
        "entry.deleted",
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
    assert expected == STANDARD_EVENTS


def test_exact_and_pattern_subscriptions() -> None:
    bus = EventBus()
    exact, on_exact = recorder()
    family, on_family = recorder()
    everything, on_all = recorder()
    bus.subscribe("entry.published", on_exact)
    bus.subscribe("entry.*", on_family)
    bus.subscribe("*", on_all)
    assert bus.publish("entry.published", {"id": 7}) == 3
    assert bus.publish("entry.created", {"id": 8}) == 2
    assert bus.publish("security.login_failed", {"ip": "127.0.0.1"}) == 1
    assert exact == [("entry.published", {"id": 7})]
    assert [name for name, _ in family] == ["entry.published", "entry.created"]
    assert len(everything) == 3


@pytest.mark.parametrize("name", ["entry.exploded", "security.", "Entry.created", ""])
def test_unknown_names_are_refused(name: str) -> None:
    bus = EventBus()
    with pytest.raises(UnknownEventError):
        bus.publish(name)
    with pytest.raises(UnknownEventError):
        bus.subscribe(name, lambda n, p: None)


def test_failing_subscriber_is_logged_and_others_still_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from versehub.core.logging import configure_logging

    configure_logging(level="INFO", json=False)
    bus = EventBus()
    seen, on_event = recorder()

    def broken(name: str, payload: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe("user.created", broken)
    bus.subscribe("user.created", on_event)
    before = (
        REGISTRY.get_sample_value(
            "versehub_event_subscriber_errors_total", {"event": "user.created"}
        )
        or 0.0
    )
    assert bus.publish("user.created", {"user_id": 1}) == 1
    assert seen == [("user.created", {"user_id": 1})]
    after = REGISTRY.get_sample_value(
        "versehub_event_subscriber_errors_total", {"event": "user.created"}
    )
    assert after == before + 1
    err = capsys.readouterr().err
    assert "event_subscriber_failed" in err
    assert "subscriber bug" in err


def test_payload_is_a_copy_per_publish() -> None:
    bus = EventBus()

    def mutate(name: str, payload: dict[str, Any]) -> None:
        payload["extra"] = True

    bus.subscribe("entry.updated", mutate)
    original = {"id": 1}
    bus.publish("entry.updated", original)
    assert original == {"id": 1}


def test_unsubscribe() -> None:
    bus = EventBus()
    seen, on_event = recorder()
    bus.subscribe("agent.online", on_event)
    bus.unsubscribe("agent.online", on_event)
    bus.unsubscribe("agent.online", on_event)  # absent: no error
    bus.publish("agent.online")
    assert seen == []


def test_each_app_has_its_own_bus(app: Flask, make_app: Any) -> None:
    other = make_app()
    seen, on_event = recorder()
    app.extensions["versehub.events"].subscribe("entry.deleted", on_event)
    with other.app_context():
        publish("entry.deleted", id=1)
    assert seen == []
    with app.app_context():
        publish("entry.deleted", id=2)
    assert seen == [("entry.deleted", {"id": 2})]

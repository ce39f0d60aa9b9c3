"""Circuit breakers: opening, half-open trials, closing, metrics, logs, Redis-shared state."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Blueprint, Flask, Response
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from tests.conftest import base_settings
from tests.servers import free_port, own_redis_server
from versehub import create_app
from versehub.core.breakers import (
    Breaker,
    BreakerRegistry,
    breaker_states,
    check_breakers,
    get_breaker,
    init_breakers,
)
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.settings import load_settings

WAIT = 5.0  # upper bound for anything that waits; never a timing assertion


class ProviderDown(ConnectionError):
    """What an outside call raises when the provider fails."""


def fail() -> None:
    raise ProviderDown("provider down")


def succeed() -> str:
    return "ok"


def trip(breaker: Breaker) -> None:
    """Fail `fail_max` times: each failing call still raises its own error."""
    for _ in range(breaker.fail_max):
        with pytest.raises(ProviderDown):
            breaker.call(fail)
    assert breaker.current_state == "open"


def call_when_admitted(breaker: Breaker, func: Callable[[], Any]) -> Any:
    """Retry until the breaker lets `func` run (after its reset timeout); return its result."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return breaker.call(func)
        except APIError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def state_changes(breaker: str, state: str) -> float:
    value = REGISTRY.get_sample_value(
        "versehub_circuit_breaker_state_changes_total", {"breaker": breaker, "state": state}
    )
    return value or 0.0


def make_flask(tmp_path: Path, **overrides: Any) -> Flask:
    """A bare app with only the breaker registry (like one process)."""
    settings = load_settings(
        {**base_settings(tmp_path / "instance", f"sqlite:///{tmp_path}/unused.db"), **overrides}
    )
    app = Flask(__name__)
    init_breakers(app, settings)
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    flask_app = make_flask(tmp_path)
    with flask_app.app_context():
        yield flask_app


# --- the state machine of a breaker ---------------------------------------------------------------
@pytest.mark.usefixtures("app")
def test_opens_after_fail_max_failures() -> None:
    breaker = get_breaker("payments", fail_max=3)
    for _ in range(2):
        with pytest.raises(ProviderDown):
            breaker.call(fail)
    assert breaker.current_state == "closed"
    with pytest.raises(ProviderDown):  # the tripping call reports its own failure
        breaker.call(fail)
    assert breaker.current_state == "open"

    ran: list[bool] = []
    with pytest.raises(APIError) as info:
        breaker.call(lambda: ran.append(True))
    assert ran == []
    error = info.value
    assert (error.code, error.status) == ("SYS_SERVICE_UNAVAILABLE", 503)
    assert error.details["breaker"] == "payments"
    assert 1 <= error.details["retry_after"] <= 30
    assert error.headers["Retry-After"] == str(error.details["retry_after"])


@pytest.mark.usefixtures("app")
def test_success_resets_the_failure_count() -> None:
    breaker = get_breaker("flaky", fail_max=2)
    for _ in range(3):
        with pytest.raises(ProviderDown):
            breaker.call(fail)
        assert breaker.call(succeed) == "ok"
    assert breaker.current_state == "closed"


@pytest.mark.usefixtures("app")
def test_the_caller_chooses_the_error_code() -> None:
    breaker = get_breaker("ai", fail_max=1, error_code="AI_PROVIDER_ERROR")
    trip(breaker)
    with pytest.raises(APIError) as info:
        breaker.call(succeed)
    assert (info.value.code, info.value.status) == ("AI_PROVIDER_ERROR", 502)


@pytest.mark.usefixtures("app")
def test_the_context_manager_follows_the_same_rules() -> None:
    breaker = get_breaker("ctx", fail_max=1)
    with pytest.raises(ProviderDown), breaker.calling():
        fail()
    with pytest.raises(APIError), breaker.calling():
        pytest.fail("an open breaker must not run the block")


@pytest.mark.usefixtures("app")
def test_excluded_errors_do_not_count() -> None:
    breaker = get_breaker("strict", fail_max=2, exclude=[ValueError])
    for _ in range(4):
        with pytest.raises(ValueError, match="bad input"):
            breaker.call(lambda: int("bad input"))
    assert breaker.current_state == "closed"


@pytest.mark.usefixtures("app")
def test_half_open_after_reset_timeout_then_closed_on_success() -> None:
    breaker = get_breaker("search", fail_max=2, reset_timeout=0.2)
    trip(breaker)
    seen = call_when_admitted(breaker, lambda: breaker.current_state)
    assert seen == "half-open"
    assert breaker.current_state == "closed"
    assert breaker.fail_counter == 0
    assert breaker.call(succeed) == "ok"


@pytest.mark.usefixtures("app")
def test_a_failed_trial_opens_again() -> None:
    breaker = get_breaker("mail", fail_max=2, reset_timeout=0.2)
    trip(breaker)
    with pytest.raises(ProviderDown):
        call_when_admitted(breaker, fail)
    assert breaker.current_state == "open"
    with pytest.raises(APIError):
        breaker.call(succeed)


@pytest.mark.usefixtures("app")
def test_half_open_lets_one_trial_through_at_a_time() -> None:
    breaker = get_breaker("video", fail_max=1, reset_timeout=0.2)
    trip(breaker)

    def trial() -> str:
        with pytest.raises(APIError):
            breaker.call(succeed)  # a second caller while the trial runs is refused
        return "trial done"

    assert call_when_admitted(breaker, trial) == "trial done"
    assert breaker.current_state == "closed"


def test_slow_calls_do_not_block_other_threads(app: Flask) -> None:
    breaker = get_breaker("slow", fail_max=3)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(WAIT)
        return "slow"

    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(breaker.call(slow)))
    worker.start()
    try:
        assert started.wait(WAIT)
        # pybreaker's own `call` would hold the lock here and this call would wait for `slow`.
        assert breaker.call(succeed) == "ok"
        assert results == []
    finally:
        release.set()
        worker.join(WAIT)
    assert results == ["slow"]


# --- registry, metrics, logs, health --------------------------------------------------------------
@pytest.mark.usefixtures("app")
def test_one_breaker_per_name() -> None:
    assert get_breaker("maps") is get_breaker("maps")
    with pytest.raises(ValueError, match="other options"):
        get_breaker("maps", fail_max=9)
    with pytest.raises(ValueError, match="unknown error code"):
        get_breaker("typo", error_code="NOPE")


def test_each_app_has_its_own_breakers(tmp_path: Path) -> None:
    first, second = make_flask(tmp_path), make_flask(tmp_path)
    with first.app_context():
        trip(get_breaker("geo", fail_max=1))
    with second.app_context():
        assert get_breaker("geo", fail_max=1).current_state == "closed"


def test_get_breaker_needs_init(tmp_path: Path) -> None:
    with Flask(__name__).app_context(), pytest.raises(RuntimeError, match="init_breakers"):
        get_breaker("x")


@pytest.mark.usefixtures("app")
def test_state_changes_are_counted_and_logged() -> None:
    name = "metered"
    before = {s: state_changes(name, s) for s in ("open", "half-open", "closed")}
    breaker = get_breaker(name, fail_max=1, reset_timeout=0.2)
    with capture_logs() as logs:
        trip(breaker)
        call_when_admitted(breaker, succeed)
    after = {s: state_changes(name, s) for s in ("open", "half-open", "closed")}
    assert {s: after[s] - before[s] for s in after} == {"open": 1, "half-open": 1, "closed": 1}
    changes = [
        (entry["log_level"], entry["old_state"], entry["new_state"])
        for entry in logs
        if entry["event"] == "circuit_breaker_state_changed" and entry["breaker"] == name
    ]
    assert changes == [
        ("warning", "closed", "open"),
        ("info", "open", "half-open"),
        ("info", "half-open", "closed"),
    ]


@pytest.mark.usefixtures("app")
def test_states_are_reported_for_health() -> None:
    assert breaker_states() == {}
    assert check_breakers().status == "ok"
    get_breaker("calendar")
    trip(get_breaker("translator", fail_max=1))
    assert breaker_states() == {"calendar": "closed", "translator": "open"}
    health = check_breakers()
    assert health.status == "degraded"
    assert health.details == {
        "breakers": {"calendar": "closed", "translator": "open"},
        "storage": "memory",
    }


# --- through the real app: a clean envelope, never a 500 ------------------------------------------
def remote_blueprint() -> Blueprint:
    bp = Blueprint("breakertest", __name__, url_prefix="/api/v1/breakertest")

    @bp.get("/remote")
    def remote() -> Response:
        return envelope({"answer": get_breaker("remote", fail_max=2).call(succeed)})

    return bp


def full_app(tmp_path: Path, **overrides: Any) -> Flask:
    settings = load_settings(
        {**base_settings(tmp_path / "instance", f"sqlite:///{tmp_path}/app.db"), **overrides}
    )
    app = create_app(settings)
    init_breakers(app, settings)  # harmless if create_app already did it
    app.register_blueprint(remote_blueprint())
    return app


def test_open_breaker_answers_with_the_envelope(tmp_path: Path) -> None:
    app = full_app(tmp_path)
    client = app.test_client()
    assert client.get("/api/v1/breakertest/remote").get_json()["data"] == {"answer": "ok"}
    with app.app_context():
        trip(get_breaker("remote", fail_max=2))
    response = client.get("/api/v1/breakertest/remote")
    assert response.status_code == 503
    body = response.get_json()
    assert body["success"] is False
    assert body["error"]["code"] == "SYS_SERVICE_UNAVAILABLE"
    assert body["error"]["details"]["breaker"] == "remote"
    assert response.headers["Retry-After"] == str(body["error"]["details"]["retry_after"])


def test_unreachable_redis_falls_back_to_memory(tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    app = full_app(tmp_path, redis_url=nowhere)
    client = app.test_client()
    with capture_logs() as logs:
        response = client.get("/api/v1/breakertest/remote")
    assert response.status_code == 200, response.data
    assert any(e["event"] == "circuit_breaker_storage_unavailable" for e in logs)
    with app.app_context():
        breaker = get_breaker("remote", fail_max=2)
        trip(breaker)  # still counted, in this process
        assert check_breakers().details["storage"] == "redis-unreachable"
    assert client.get("/api/v1/breakertest/remote").status_code == 503


# --- shared through a real Redis ------------------------------------------------------------------
@pytest.mark.integration
def test_two_processes_share_the_state(tmp_path: Path, redis_url: str) -> None:
    first = make_flask(tmp_path, redis_url=redis_url)
    second = make_flask(tmp_path, redis_url=redis_url)
    with first.app_context():
        trip(get_breaker("provider", fail_max=2))
    with second.app_context():
        breaker = get_breaker("provider", fail_max=2)
        assert breaker_states() == {"provider": "open"}
        ran: list[bool] = []
        with pytest.raises(APIError, match="SYS_SERVICE_UNAVAILABLE"):
            breaker.call(lambda: ran.append(True))
        assert ran == []
    keys = redis.Redis.from_url(redis_url).keys("versehub:breaker:provider:*")
    assert b"versehub:breaker:provider:pybreaker:state" in keys


@pytest.mark.integration
def test_recovery_seen_by_the_other_process(tmp_path: Path, redis_url: str) -> None:
    first = make_flask(tmp_path, redis_url=redis_url)
    second = make_flask(tmp_path, redis_url=redis_url)
    with first.app_context():
        trip(get_breaker("ocr", fail_max=1, reset_timeout=1))
    with second.app_context():
        assert call_when_admitted(get_breaker("ocr", fail_max=1, reset_timeout=1), succeed) == "ok"
    with first.app_context():
        assert breaker_states() == {"ocr": "closed"}


@pytest.mark.integration
def test_redis_going_away_and_coming_back(tmp_path: Path) -> None:
    with own_redis_server() as server:
        registry = BreakerRegistry(
            redis.Redis.from_url(server.url(), socket_timeout=0.5, socket_connect_timeout=0.5),
            storage_retry_after=0.1,
        )
        breaker = registry.get("uploads", fail_max=2)
        with pytest.raises(ProviderDown):
            breaker.call(fail)
        assert registry.storage() == "redis"
        server.stop()
        with capture_logs() as logs:
            assert breaker.call(succeed) == "ok"
            trip(breaker)  # counted in memory meanwhile
        assert registry.storage() == "redis-unreachable"
        assert any(e["event"] == "circuit_breaker_storage_unavailable" for e in logs)

        server.root.mkdir()  # stop() removed it
        server.start()  # same port, empty (no persistence): the shared state starts closed
        deadline = time.monotonic() + WAIT
        while registry.states()["uploads"] != "closed":
            assert time.monotonic() < deadline, "Redis was not used again"
            time.sleep(0.05)
        assert registry.storage() == "redis"

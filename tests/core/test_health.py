"""Liveness and readiness, with real dependencies going down."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import base_settings
from tests.servers import free_port, own_redis_server
from versehub import create_app
from versehub.core.health import register_check
from versehub.core.modules import Health
from versehub.extensions import db


def test_live_answers_without_dependencies(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_lists_every_component(client, db_backend: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.get_json()
    # No job worker runs for this app: reported, and the instance stays ready.
    assert body["status"] == "degraded"
    assert body["checks"]["jobs"] == {**body["checks"]["jobs"], "status": "degraded"}
    assert body["checks"]["jobs"]["error"] == "no worker seen"
    assert {"database", "cache", "broker"} <= set(body["checks"])
    assert body["checks"]["database"]["backend"] == db_backend
    assert body["modules"]["system"]["status"] == "ok"
    assert all(isinstance(c["latency_ms"], float) for c in body["checks"].values())


@pytest.fixture
def unreachable_db_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none?connect_timeout=2"
    app = create_app(base_settings(tmp_path / "instance", url))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_database_down_is_503_with_details(unreachable_db_app: Flask) -> None:
    response = unreachable_db_app.test_client().get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.integration
def test_a_redis_outage_degrades_but_keeps_the_instance_ready(make_app) -> None:  # type: ignore[no-untyped-def]
    # Cache, rate limits and the job broker all on one Redis, which dies mid-test.
    with own_redis_server() as server:
        app = make_app(redis_url=server.url(), rate_limits_enabled=True)
        client = app.test_client()
        up = client.get("/health/ready")
        assert up.status_code == 200, up.get_json()
        assert up.get_json()["checks"]["cache"] == {
            **up.get_json()["checks"]["cache"],
            "status": "ok",
        }
        server.stop()

        response = client.get("/health/ready")
        assert response.status_code == 200  # "send me traffic": reads and writes still work
        body = response.get_json()
        assert body["status"] == "degraded"
        checks = body["checks"]
        assert checks["database"]["status"] == "ok"
        for name in ("cache", "rate_limits", "broker"):
            assert checks[name]["status"] == "degraded", (name, checks[name])
        assert "Redis unreachable" in checks["cache"]["error"]
        assert client.get("/api/v1/entries").status_code == 200


def test_hung_check_fails_within_its_deadline(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(health_timeout=0.2)

    def hung() -> Health:
        time.sleep(3)
        return Health("ok")

    register_check(app, "slow-dependency", hung)
    body = app.test_client().get("/health/ready").get_json()
    assert body["checks"]["slow-dependency"]["status"] == "fail"
    assert "no answer within 0.2s" in body["checks"]["slow-dependency"]["error"]


def test_health_is_not_enveloped_and_not_api(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/health/ready").get_json()
    assert "success" not in body

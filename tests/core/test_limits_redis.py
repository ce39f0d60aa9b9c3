"""Rate limits and bans through a real Redis: shared by apps, and surviving Redis going away."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import capture_logs

from tests.conftest import AppFactory
from tests.core.test_limits import limited_app, statuses
from tests.servers import RedisServer, own_redis_server

pytestmark = pytest.mark.integration

WAIT = 30.0  # upper bound for Redis to be used again after a restart
DEFAULT = "/api/v1/limitstest/default"
STRICT = "/api/v1/limitstest/strict"


@pytest.fixture
def db_backend() -> str:
    """Limits never touch the database: SQLite alone is enough here."""
    return "sqlite"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis server this test may stop and start (the session's shared one must stay up)."""
    with own_redis_server() as server:
        yield server


def limit_keys(url: str) -> list[str]:
    """Rate-limit counters in Redis."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return [str(k) for k in client.keys("versehub:limits*")]
    finally:
        client.close()


def rate_limit_check(client: FlaskClient) -> dict[str, object]:
    """The `rate_limits` entry of /health/ready."""
    check: dict[str, object] = client.get("/health/ready").get_json()["checks"]["rate_limits"]
    return check


def test_two_apps_count_together_and_share_bans(make_app: AppFactory, redis_url: str) -> None:
    first = limited_app(
        make_app, redis_url=redis_url, ban_threshold=1, ban_cache_ttl=0
    ).test_client()
    second = limited_app(
        make_app, redis_url=redis_url, ban_threshold=1, ban_cache_ttl=0
    ).test_client()
    assert first.get(DEFAULT).status_code == 200
    assert second.get(DEFAULT).headers["X-RateLimit-Remaining"] == "1"
    assert first.get(DEFAULT).status_code == 200
    assert second.get(DEFAULT).status_code == 429  # the third in the shared window: a ban
    assert any(key.startswith("versehub:limits") for key in limit_keys(redis_url))

    # The ban made by the second process holds in the first.
    refused = first.get(STRICT)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "RATE_BANNED"
    admin = {"X-Test-As": "admin"}
    listed = first.get("/api/v1/admin/bans", headers=admin).get_json()["data"]["items"]
    assert [item["key"] for item in listed] == ["ip:127.0.0.1"]
    assert second.delete("/api/v1/admin/bans/ip:127.0.0.1", headers=admin).status_code == 200
    assert first.get(STRICT).status_code == 200

    check = rate_limit_check(first)
    assert (check["status"], check["storage"]) == ("ok", "redis")


def test_only_one_process_bans_and_reports(make_app: AppFactory, redis_url: str) -> None:
    apps: list[Flask] = [
        limited_app(make_app, redis_url=redis_url, ban_threshold=2, ban_cache_ttl=0)
        for _ in range(2)
    ]
    events: list[str] = []
    for app in apps:
        app.extensions["versehub.events"].subscribe(
            "security.ban", lambda name, payload: events.append(payload["target"])
        )
    clients = [app.test_client() for app in apps]
    assert [clients[0].get(STRICT).status_code, clients[1].get(STRICT).status_code] == [200, 200]
    assert clients[0].get(STRICT).status_code == 429
    assert clients[1].get(STRICT).status_code == 429  # second violation: banned here
    assert events == ["ip:127.0.0.1"]
    assert [c.get(DEFAULT).status_code for c in clients] == [403, 403]


def test_redis_going_away_degrades_to_per_process_limits(
    make_app: AppFactory, own_redis: RedisServer
) -> None:
    url = own_redis.url(0)
    app = limited_app(make_app, redis_url=url, rate_limit_default="3/minute", ban_threshold=2)
    client = app.test_client()
    assert client.get(DEFAULT).headers["X-RateLimit-Remaining"] == "2"
    assert limit_keys(url)
    assert rate_limit_check(client)["status"] == "ok"

    own_redis.stop()
    with capture_logs() as logs:
        # Counting starts again in this process, and is still enforced: no 500 on the way.
        codes = statuses(client, DEFAULT, 4)
    assert codes == [200, 200, 200, 429]
    events = {entry["event"] for entry in logs}
    assert "rate_limit_storage_unavailable" in events
    assert "rate_limit_bans_storage_unavailable" in events
    check = rate_limit_check(client)
    assert check["status"] == "degraded"
    assert check["storage"] == "memory (per process)"
    # Bans still work, in this process.
    assert client.get(DEFAULT).status_code == 429
    banned = client.get(STRICT)
    assert banned.status_code == 403
    assert banned.get_json()["error"]["code"] == "RATE_BANNED"
    admin = {"X-Test-As": "admin"}
    listed = client.get("/api/v1/admin/bans", headers=admin)
    assert [item["key"] for item in listed.get_json()["data"]["items"]] == ["ip:127.0.0.1"]

    own_redis.root.mkdir()  # stop() removed it
    own_redis.start()  # same port, empty (no persistence)
    deadline = time.monotonic() + WAIT
    # Requests make the limiter re-check Redis (with a back-off); the probe re-checks the bans.
    while rate_limit_check(client)["status"] != "ok":
        assert time.monotonic() < deadline, "Redis was not used again"
        assert (
            client.get("/api/v1/limitstest/free", headers={"X-Test-As": "member"}).status_code
            == 200
        )
        time.sleep(0.2)
    assert rate_limit_check(client)["storage"] == "redis"
    # The ban is a database row: Redis restarting empty did not forget it.
    assert client.get(STRICT).status_code == 403
    assert client.get(DEFAULT, headers={"X-Test-As": "editor"}).status_code == 200
    assert limit_keys(url)  # counted in Redis again

"""Bans are database rows: every process (gunicorn workers) and the CLI see the same bans."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from tests.conftest import AppFactory
from tests.core.test_limits import get_ban, limited_app
from versehub.core.limits.bans import Ban, BanStore
from versehub.core.limits.violations import MemoryViolations
from versehub.extensions import db
from versehub.modules.accounts.models import AuditEvent

DEFAULT = "/api/v1/limitstest/default"
ADMIN = {"X-Test-As": "admin"}
TTL = 0.3


def worker(make_app: AppFactory, **overrides: Any) -> Flask:
    """One server process: limits on, a ban after one violation, a short ban cache."""
    settings: dict[str, Any] = {"ban_threshold": 1, "ban_cache_ttl": TTL, **overrides}
    return limited_app(make_app, **settings)


def audit_rows(app: Flask, event: str) -> list[AuditEvent]:
    """The audit trail's rows for `event`, oldest first."""
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
        return list(db.session.scalars(query))


@pytest.mark.parametrize(
    "counting", ["memory", pytest.param("redis", marks=pytest.mark.integration)]
)
def test_a_ban_made_by_one_process_holds_in_every_other(
    make_app: AppFactory, counting: str, request: pytest.FixtureRequest
) -> None:
    # Violations count in memory or in Redis; the ban is a row either way.
    redis_url = request.getfixturevalue("redis_url") if counting == "redis" else None
    first = worker(make_app, redis_url=redis_url).test_client()
    second = worker(make_app, redis_url=redis_url).test_client()
    assert second.get(DEFAULT).status_code == 200  # its copy of the bans: none
    get_ban(first)
    assert first.get(DEFAULT).status_code == 403
    time.sleep(TTL + 0.1)  # the other process trusts its copy for ban_cache_ttl seconds
    refused = second.get(DEFAULT)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "RATE_BANNED"
    listed = second.get("/api/v1/admin/bans", headers=ADMIN).get_json()["data"]["items"]
    assert [(item["key"], item["actor"], item["reason"]) for item in listed] == [
        ("ip:127.0.0.1", "system", "rate_limit")
    ]

    # Lifted in the second: the first, which made the ban, lets the caller in again.
    assert second.delete("/api/v1/admin/bans/ip:127.0.0.1", headers=ADMIN).status_code == 200
    time.sleep(TTL + 0.1)
    assert first.get("/api/v1/limitstest/free").status_code == 200


def test_the_cli_lists_and_lifts_what_the_server_made(make_app: AppFactory) -> None:
    server = worker(make_app)
    client = server.test_client()
    get_ban(client)
    # The CLI is another process with the same settings (limits play no part in it).
    runner = make_app(ban_cache_ttl=TTL).test_cli_runner()
    rows = json.loads(runner.invoke(args=["bans", "list", "--json"]).output)
    assert [(row["key"], row["actor"]) for row in rows] == [("ip:127.0.0.1", "system")]
    table = runner.invoke(args=["bans", "list"]).output
    assert "ip:127.0.0.1" in table
    assert "system" in table

    lifted = runner.invoke(args=["bans", "lift", "ip:127.0.0.1"])
    assert lifted.exit_code == 0, lifted.output
    time.sleep(TTL + 0.1)
    assert client.get("/api/v1/limitstest/free").status_code == 200
    assert runner.invoke(args=["bans", "list"]).output.strip() == "No active bans."

    added = runner.invoke(args=["bans", "add", "ip:203.0.113.9", "--reason", "scraper"])
    assert added.exit_code == 0, added.output
    time.sleep(TTL + 0.1)
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(DEFAULT, environ_base=elsewhere).status_code == 403
    assert client.get(DEFAULT).status_code == 200
    listed = client.get("/api/v1/admin/bans", headers=ADMIN).get_json()["data"]["items"]
    assert [(i["key"], i["actor"], i["reason"]) for i in listed] == [
        ("ip:203.0.113.9", "cli", "scraper")
    ]
    again = runner.invoke(args=["bans", "add", "ip:203.0.113.9"])
    assert again.exit_code == 1
    assert "banned already" in again.output
    assert runner.invoke(args=["bans", "add", "somebody"]).exit_code == 2


def test_ban_and_unban_are_audited_with_target_and_actor(make_app: AppFactory) -> None:
    app = worker(make_app)
    client = app.test_client()
    get_ban(client)
    assert client.delete("/api/v1/admin/bans/ip:127.0.0.1", headers=ADMIN).status_code == 200
    get_ban(client)
    assert app.test_cli_runner().invoke(args=["bans", "lift", "ip:127.0.0.1"]).exit_code == 0

    bans = audit_rows(app, "security.ban")
    assert [(row.target, row.actor_id, row.details["actor"]) for row in bans] == [
        ("ip:127.0.0.1", None, "system"),
        ("ip:127.0.0.1", None, "system"),
    ]
    assert bans[0].ip == "127.0.0.1"
    assert bans[0].details["violations"] == 1
    unbans = audit_rows(app, "security.unban")
    assert [(row.target, row.actor_id, row.details["actor"]) for row in unbans] == [
        ("ip:127.0.0.1", 3, "user:3"),
        ("ip:127.0.0.1", None, "cli"),
    ]


def test_processes_crossing_the_threshold_together_ban_once(make_app: AppFactory) -> None:
    app = make_app()
    stores = [BanStore(MemoryViolations()) for _ in range(2)]
    now = time.time()
    with app.app_context():
        assert stores[0].add(Ban("ip:a", now, now + 60, 3)) is True
        assert stores[1].add(Ban("ip:a", now, now + 60, 3)) is False
        assert stores[1].get("ip:a") is not None
        # An expired ban does not stand in the way of a new one.
        assert stores[0].add(Ban("ip:b", now - 120, now - 60, 3)) is True
        assert stores[1].add(Ban("ip:b", now, now + 60, 3)) is True
        assert [ban.key for ban in stores[0].list()] == ["ip:a", "ip:b"]


def test_an_unreachable_ban_table_never_fails_a_request(make_app: AppFactory) -> None:
    app = worker(make_app, ban_cache_ttl=0)
    client = app.test_client()
    with app.app_context():
        db.session.execute(text("ALTER TABLE rate_limit_bans RENAME TO rate_limit_bans_away"))
        db.session.commit()
    # Checked, then banned, while the table is away: the ban holds in this process.
    get_ban(client)
    assert client.get(DEFAULT).status_code == 403
    lifted = client.delete("/api/v1/admin/bans/ip:127.0.0.1", headers=ADMIN)
    assert lifted.get_json()["error"]["code"] in {"RATE_BANNED", "SYS_SERVICE_UNAVAILABLE"}
    with app.app_context():
        db.session.execute(text("ALTER TABLE rate_limit_bans_away RENAME TO rate_limit_bans"))
        db.session.commit()
    assert client.get(DEFAULT).status_code == 403
    # Once the table answers again, the ban is written there: other processes refuse too.
    assert worker(make_app).test_client().get(DEFAULT).status_code == 403

"""Revocation across processes and restarts, the cache in front, races, and the purge."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from tests.modules.accounts.support import assert_error, bearer, count, make_user, tokens_for
from versehub.core.db import utcnow
from versehub.extensions import cache, db
from versehub.modules.accounts.models import LoginThrottle, RefreshToken, RevokedToken
from versehub.modules.accounts.service import lockout, maintenance, revocation
from versehub.modules.accounts.tasks import PURGE_TASK, purge_expired_tokens

ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"


def _logout(client: FlaskClient, pair: dict[str, Any]) -> None:
    response = client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert response.status_code == 200


def test_revocation_holds_across_processes_and_restarts(make_app: AppFactory) -> None:
    one, two = make_app(), make_app()
    make_user(one)
    pair = tokens_for(one.test_client())
    # Process two has seen the token as valid (nothing is cached for valid tokens).
    assert two.test_client().get(ME, headers=bearer(pair["access_token"])).status_code == 200
    _logout(one.test_client(), pair)
    for app in (two, make_app()):  # another live process, then a freshly started one
        response = app.test_client().get(ME, headers=bearer(pair["access_token"]))
        assert_error(response, 401, "AUTH_TOKEN_REVOKED")
        assert_error(
            app.test_client().post(REFRESH, headers=bearer(pair["refresh_token"])),
            401,
            "AUTH_TOKEN_REVOKED",
        )


def test_logout_everywhere_holds_in_other_processes(make_app: AppFactory) -> None:
    one, two = make_app(), make_app()
    make_user(one)
    pair = tokens_for(one.test_client())
    response = two.test_client().post(
        "/api/v1/auth/logout-all", headers=bearer(pair["access_token"])
    )
    assert response.status_code == 200
    assert_error(
        one.test_client().get(ME, headers=bearer(pair["access_token"])), 401, "AUTH_TOKEN_REVOKED"
    )


def test_revoked_ids_are_cached_for_the_token_lifetime(
    app: Flask, client: FlaskClient, make_app: AppFactory, member: dict[str, Any]
) -> None:
    _logout(client, member)
    jti = jwt.decode(member["access_token"], options={"verify_signature": False})["jti"]
    with app.app_context():
        assert cache.get(revocation.CACHE_PREFIX + jti) == 1
        # The table is the truth for other processes; this one answers from its cache.
        db.session.execute(delete(RevokedToken))
        db.session.commit()
    assert_error(client.get(ME, headers=bearer(member["access_token"])), 401, "AUTH_TOKEN_REVOKED")
    fresh = make_app().test_client()  # empty cache, empty table: the token would pass again
    assert fresh.get(ME, headers=bearer(member["access_token"])).status_code == 200


@pytest.mark.integration
def test_revocation_with_a_shared_redis_cache(make_app: AppFactory, redis_url: str) -> None:
    one, two = make_app(redis_url=redis_url), make_app(redis_url=redis_url)
    make_user(one)
    pair = tokens_for(one.test_client())
    _logout(one.test_client(), pair)
    response = two.test_client().get(ME, headers=bearer(pair["access_token"]))
    assert_error(response, 401, "AUTH_TOKEN_REVOKED")


def _race(apps: list[Flask], token: str) -> list[TestResponse]:
    barrier = threading.Barrier(len(apps))
    results: list[TestResponse] = []
    lock = threading.Lock()

    def run(app: Flask) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(REFRESH, headers=bearer(token))
        with lock:
            results.append(response)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("racers", [2, 4])
def test_concurrent_refreshes_exactly_one_wins(make_app: AppFactory, racers: int) -> None:
    apps = [make_app() for _ in range(racers)]
    make_user(apps[0])
    pair = tokens_for(apps[0].test_client())
    results = _race(apps, pair["refresh_token"])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [401] * (racers - 1), [r.get_json() for r in results]
    for response in results:
        if response.status_code == 401:
            assert_error(response, 401, "AUTH_TOKEN_REVOKED")
    assert count(apps[0], RefreshToken, RefreshToken.used_at.is_not(None)) == 1
    # The losers presented a spent token: reuse, so the family (with the winner's pair) is gone.
    winner = next(r for r in results if r.status_code == 200).get_json()["data"]
    response = apps[0].test_client().get(ME, headers=bearer(winner["access_token"]))
    assert_error(response, 401, "AUTH_TOKEN_REVOKED")


def test_purge_removes_only_what_expired(app: Flask, client: FlaskClient, member_id: int) -> None:
    live = tokens_for(client)
    old = tokens_for(client)
    _logout(client, old)
    now = utcnow()
    with app.app_context():
        db.session.add(
            RevokedToken(token_id="gone", kind="access", expires_at=now - timedelta(seconds=1))
        )
        stale = RefreshToken(
            jti_hash="0" * 64,
            user_id=member_id,
            family_id="f" * 32,
            expires_at=now - timedelta(days=1),
        )
        db.session.add(stale)
        db.session.add(
            LoginThrottle(key="login:old", failures=2, updated_at=now - timedelta(days=2))
        )
        db.session.add(LoginThrottle(key=lockout.key_for_user(member_id), failures=1))
        db.session.commit()
        counts = maintenance.purge_expired(now=now)
        db.session.commit()
    assert counts == {"revocations": 1, "refresh_tokens": 1, "login_throttles": 1}
    assert count(app, RevokedToken) == 2  # the logged-out access token and its family
    assert count(app, RefreshToken) == 2
    assert count(app, LoginThrottle) == 1
    assert client.get(ME, headers=bearer(live["access_token"])).status_code == 200
    assert_error(client.get(ME, headers=bearer(old["access_token"])), 401, "AUTH_TOKEN_REVOKED")


def test_purge_task_is_registered_and_scheduled(app: Flask) -> None:
    celery_app = app.extensions["celery"]
    assert celery_app.conf.beat_schedule[PURGE_TASK]["task"] == PURGE_TASK
    assert purge_expired_tokens.name == PURGE_TASK
    assert PURGE_TASK in celery_app.tasks

"""The per-process principal cache: no SQL on a hit, exact across processes (two apps here).

Two apps on one database behave like two gunicorn workers: each has its own principal cache
and its own change-bus listener (tests/integration/test_change_bus.py runs real workers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.modules.accounts.support import bearer, make_user, tokens_for
from tests.sql import sql_statements
from versehub.core.auth import Principal
from versehub.core.errors import APIError
from versehub.core.events import publish as publish_event
from versehub.extensions import db
from versehub.modules.accounts.api.resolvers import api_key_principal, bearer_principal
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import access, api_keys, sessions, users
from versehub.modules.accounts.service.meta import RequestMeta

AppFactory = Callable[..., Flask]
ME = "/api/v1/auth/me"
ADMIN_LIST = "/api/v1/admin/users"


def resolve(app: Flask, headers: dict[str, str]) -> tuple[Principal | str, list[str]]:
    """The caller `app` resolves for `headers` (or the refusal's code) and the SQL it ran."""
    resolver = api_key_principal if "X-API-Key" in headers else bearer_principal
    with app.test_request_context(ME, headers=headers), sql_statements(app) as seen:
        try:
            found: Principal | str | None = resolver()
        except APIError as exc:
            found = exc.code
        finally:
            db.session.remove()
    assert found is not None
    return found, seen


def eventually(app: Flask, headers: dict[str, str], check: Callable[[Any], bool]) -> Any:
    """Resolve until `check` holds: PostgreSQL's NOTIFY reaches the other app's thread in ms."""
    deadline = time.monotonic() + 5
    while True:
        found, _ = resolve(app, headers)
        if check(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


@pytest.fixture
def two_apps(make_app: AppFactory) -> tuple[Flask, Flask]:
    return make_app(), make_app()


@pytest.fixture
def token(two_apps: tuple[Flask, Flask]) -> str:
    one, _ = two_apps
    make_user(one, roles=("member",), verified=True)
    access_token: str = tokens_for(one.test_client())["access_token"]
    return access_token


def warm(app: Flask, headers: dict[str, str]) -> Principal:
    """Resolve twice: the second answer comes from the cache, without SQL."""
    resolve(app, headers)
    found, seen = resolve(app, headers)
    assert seen == [], seen
    assert isinstance(found, Principal)
    return found


def meta() -> RequestMeta:
    return RequestMeta()


def test_a_cache_hit_runs_no_sql(two_apps: tuple[Flask, Flask], token: str) -> None:
    one, _ = two_apps
    first, seen = resolve(one, bearer(token))
    assert isinstance(first, Principal)
    assert len(seen) == 1  # the miss: one statement
    assert warm(one, bearer(token)) == first


def test_logout_in_one_process_refuses_the_token_in_the_other(
    two_apps: tuple[Flask, Flask], token: str
) -> None:
    one, two = two_apps
    warm(two, bearer(token))
    assert one.test_client().post("/api/v1/auth/logout", headers=bearer(token)).status_code == 200
    assert eventually(two, bearer(token), lambda found: found == "AUTH_TOKEN_REVOKED") == (
        "AUTH_TOKEN_REVOKED"
    )


def test_logout_everywhere_and_disabling_reach_the_other_process(
    two_apps: tuple[Flask, Flask], token: str
) -> None:
    one, two = two_apps
    warm(two, bearer(token))
    with one.app_context():
        sessions.logout_all(user=db.session.get_one(User, 1), meta=meta())
    assert eventually(two, bearer(token), lambda f: isinstance(f, str)) == "AUTH_TOKEN_REVOKED"
    fresh = tokens_for(one.test_client())["access_token"]
    warm(two, bearer(fresh))
    with one.app_context():
        access.set_active(
            user=db.session.get_one(User, 1), active=False, actor_id=None, meta=meta()
        )
    assert eventually(two, bearer(fresh), lambda f: isinstance(f, str)) == "AUTH_TOKEN_REVOKED"


def test_role_and_module_changes_reach_the_other_process(
    two_apps: tuple[Flask, Flask], token: str
) -> None:
    one, two = two_apps
    assert warm(two, bearer(token)).roles == frozenset({"member"})
    with one.app_context():
        users.set_roles(
            user=db.session.get_one(User, 1), roles=["editor"], actor_id=None, meta=meta()
        )
    found = eventually(two, bearer(token), lambda f: f.roles == frozenset({"editor"}))
    assert found.roles == frozenset({"editor"})
    warm(two, bearer(token))
    with one.app_context():
        access.set_module_access(
            user=db.session.get_one(User, 1),
            module="knowledge",
            allowed=True,
            known_modules=["knowledge"],
            actor_id=1,
            meta=meta(),
        )
    found = eventually(two, bearer(token), lambda f: "knowledge" in f.modules_granted)
    assert found.modules_granted == frozenset({"knowledge"})


def test_a_user_deleted_between_two_requests(two_apps: tuple[Flask, Flask], token: str) -> None:
    one, two = two_apps
    warm(two, bearer(token))
    with one.app_context():
        db.session.delete(db.session.get_one(User, 1))
        db.session.commit()
    assert eventually(two, bearer(token), lambda f: isinstance(f, str)) == "AUTH_TOKEN_INVALID"


def test_a_key_revoked_in_one_process_is_refused_in_the_other(
    two_apps: tuple[Flask, Flask], token: str
) -> None:
    one, two = two_apps
    with one.app_context():
        owner = db.session.get_one(User, 1)
        row, key = api_keys.create(
            owner=owner,
            actor_id=1,
            actor_is_admin=False,
            name="ci",
            scopes=["entries:read"],
            expires_at=None,
            meta=meta(),
        )
        key_id = row.id
    headers = {"X-API-Key": key}
    assert warm(two, headers).api_key_id == key_id
    with one.app_context():
        api_keys.revoke(key_id=key_id, actor_id=1, actor_is_admin=False, meta=meta())
    assert eventually(two, headers, lambda f: isinstance(f, str)) == "AUTH_TOKEN_REVOKED"


def test_the_owner_disabled_stops_the_key_in_the_other_process(
    two_apps: tuple[Flask, Flask], token: str
) -> None:
    one, two = two_apps
    with one.app_context():
        _, key = api_keys.create(
            owner=db.session.get_one(User, 1),
            actor_id=1,
            actor_is_admin=False,
            name="ci",
            scopes=["entries:read"],
            expires_at=None,
            meta=meta(),
        )
    headers = {"X-API-Key": key}
    warm(two, headers)
    with one.app_context():
        access.set_active(
            user=db.session.get_one(User, 1), active=False, actor_id=None, meta=meta()
        )
    assert eventually(two, headers, lambda f: isinstance(f, str)) == "AUTH_TOKEN_REVOKED"


def test_a_rolled_back_change_sends_nothing(two_apps: tuple[Flask, Flask], token: str) -> None:
    one, two = two_apps
    warm(two, bearer(token))
    with one.app_context():
        db.session.get_one(User, 1).is_active = False
        db.session.flush()
        db.session.rollback()
    # The other process keeps its entry (no SQL) and the token still works.
    found, seen = resolve(two, bearer(token))
    assert isinstance(found, Principal)
    assert seen == []


def test_without_the_bus_every_request_reads_the_database(make_app: AppFactory) -> None:
    app = make_app(change_bus="off")
    make_user(app)
    token = tokens_for(app.test_client())["access_token"]
    for _ in range(2):
        found, seen = resolve(app, bearer(token))
        assert isinstance(found, Principal)
        assert len(seen) == 1


def test_an_in_process_event_does_not_touch_the_cache(
    two_apps: tuple[Flask, Flask], token: str, client: FlaskClient
) -> None:
    # Core events (blinker) stay in one process; the cache listens to the change bus only.
    one, _ = two_apps
    warm(one, bearer(token))
    with one.app_context():
        publish_event("user.logout", user_id=1)
    found, seen = resolve(one, bearer(token))
    assert isinstance(found, Principal)
    assert seen == []

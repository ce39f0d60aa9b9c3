"""Guards on the request's Principal, resolved once per request through registered resolvers."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, request

from tests.conftest import AppFactory
from versehub.core.auth import (
    Principal,
    current_principal,
    login_required,
    register_resolver,
    require_module,
    require_role,
    require_scope,
    require_verified_email,
)
from versehub.core.envelope import envelope
from versehub.core.errors import APIError

PEOPLE = {
    "member": Principal(kind="user", user_id=1, roles=frozenset({"member"})),
    "editor": Principal(kind="user", user_id=2, roles=frozenset({"editor"})),
    "admin": Principal(kind="user", user_id=3, roles=frozenset({"admin"})),
    "denied": Principal(
        kind="user",
        user_id=4,
        roles=frozenset({"member"}),
        modules_denied=frozenset({"knowledge"}),
    ),
    "unverified": Principal(kind="user", user_id=5, email_verified=False),
    "key-read": Principal(
        kind="api_key", user_id=6, api_key_id=9, scopes=frozenset({"entries:read"})
    ),
}


@pytest.fixture
def guarded(make_app: AppFactory) -> Flask:
    app = make_app()
    calls: list[str] = []
    app.extensions["test.resolver_calls"] = calls

    def resolver() -> Principal | None:
        calls.append(request.path)
        who = request.headers.get("X-Test-As")
        if who == "bad":
            raise APIError("AUTH_TOKEN_INVALID")
        return PEOPLE.get(who or "")

    register_resolver(app, resolver)
    bp = Blueprint("guarded", __name__, url_prefix="/api/v1/guarded")

    @bp.get("/any")
    @login_required
    def any_user():  # type: ignore[no-untyped-def]
        current_principal()
        principal = current_principal()
        assert principal is not None
        return envelope({"user_id": principal.user_id, "key": principal.rate_limit_key})

    @bp.get("/editors")
    @require_role("editor")
    def editors():  # type: ignore[no-untyped-def]
        return envelope({"ok": True})

    @bp.get("/write")
    @require_scope("entries:write")
    def write():  # type: ignore[no-untyped-def]
        return envelope({"ok": True})

    @bp.get("/knowledge")
    @require_module("knowledge")
    def knowledge():  # type: ignore[no-untyped-def]
        return envelope({"ok": True})

    @bp.get("/verified")
    @require_verified_email
    def verified():  # type: ignore[no-untyped-def]
        return envelope({"ok": True})

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize(
    ("path", "who", "status", "code"),
    [
        ("any", None, 401, "AUTH_REQUIRED"),
        ("any", "bad", 401, "AUTH_TOKEN_INVALID"),
        ("any", "member", 200, None),
        ("editors", "member", 403, "AUTH_INSUFFICIENT_PERMISSIONS"),
        ("editors", "editor", 200, None),
        ("editors", "admin", 200, None),
        ("write", "key-read", 403, "AUTH_INSUFFICIENT_PERMISSIONS"),
        ("write", "member", 200, None),
        ("knowledge", "denied", 403, "AUTH_INSUFFICIENT_PERMISSIONS"),
        ("knowledge", "member", 200, None),
        ("verified", "unverified", 403, "AUTH_EMAIL_UNVERIFIED"),
        ("verified", "member", 200, None),
    ],
)
def test_guards(guarded: Flask, path: str, who: str | None, status: int, code: str | None) -> None:
    headers = {"X-Test-As": who} if who else {}
    response = guarded.test_client().get(f"/api/v1/guarded/{path}", headers=headers)
    assert response.status_code == status
    body = response.get_json()
    assert (body["error"] or {}).get("code") == code


def test_principal_is_resolved_once_per_request(guarded: Flask) -> None:
    response = guarded.test_client().get("/api/v1/guarded/any", headers={"X-Test-As": "key-read"})
    assert response.get_json()["data"] == {"user_id": 6, "key": "key:9"}
    assert guarded.extensions["test.resolver_calls"] == ["/api/v1/guarded/any"]


def test_restricted_module_needs_a_grant(make_app: AppFactory) -> None:
    from dataclasses import replace

    from versehub.core.auth import may_use_module
    from versehub.core.modules import get_registry

    app = make_app()
    with app.app_context():
        registry = get_registry()
        registry.enabled[:] = [replace(m, restricted=m.deniable) for m in registry.enabled]
        member = PEOPLE["member"]
        granted = replace(member, modules_granted=frozenset({"knowledge"}))
        assert may_use_module(member, "knowledge") is False
        assert may_use_module(granted, "knowledge") is True
        assert may_use_module(PEOPLE["admin"], "knowledge") is True
        assert may_use_module(granted, "not-a-module") is False


def test_resolver_position_sets_precedence(make_app: AppFactory) -> None:
    app = make_app()
    app.extensions["versehub.auth_resolvers"] = []
    register_resolver(app, lambda: PEOPLE["member"])
    register_resolver(app, lambda: PEOPLE["editor"], position=0)

    @app.get("/api/v1/who")
    def who():  # type: ignore[no-untyped-def]
        principal = current_principal()
        assert principal is not None
        return envelope({"user_id": principal.user_id})

    assert app.test_client().get("/api/v1/who").get_json()["data"] == {"user_id": 2}


@pytest.mark.parametrize("limits", [False, True], ids=["limits-off", "limits-on"])
@pytest.mark.parametrize(
    ("path", "status"),
    [("any", 401), ("editors", 401), ("/api/v1/nowhere", 404), ("/health/live", 200)],
)
def test_bad_credentials_are_resolved_once_and_refused_only_where_asked(
    make_app: AppFactory, limits: bool, path: str, status: int
) -> None:
    app = make_app(rate_limits_enabled=limits, rate_limit_default="100/minute")
    calls: list[str] = []

    def resolver() -> Principal | None:
        calls.append(request.path)
        raise APIError("AUTH_TOKEN_INVALID")

    register_resolver(app, resolver, position=0)
    bp = Blueprint("asked", __name__, url_prefix="/api/v1/asked")
    bp.get("/any")(login_required(lambda: envelope({"ok": True})))
    bp.get("/editors", endpoint="editors")(require_role("editor")(lambda: envelope({})))
    app.register_blueprint(bp)
    url = path if path.startswith("/") else f"/api/v1/asked/{path}"
    response = app.test_client().get(url)
    assert response.status_code == status
    if status == 401:
        assert response.get_json()["error"]["code"] == "AUTH_TOKEN_INVALID"
    assert calls == [url]


def test_the_caller_is_resolved_before_rate_limits(make_app: AppFactory) -> None:
    from versehub.core.auth import resolve_caller
    from versehub.core.limits import current_limits
    from versehub.core.limits.extension import _limit_request

    app = make_app(rate_limits_enabled=True)
    with app.app_context():
        limiter_check = current_limits().limiter._check_request_limit
    hooks = app.before_request_funcs[None]
    # One hook learns the route, refuses bans and counts (Flask-Limiter's own check is called
    # from it, never registered beside it).
    assert hooks.index(resolve_caller) < hooks.index(_limit_request)
    assert limiter_check not in hooks
    assert hooks.count(resolve_caller) == 1


def test_limits_refuse_to_start_before_the_caller_step(make_app: AppFactory) -> None:
    from versehub.core.errors import StartupError
    from versehub.core.limits import init_limits

    settings = make_app().extensions["versehub.settings"]
    with pytest.raises(StartupError, match="init_auth"):
        init_limits(Flask(__name__), settings)


def test_outside_a_dispatch_the_first_ask_resolves_and_a_preflight_never_does(
    guarded: Flask,
) -> None:
    calls = guarded.extensions["test.resolver_calls"]
    with guarded.test_request_context("/api/v1/guarded/any", headers={"X-Test-As": "member"}):
        assert current_principal() == PEOPLE["member"]
        assert current_principal() == PEOPLE["member"]
    assert calls == ["/api/v1/guarded/any"]
    guarded.test_client().options("/api/v1/guarded/any", headers={"X-Test-As": "member"})
    assert calls == ["/api/v1/guarded/any"]

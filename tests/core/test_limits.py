"""Rate limits and auto-bans in memory: headers, 429/403 answers, keys, proxies, admin tools."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Blueprint, Flask, Response, request
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from tests.conftest import AppFactory, base_settings
from versehub.core.auth import Principal, login_required, register_resolver
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.core.limits import auth_limit, exempt, limit, request_key
from versehub.core.limits.storage import SWEEP_EVERY, LocalCounters
from versehub.core.limits.violations import MemoryViolations
from versehub.settings import SettingsError, load_settings

PEOPLE = {
    "member": Principal(kind="user", user_id=1, roles=frozenset({"member"})),
    "editor": Principal(kind="user", user_id=2, roles=frozenset({"editor"})),
    "admin": Principal(kind="user", user_id=3, roles=frozenset({"admin"})),
    "key-read": Principal(
        kind="api_key", user_id=6, api_key_id=9, scopes=frozenset({"entries:read"})
    ),
}
ENVELOPE_KEYS = ["success", "message", "data", "error", "warnings"]
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture
def db_backend() -> str:
    """Limits count in memory: SQLite is enough (test_bans.py runs the ban table on both)."""
    return "sqlite"


def resolver() -> Principal | None:
    """Fake login through a header, as the accounts module's resolvers will do for real."""
    who = request.headers.get("X-Test-As")
    if who == "bad":
        raise APIError("AUTH_TOKEN_INVALID")
    return PEOPLE.get(who or "")


def make_blueprint() -> Blueprint:
    """Routes with each kind of limit (a fresh blueprint per app)."""
    bp = Blueprint("limitstest", __name__)

    @bp.get("/api/v1/limitstest/default")
    def default() -> Response:
        return envelope({"key": request_key()})

    @bp.get("/api/v1/limitstest/strict")
    @limit("2/minute")
    def strict() -> Response:
        return envelope({"ok": True})

    @bp.get("/api/v1/limitstest/pair-a")
    @limit("3/minute", scope="pair")
    def pair_a() -> Response:
        return envelope({"ok": True})

    @bp.get("/api/v1/limitstest/pair-b")
    @limit("3/minute", scope="pair")
    def pair_b() -> Response:
        return envelope({"ok": True})

    @bp.get("/api/v1/limitstest/stacked")
    @limit("5/minute")
    @limit("2/minute", methods=["GET"])
    def stacked() -> Response:
        return envelope({"ok": True})

    @bp.get("/api/v1/limitstest/me")
    @limit("10/minute")  # above the guard: refused credentials count too
    @login_required
    def me() -> Response:
        return envelope({"key": request_key()})

    @bp.get("/api/v1/limitstest/free")
    @exempt
    def free() -> Response:
        return envelope({"ok": True})

    @bp.post("/api/v1/limitstest/login")
    @auth_limit("login", name_field="login")
    def login() -> Response:
        return envelope({"ok": True})

    @bp.post("/api/v1/limitstest/register")
    @auth_limit("register")
    def register() -> Response:
        return envelope({"ok": True}, status=201)

    @bp.get("/limitstest/page")
    def page() -> Response:
        return Response("<p>hello</p>", mimetype="text/html")

    return bp


def limited_app(make_app: AppFactory, **overrides: Any) -> Flask:
    """An app with limits on (small ones), the fake resolver and the test routes."""
    settings = {
        "rate_limits_enabled": True,
        "rate_limit_default": "3/minute",
        "ban_threshold": 100,
        **overrides,
    }
    app = make_app(**settings)
    register_resolver(app, resolver)
    app.register_blueprint(make_blueprint())
    return app


def collect_security_events(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    """Every `security.*` event the app publishes from now on."""
    events: list[tuple[str, dict[str, Any]]] = []
    app.extensions["versehub.events"].subscribe(
        "security.*", lambda name, payload: events.append((name, payload))
    )
    return events


def statuses(client: FlaskClient, path: str, times: int, **kwargs: Any) -> list[int]:
    """Status codes of `times` GETs."""
    return [client.get(path, **kwargs).status_code for _ in range(times)]


def get_ban(client: FlaskClient, path: str = "/api/v1/limitstest/strict") -> None:
    """Exceed `path` until this client is banned (the app's ban_threshold must be small)."""
    for _ in range(20):
        if client.get(path).status_code == 403:
            return
    raise AssertionError("no ban after 20 requests")


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return limited_app(make_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- headers and the 429 answer -------------------------------------------------------------------
def test_headers_count_down(client: FlaskClient) -> None:
    seen = []
    for _ in range(3):
        response = client.get("/api/v1/limitstest/default")
        assert response.status_code == 200
        assert all(name in response.headers for name in RATE_HEADERS)
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())
        assert "Retry-After" not in response.headers  # only on refusals
        seen.append(response.headers["X-RateLimit-Remaining"])
    assert seen == ["2", "1", "0"]


def test_over_the_limit_is_a_429_envelope_with_retry_after(client: FlaskClient) -> None:
    assert statuses(client, "/api/v1/limitstest/default", 3) == [200, 200, 200]
    response = client.get("/api/v1/limitstest/default")
    assert response.status_code == 429
    body = response.get_json()
    assert list(body) == ENVELOPE_KEYS
    assert body["success"] is False
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    details = body["error"]["details"]
    assert details["limit"] == "3 per 1 minute"
    assert 1 <= details["retry_after"] <= 60
    assert response.headers["Retry-After"] == str(details["retry_after"])
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_html_pages_get_an_error_page(client: FlaskClient) -> None:
    assert statuses(client, "/limitstest/page", 3) == [200, 200, 200]
    response = client.get("/limitstest/page", headers={"Accept": "text/html"})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) >= 1


def test_the_default_limit_is_counted_in_flask_limiters_own_buckets_without_its_check(
    app: Flask, client: FlaskClient
) -> None:
    # Undeclared routes are counted by core.limits.fast; Flask-Limiter's generic check runs only
    # for routes that declare limits. Both count in the same storage, under the same keys.
    state = app.extensions["versehub.limits"]
    checked: list[str] = []
    generic = state.limiter_hooks["before"]
    state.limiter_hooks["before"] = lambda: (checked.append(request.path), generic())[1]
    assert statuses(client, "/api/v1/limitstest/default", 2) == [200, 200]
    assert checked == []
    assert client.get("/api/v1/limitstest/strict").status_code == 200
    assert checked == ["/api/v1/limitstest/strict"]
    storage = state.limiter.storage
    assert isinstance(storage, LocalCounters)
    assert storage.get("LIMITER/ip:127.0.0.1/limitstest.default/3/1/minute") == 2
    with app.test_request_context():
        assert (
            state.limiter.limiter.get_window_stats(
                state.default_limits.items[0], "ip:127.0.0.1", "limitstest.default"
            ).remaining
            == 1
        )


def test_a_route_limit_replaces_the_default(client: FlaskClient) -> None:
    first = client.get("/api/v1/limitstest/strict")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert statuses(client, "/api/v1/limitstest/strict", 2) == [200, 429]


def test_each_endpoint_has_its_own_bucket(client: FlaskClient) -> None:
    assert statuses(client, "/api/v1/limitstest/default", 4) == [200, 200, 200, 429]
    assert client.get("/api/v1/limitstest/strict").status_code == 200


def test_a_scope_is_one_bucket_for_several_routes(client: FlaskClient) -> None:
    assert client.get("/api/v1/limitstest/pair-a").status_code == 200
    assert client.get("/api/v1/limitstest/pair-b").status_code == 200
    assert client.get("/api/v1/limitstest/pair-a").status_code == 200
    assert client.get("/api/v1/limitstest/pair-b").status_code == 429


def test_stacked_limits_all_apply(client: FlaskClient) -> None:
    assert statuses(client, "/api/v1/limitstest/stacked", 3) == [200, 200, 429]


def test_unknown_paths_are_limited_too(client: FlaskClient) -> None:
    codes = statuses(client, "/api/v1/no-such-thing", 4)
    assert codes == [404, 404, 404, 429]


def test_an_exempt_route_is_never_limited(client: FlaskClient) -> None:
    for _ in range(10):
        response = client.get("/api/v1/limitstest/free")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


def test_limits_can_be_switched_off(make_app: AppFactory) -> None:
    app = limited_app(make_app, rate_limits_enabled=False, rate_limit_default="1/minute")
    client = app.test_client()
    for path in ("/api/v1/limitstest/default", "/api/v1/limitstest/strict"):
        for _ in range(5):
            response = client.get(path)
            assert response.status_code == 200
            assert "X-RateLimit-Limit" not in response.headers
    checks = client.get("/health/ready").get_json()["checks"]
    assert checks["rate_limits"]["status"] == "ok"
    assert checks["rate_limits"]["enabled"] is False


def test_the_decorator_is_inert_without_init_limits() -> None:
    bare = Flask(__name__)

    @bare.get("/x")
    @limit("1/minute")
    def x() -> str:
        return "ok"

    client = bare.test_client()
    assert [client.get("/x").status_code for _ in range(3)] == [200, 200, 200]


def test_a_malformed_limit_setting_stops_start_up(tmp_path: Any) -> None:
    settings = base_settings(tmp_path / "instance", f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(SettingsError, match="RATE_LIMIT_DEFAULT"):
        load_settings({**settings, "rate_limit_default": "lots per day"})


# --- whose bucket ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "key"),
    [(None, "ip:127.0.0.1"), ("member", "user:1"), ("key-read", "key:9"), ("bad", "ip:127.0.0.1")],
)
def test_key_is_api_key_else_user_else_ip(client: FlaskClient, who: str | None, key: str) -> None:
    headers = {"X-Test-As": who} if who else {}
    response = client.get("/api/v1/limitstest/default", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["data"]["key"] == key


def test_every_caller_has_its_own_bucket(client: FlaskClient) -> None:
    path = "/api/v1/limitstest/default"
    member = {"X-Test-As": "member"}
    assert statuses(client, path, 4, headers=member) == [200, 200, 200, 429]
    # The member's API key, another user and anonymous callers are counted apart.
    assert client.get(path, headers={"X-Test-As": "key-read"}).status_code == 200
    assert client.get(path, headers={"X-Test-As": "editor"}).status_code == 200
    assert client.get(path).status_code == 200


def test_bad_credentials_count_by_ip_and_the_route_still_reports_them(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/limitstest/me", headers={"X-Test-As": "bad"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "AUTH_TOKEN_INVALID"
    assert response.headers["X-RateLimit-Remaining"] == "9"
    ok = client.get("/api/v1/limitstest/me", headers={"X-Test-As": "member"})
    assert ok.get_json()["data"]["key"] == "user:1"
    # Bad credentials and no credentials share the IP's bucket.
    path = "/api/v1/limitstest/default"
    assert statuses(client, path, 2, headers={"X-Test-As": "bad"}) == [200, 200]
    assert statuses(client, path, 2) == [200, 429]


def test_no_trusted_proxy_ignores_x_forwarded_for(client: FlaskClient) -> None:
    path = "/api/v1/limitstest/default"
    codes = []
    for n in range(4):
        # A client forging a new address each time still counts as the connection's address.
        response = client.get(
            path,
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        codes.append(response.status_code)
        if response.status_code == 200:
            assert response.get_json()["data"]["key"] == "ip:10.0.0.1"
    assert codes == [200, 200, 200, 429]


def test_one_trusted_proxy_honours_the_last_hop(make_app: AppFactory) -> None:
    client = limited_app(make_app, trusted_proxies=1).test_client()
    path = "/api/v1/limitstest/default"

    def get(forwarded_for: str) -> Any:
        return client.get(
            path,
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )

    # Only the hop our proxy appended is trusted: what the client wrote before it is not.
    response = get("198.51.100.1, 203.0.113.7")
    assert response.get_json()["data"]["key"] == "ip:203.0.113.7"
    assert [get(f"198.51.100.{n}, 203.0.113.7").status_code for n in range(3)] == [200, 200, 429]
    assert get("203.0.113.8").get_json()["data"]["key"] == "ip:203.0.113.8"


# --- the auth class -------------------------------------------------------------------------------
def test_auth_limit_counts_per_login_name(make_app: AppFactory) -> None:
    app = limited_app(make_app, rate_limit_login="10/minute", rate_limit_login_name="2/minute")
    client = app.test_client()
    login = "/api/v1/limitstest/login"
    assert client.post(login, json={"login": "ada"}).status_code == 200
    assert client.post(login, json={"login": "ada", "password": "x"}).status_code == 200
    assert client.post(login, json={"login": " ADA "}).status_code == 429
    assert client.post(login, json={"login": "bob"}).status_code == 200


def test_auth_limit_gives_each_action_its_own_bucket_per_ip(make_app: AppFactory) -> None:
    app = limited_app(
        make_app,
        rate_limit_login="2/minute",
        rate_limit_login_name="100/minute",
        rate_limit_register="3/minute",
    )
    client = app.test_client()
    logins = [client.post("/api/v1/limitstest/login", json={"login": n}) for n in "abc"]
    assert [r.status_code for r in logins] == [200, 200, 429]
    # Logins used up their budget; registrations from the same address still have theirs.
    registers = [client.post("/api/v1/limitstest/register", json={"email": n}) for n in "defg"]
    assert [r.status_code for r in registers] == [201, 201, 201, 429]
    assert registers[-1].get_json()["error"]["details"]["limit"] == "3 per 1 minute"
    # Other routes keep their own budget; another address has its own auth budgets.
    assert client.get("/api/v1/limitstest/default").status_code == 200
    other = client.post(
        "/api/v1/limitstest/login", json={"login": "e"}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert other.status_code == 200


def test_auth_limit_for_an_action_without_a_setting_fails_at_declaration() -> None:
    with pytest.raises(TypeError, match="rate_limit_sign_in"):
        auth_limit("sign_in")
    with pytest.raises(TypeError, match="rate_limit_register_name"):
        auth_limit("register", name_field="email")


# --- never limited --------------------------------------------------------------------------------
def test_health_and_metrics_are_never_limited_nor_banned(make_app: AppFactory) -> None:
    app = limited_app(make_app, rate_limit_default="1/minute", ban_threshold=1)
    client = app.test_client()
    for path in ("/health/live", "/health/ready", "/metrics"):
        for _ in range(5):
            response = client.get(path)
            assert response.status_code == 200, (path, response.data)
            assert "X-RateLimit-Limit" not in response.headers
    get_ban(client, "/api/v1/limitstest/default")
    assert client.get("/api/v1/limitstest/default").status_code == 403
    for path in ("/health/live", "/health/ready", "/metrics"):
        assert client.get(path).status_code == 200, path


def test_health_reports_memory_storage(client: FlaskClient) -> None:
    check = client.get("/health/ready").get_json()["checks"]["rate_limits"]
    assert check["status"] == "ok"
    assert check["storage"] == "memory"


# --- auto-ban -------------------------------------------------------------------------------------
def test_repeated_violations_ban_the_caller(make_app: AppFactory) -> None:
    app = limited_app(make_app, ban_threshold=3, ban_window=600, ban_duration=3600)
    events = collect_security_events(app)
    client = app.test_client()
    path = "/api/v1/limitstest/strict"
    bans_before = REGISTRY.get_sample_value("versehub_rate_limit_bans_total") or 0.0
    assert statuses(client, path, 5) == [200, 200, 429, 429, 429]
    assert [name for name, _ in events] == ["security.ban"]
    assert REGISTRY.get_sample_value("versehub_rate_limit_bans_total") == bans_before + 1
    started = time.time()
    response = client.get(path)
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"]["code"] == "RATE_BANNED"
    until = datetime.fromisoformat(body["error"]["details"]["until"])
    assert until.tzinfo is not None
    assert until.utcoffset() == timedelta(0)
    assert started < until.timestamp() <= started + 3600
    assert response.headers["Retry-After"] == str(body["error"]["details"]["retry_after"])
    assert "X-RateLimit-Limit" not in response.headers
    # Every route refuses the banned caller, HTML pages with a page; others are unaffected.
    assert client.get("/api/v1/limitstest/free").status_code == 403
    page = client.get("/limitstest/page", headers={"Accept": "text/html"})
    assert (page.status_code, page.mimetype) == (403, "text/html")
    assert client.get(path, headers={"X-Test-As": "member"}).status_code == 200
    payload = events[0][1]
    assert (payload["target"], payload["actor"], payload["actor_id"]) == (
        "ip:127.0.0.1",
        "system",
        None,
    )
    assert payload["until"] == body["error"]["details"]["until"]
    assert payload["violations"] == 3


def test_violations_count_within_the_window_only() -> None:
    now = [1000.0]
    counter = MemoryViolations(clock=lambda: now[0])
    counts = []
    for moment in (1000.0, 1005.0, 1011.0, 1012.0):  # the first has left the window by the third
        now[0] = moment
        counts.append(counter.count("ip:a", 10))
    assert counts == [1, 2, 2, 3]
    assert counter.count("ip:b", 10) == 1
    counter.forget("ip:a")
    assert counter.count("ip:a", 10) == 1


# --- admin tools ----------------------------------------------------------------------------------
def test_admins_list_and_lift_bans(make_app: AppFactory) -> None:
    app = limited_app(make_app, ban_threshold=1)
    events = collect_security_events(app)
    client = app.test_client()
    get_ban(client)
    bans_url = "/api/v1/admin/bans"
    assert client.get(bans_url).get_json()["error"]["code"] == "RATE_BANNED"

    member = client.get(bans_url, headers={"X-Test-As": "member"})
    assert member.status_code == 403
    assert member.get_json()["error"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
    denied = client.delete(f"{bans_url}/ip:127.0.0.1", headers={"X-Test-As": "member"})
    assert denied.status_code == 403

    admin = {"X-Test-As": "admin"}
    listed = client.get(bans_url, headers=admin)
    assert listed.status_code == 200
    data = listed.get_json()["data"]
    assert [item["key"] for item in data["items"]] == ["ip:127.0.0.1"]
    assert data["pagination"]["total"] == 1
    item = data["items"][0]
    assert item["violations"] == 1
    assert datetime.fromisoformat(item["until"]) > datetime.fromisoformat(item["created_at"])

    lifted = client.delete(f"{bans_url}/ip:127.0.0.1", headers=admin)
    assert lifted.status_code == 200
    assert lifted.get_json()["data"]["key"] == "ip:127.0.0.1"
    assert events[-1] == (
        "security.unban",
        {
            "actor_id": 3,
            "actor": "user:3",
            "target": "ip:127.0.0.1",
            "reason": "rate_limit",
            "until": item["until"],
        },
    )
    assert client.get("/api/v1/limitstest/default").status_code == 200
    assert client.get(bans_url).get_json()["error"]["code"] == "AUTH_REQUIRED"
    again = client.delete(f"{bans_url}/ip:127.0.0.1", headers=admin)
    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "RES_NOT_FOUND"


def test_cli_lists_and_lifts_bans(make_app: AppFactory) -> None:
    app = limited_app(make_app, ban_threshold=1)
    events = collect_security_events(app)
    client = app.test_client()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bans", "list"]).output.strip() == "No active bans."
    get_ban(client)

    table = runner.invoke(args=["bans", "list"])
    assert table.exit_code == 0, table.output
    assert "ip:127.0.0.1" in table.output
    rows = json.loads(runner.invoke(args=["bans", "list", "--json"]).output)
    assert [row["key"] for row in rows] == ["ip:127.0.0.1"]

    lifted = runner.invoke(args=["bans", "lift", "ip:127.0.0.1"])
    assert lifted.exit_code == 0, lifted.output
    assert "Lifted" in lifted.output
    assert events[-1][0] == "security.unban"
    assert (events[-1][1]["actor"], events[-1][1]["target"]) == ("cli", "ip:127.0.0.1")
    assert client.get("/api/v1/limitstest/default").status_code == 200

    missing = runner.invoke(args=["bans", "lift", "ip:127.0.0.1"])
    assert missing.exit_code == 1
    assert "No active ban" in missing.output


# --- the in-process storage ------------------------------------------------------------------
def test_counted_requests_start_no_threads(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The `limits` library's memory storage started a timer thread on a counted request whenever
    # its previous one (10 ms) had run out: a thread for nearly every request at low traffic.
    app = limited_app(make_app, rate_limit_default="1000/minute")
    client = app.test_client()
    client.get("/api/v1/limitstest/default")  # the app's first request may start its own
    started: list[str] = []
    real_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    for _ in range(5):
        time.sleep(0.02)
        assert client.get("/api/v1/limitstest/default").status_code == 200
    assert started == []


def test_local_counters_count_per_window_and_forget_old_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    counters = LocalCounters()
    assert [counters.incr("a", 60), counters.incr("a", 60), counters.incr("b", 60)] == [1, 2, 1]
    assert (counters.get("a"), counters.get_expiry("a")) == (2, 1_060.0)
    now[0] = 1_060.0  # the window has ended: nothing counted, a new window starts
    assert (counters.get("a"), counters.get_expiry("a")) == (0, 1_060.0)
    assert counters.incr("a", 60, amount=3) == 3
    assert counters.get_expiry("a") == 1_120.0
    now[0] += SWEEP_EVERY  # the next count sweeps the windows that ended ("b", unread since)
    counters.incr("c", 60)
    assert counters.get("b") == 0
    assert "b" not in counters._windows
    counters.clear("a")
    assert counters.get("a") == 0
    assert counters.reset() == 1

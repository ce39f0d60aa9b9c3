"""Revocation and writes are exact across real processes: gunicorn workers, the CLI, a job.

Each worker caches callers and (without Redis) knowledge answers; the change bus tells every
worker what another process changed. Each request here opens a new connection, so either worker
may answer; `X-Worker-PID` (sent only in testing) says which one did, and `on_every_worker`
keeps asking until each has answered.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import TEST_JWT_SECRET, TEST_SECRET, AppFactory
from tests.modules.accounts.support import PASSWORD, make_user
from tests.servers import free_port, missing, wait_for_port
from versehub.core.changes.backends import APPLICATION_NAME

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
LIST = "/api/v1/entries?per_page=20"
pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        error = self.body.get("error") or {}
        return error.get("code")


class Server:
    """Two gunicorn workers on 127.0.0.1:port, and the environment they run with."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env

    def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            sent = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            return Answer(response.status, json.loads(raw or b"{}"), dict(response.getheaders()))
        finally:
            conn.close()

    def on_every_worker(
        self, path: str, headers: dict[str, str], until: Callable[[Answer], bool]
    ) -> dict[str, Answer]:
        """Per worker, its first answer for which `until` holds (within a few seconds)."""
        done: dict[str, Answer] = {}
        deadline = time.monotonic() + 10
        while len(done) < WORKERS:
            answer = self.call("GET", path, headers)
            pid = answer.headers["X-Worker-PID"]
            if pid not in done and until(answer):
                done[pid] = answer
            if time.monotonic() > deadline:
                raise AssertionError(f"workers {sorted(done)} only; last answer {answer}")
        return done

    def ready(self) -> dict[str, Any]:
        """The change bus as one worker reports it."""
        changes: dict[str, Any] = self.call("GET", "/health/ready").body["checks"]["changes"]
        return changes


@pytest.fixture
def server(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    binary = Path(sys.executable).with_name("gunicorn")
    if not binary.exists() and shutil.which("gunicorn") is None:
        missing("gunicorn is not installed in this environment")
    extra: dict[str, str] = getattr(request, "param", {})
    port = free_port()
    env = {
        **os.environ,
        "VERSEHUB_ENV": "testing",
        "VERSEHUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "VERSEHUB_SECRET_KEY": TEST_SECRET,
        "VERSEHUB_JWT_SECRET_KEY": TEST_JWT_SECRET,
        "VERSEHUB_RATE_LIMITS_ENABLED": "false",
        "VERSEHUB_EMBEDDED_WORKER": "false",
        "VERSEHUB_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "VERSEHUB_LOG_LEVEL": "WARNING",
        **{key: value(request) if callable(value) else value for key, value in extra.items()},
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(binary), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
        yield Server(port, env)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def login(server: Server, name: str) -> dict[str, str]:
    answer = server.call("POST", "/api/v1/auth/login", body={"login": name, "password": PASSWORD})
    assert answer.status == 200, answer
    return {"Authorization": f"Bearer {answer.body['data']['access_token']}"}


def refused(code: str) -> Callable[[Answer], bool]:
    return lambda answer: answer.status == 401 and answer.code == code


def ok(answer: Answer) -> bool:
    return answer.status == 200


def cache_hit(answer: Answer) -> bool:
    return answer.status == 200 and answer.headers.get("X-Cache") == "hit"


@pytest.fixture
def people(make_app: AppFactory) -> dict[str, int]:
    app = make_app()
    return {
        "admin": make_user(
            app, email="ad@example.com", username="adam", roles=("admin",), verified=True
        ),
        "member": make_user(app, email="m@example.com", username="milo", verified=True),
        "editor": make_user(
            app, email="e@example.com", username="edith", roles=("editor",), verified=True
        ),
    }


def exercise_revocation(server: Server, people: dict[str, int]) -> None:
    """Logout, disable, revoke a key, change roles: every worker follows at once."""
    admin = login(server, "adam")
    member = login(server, "milo")
    # Every worker has the member cached (and their list answer).
    server.on_every_worker(LIST, member, cache_hit)

    assert server.call("POST", "/api/v1/auth/logout", member).status == 200
    server.on_every_worker(LIST, member, refused("AUTH_TOKEN_REVOKED"))

    member = login(server, "milo")
    created = server.call(
        "POST", "/api/v1/auth/api-keys", member, {"name": "ci", "scopes": ["entries:read"]}
    )
    assert created.status == 201, created
    key = {"X-API-Key": created.body["data"]["api_key"]["key"]}
    key_id = created.body["data"]["api_key"]["id"]
    server.on_every_worker(LIST, key, cache_hit)
    assert server.call("DELETE", f"/api/v1/auth/api-keys/{key_id}", member).status == 200
    server.on_every_worker(LIST, key, refused("AUTH_TOKEN_REVOKED"))

    # Roles: the member becomes an admin on every worker, then stops being one.
    users = "/api/v1/admin/users"
    server.on_every_worker(users, member, lambda a: a.status == 403)
    roles = f"/api/v1/admin/users/{people['member']}/roles"
    assert server.call("PATCH", roles, admin, {"roles": ["admin"]}).status == 200
    server.on_every_worker(users, member, ok)
    assert server.call("PATCH", roles, admin, {"roles": ["member"]}).status == 200
    server.on_every_worker(users, member, lambda a: a.status == 403)

    server.on_every_worker(LIST, member, cache_hit)
    status = f"/api/v1/admin/users/{people['member']}"
    assert server.call("PATCH", status, admin, {"is_active": False}).status == 200
    server.on_every_worker(LIST, member, refused("AUTH_TOKEN_REVOKED"))


def exercise_writes(server: Server) -> None:
    """An entry written through one worker is in every worker's next list answer."""
    editor = login(server, "edith")
    server.on_every_worker(LIST, editor, cache_hit)
    body = {"title": "Pushed to every worker", "content": "Captions on by default. " * 4}
    created = server.call("POST", "/api/v1/entries", editor, body)
    assert created.status == 201, created
    answers = server.on_every_worker(LIST, editor, ok)
    for answer in answers.values():
        titles = [item["title"] for item in answer.body["data"]["items"]]
        assert "Pushed to every worker" in titles


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_two_workers_on_postgresql(server: Server, people: dict[str, int]) -> None:
    assert server.ready()["backend"] == "postgresql"
    exercise_writes(server)
    exercise_revocation(server, people)


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "server",
    [{"VERSEHUB_CHANGE_BUS": "redis", "REDIS_URL": lambda r: r.getfixturevalue("redis_url")}],
    indirect=True,
    ids=["redis"],
)
def test_two_workers_with_redis(server: Server, people: dict[str, int]) -> None:
    assert server.ready()["backend"] == "redis"
    exercise_writes(server)
    exercise_revocation(server, people)


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_killed_listeners_never_serve_stale_answers(
    server: Server, people: dict[str, int], database_url: str
) -> None:
    member = login(server, "milo")
    server.on_every_worker(LIST, member, cache_hit)
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        ).fetchall()
        assert len(killed) == WORKERS
        # While they are away (or just back): disable the member behind their backs.
        conn.execute("UPDATE users SET is_active = false WHERE id = %s", (people["member"],))
    server.on_every_worker(LIST, member, refused("AUTH_TOKEN_REVOKED"))
    admin = login(server, "adam")
    resynced = server.on_every_worker(
        "/health/ready", admin, lambda a: a.body["checks"]["changes"]["resyncs"] >= 1
    )
    assert all(a.body["checks"]["changes"]["state"] == "connected" for a in resynced.values())


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_the_cli_and_a_job_reach_every_worker_on_sqlite(
    server: Server, people: dict[str, int]
) -> None:
    assert server.ready()["backend"] == "sqlite"
    exercise_writes(server)
    member = login(server, "milo")
    users = "/api/v1/admin/users"
    server.on_every_worker(users, member, lambda a: a.status == 403)
    versehub = str(Path(sys.executable).with_name("versehub"))

    def cli(*args: str) -> None:
        done = subprocess.run(
            [versehub, *args],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    cli("users", "set-role", "milo", "admin")
    server.on_every_worker(users, member, ok)
    # A job worker (any process with the app) renames the entry: every list shows it.
    editor = login(server, "edith")
    server.on_every_worker(LIST, editor, cache_hit)
    job = (
        "from versehub import create_app\n"
        "from versehub.extensions import db\n"
        "from versehub.modules.knowledge.models import Entry\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    db.session.query(Entry).one().title = 'Renamed by a job'\n"
        "    db.session.commit()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", job],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = server.on_every_worker(LIST, editor, ok)
    for answer in answers.values():
        assert [item["title"] for item in answer.body["data"]["items"]] == ["Renamed by a job"]
    cli("users", "disable", "milo")
    server.on_every_worker(LIST, member, refused("AUTH_TOKEN_REVOKED"))

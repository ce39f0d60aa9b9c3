"""Starting VerseHub as an operator does: `versehub run` and gunicorn, on databases that are not
ready (never migrated) or not databases at all (unknown URL scheme)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from tests.core.jobs.helpers import REPO, cli_env, exit_status, spawned, wait_until
from tests.servers import free_port

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
VERSEHUB = str(BIN / "versehub")
GUNICORN = str(BIN / "gunicorn")
UPGRADE_LINE = "run `versehub db upgrade` first"


def production_env(instance: Path, database_url: str) -> dict[str, str]:
    """A `versehub` environment that passes production's checks (fresh strong secrets)."""
    return cli_env(
        instance,
        database_url,
        VERSEHUB_ENV="production",
        VERSEHUB_SECRET_KEY=secrets.token_urlsafe(48),
        VERSEHUB_JWT_SECRET_KEY=secrets.token_urlsafe(48),
        VERSEHUB_TOTP_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )


def development_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Development as `make run` has it: secrets generated in the instance folder."""
    env = cli_env(instance, database_url, VERSEHUB_ENV="development", **extra)
    for name in ("VERSEHUB_SECRET_KEY", "VERSEHUB_JWT_SECRET_KEY"):
        env.pop(name)
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def call(port: int, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any] | None:
    """GET (or POST `body` as JSON); None while nothing answers."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    except OSError:
        return None


def sqlite_url(tmp_path: Path) -> str:
    """A database file nobody has migrated."""
    return f"sqlite:///{tmp_path / 'never-migrated.db'}"


def test_run_in_development_migrates_and_links_mails_to_its_port(tmp_path: Path) -> None:
    port = free_port()
    instance = tmp_path / "instance"
    log = tmp_path / "run.log"
    args = [VERSEHUB, "run", "--no-reload", "--port", str(port)]
    env = development_env(instance, sqlite_url(tmp_path))
    with spawned(args, env, tmp_path, log) as proc:
        wait_until(lambda: call(port, "/health/live"), "the server")
        ready = call(port, "/health/ready")
        assert ready is not None
        assert ready[1]["checks"]["schema"]["state"] == "ok", ready
        status, body = call(
            port,
            "/api/v1/auth/register",
            {"email": "ada@example.org", "username": "ada_l", "password": "a cup of tea 4 sign"},
        ) or (0, None)
        assert status == 201, body
        mails = wait_until(lambda: list((instance / "mail").glob("*.eml")), "the mail job")
        proc.terminate()
        assert exit_status(proc, "the server to stop") == 0
    output = log.read_text()
    assert "database_migrated" in output
    text = mails[0].read_text()
    assert f"http://127.0.0.1:{port}/account/verify" in text.replace("=\n", "")
    assert "127.0.0.1:5000" not in text


def test_run_in_development_without_auto_migrate_refuses(tmp_path: Path) -> None:
    env = development_env(tmp_path / "instance", sqlite_url(tmp_path), VERSEHUB_AUTO_MIGRATE="0")
    done = run([VERSEHUB, "run", "--no-reload", "--port", str(free_port())], env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert UPGRADE_LINE in done.stderr
    assert "Traceback" not in done.stderr


def test_run_in_production_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = production_env(tmp_path / "instance", sqlite_url(tmp_path))
    done = run([VERSEHUB, "run", "--no-reload", "--port", str(free_port())], env, tmp_path)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if "cannot start" in line]
    assert lines == [
        "versehub: cannot start: the database is not migrated (no tables yet); " + UPGRADE_LINE
    ]
    assert "Traceback" not in done.stderr


def test_a_worker_refuses_an_unmigrated_database_even_in_development(tmp_path: Path) -> None:
    # Workers never migrate: a release's schema step is `versehub db upgrade` (or versehub run).
    env = development_env(tmp_path / "instance", sqlite_url(tmp_path))
    done = run([VERSEHUB, "worker"], env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert UPGRADE_LINE in done.stderr
    assert "Traceback" not in done.stderr


def test_gunicorn_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    port = free_port()
    env = production_env(tmp_path / "instance", sqlite_url(tmp_path))
    env.update(
        VERSEHUB_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    args = [GUNICORN, "-c", str(REPO / "deploy" / "gunicorn.conf.py")]
    log = tmp_path / "gunicorn.log"
    with spawned(args, env, tmp_path, log) as proc:
        code = exit_status(proc, "gunicorn to give up")
    output = log.read_text()
    assert code != 0, output
    assert (
        f"versehub: cannot start: the database is not migrated (no tables yet); {UPGRADE_LINE}"
        in (output)
    )
    assert "Traceback" not in output
    assert output.count("cannot start") == 1  # no worker booted again and again


@pytest.mark.parametrize(
    ("command", "url", "expected"),
    [
        ("run", "nosuchdb://x", "DATABASE_URL: unknown database scheme 'nosuchdb'"),
        ("db", "nosuchdb://x", "DATABASE_URL: unknown database scheme 'nosuchdb'"),
        ("run", "mysql://vh:hunter2@127.0.0.1/vh", "DATABASE_URL: the driver for 'mysql' is not"),
        ("run", "hunter2-not-a-url", "DATABASE_URL is not a database URL"),
    ],
    ids=["unknown-scheme", "unknown-scheme-db-upgrade", "missing-driver", "not-a-url"],
)
def test_a_bad_database_url_is_one_line(
    tmp_path: Path, command: str, url: str, expected: str
) -> None:
    args = [VERSEHUB, "run", "--no-reload"] if command == "run" else [VERSEHUB, "db", "upgrade"]
    done = run(args, development_env(tmp_path / "instance", url), tmp_path)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if "cannot start" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"versehub: cannot start: {expected}")
    assert "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout

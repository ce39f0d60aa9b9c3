"""Throughput and latency of `GET /api/v1/entries?per_page=20` against a bare Flask app, same run.

Run: .venv/bin/python -m bench.bench_api [--duration 20] [--rounds 3] [--connections 32]
         [--configs bare,default,nocache] [--profile nocache] [--before REV]

Starts a throw-away PostgreSQL (tests.servers), migrates it and seeds `versehub demo` (68 entries),
then serves each configuration with gunicorn on deploy/gunicorn.conf.py (2 workers, gthread) on a
free loopback port, all at once, and loads them in turn with wrk, round after round, so every
ratio compares runs made minutes apart under the same background load. VerseHub runs with
`env=production` (fresh random secrets, JSON logs to a file) and an authenticated caller: the
demo member `demo-amara`, with a bearer access token from POST /api/v1/auth/login.

Configurations: `bare` (bench/bare_app.py), `default` (production settings as shipped, except the
default rate limit raised to 10,000,000/minute so the limiter still runs but never refuses),
`nocache` (default with the entries response cache off), `nolimits` (default with rate limits
off), `redis` (default with REDIS_URL: cache, limits and the blocklist in Redis), `before`
(default, on a git worktree of `--before REV`: an earlier commit measured in the same run);
`page` (default, anonymous, `GET /entries/<slug>` of a demo entry at density 3 from the page
cache: the reader's page when the tree has it, else bench/page_app.py's stand-in) and `barepage`
(the bare app's small HTML page at the same path): `page`'s ratio is given against both.
`--profile NAME` records that configuration's workers with py-spy during one more wrk run and
prints where the samples fall.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.servers import PostgresServer, RedisServer, free_port, postgres_bindir, wait_for_port

from bench.machine import describe, load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PATH = "/api/v1/entries?per_page=20"
MEMBER = "demo-amara"
RAISED_LIMIT = "10000000/minute"
CONFIGS = ("bare", "default", "nocache", "nolimits", "redis", "before", "page", "barepage")
# Anonymous HTML pages (issue 13): `page` is VerseHub's cached entry page (bench/page_app.py),
# `barepage` the bare app's small HTML page; both at /entries/<slug> (or /bench/entries/<slug>).
PAGE_CONFIGS = ("page", "barepage")
BARE_APPS = {"bare": "bench.bare_app:app", "barepage": "bench.bare_app:app"}


# --- the database ----------------------------------------------------------------------------
def production_env(database_url: str, instance: Path) -> dict[str, str]:
    """VERSEHUB_* variables of a production deployment with fresh random secrets."""
    from cryptography.fernet import Fernet

    return {
        "VERSEHUB_ENV": "production",
        "VERSEHUB_SECRET_KEY": secrets.token_urlsafe(48),
        "VERSEHUB_JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "VERSEHUB_TOTP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "VERSEHUB_INSTANCE_PATH": str(instance),
        "VERSEHUB_RATE_LIMIT_DEFAULT": RAISED_LIMIT,
    }


def prepare_database(database_url: str, env: dict[str, str], password: str) -> None:
    """Migrate to head and seed the demo hub, in a child process with the production settings."""
    code = (
        "import sys\n"
        "from flask_migrate import upgrade\n"
        "from versehub import create_app\n"
        "from versehub.extensions import db\n"
        "from versehub.modules.knowledge import demo\n"
        "app = create_app({'log_level': 'WARNING'})\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        "    report = demo.seed(password=lambda: sys.argv[1])\n"
        "    print(demo.entry_count())\n"
        "    db.engine.dispose()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, password],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrate/seed failed:\n{done.stderr[-4000:]}")


def create_database(server: PostgresServer, name: str) -> str:
    """An empty database on `server`; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(server.url("postgres").replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def cache_off_env() -> dict[str, str]:
    """Environment that turns the API response cache off, found among the settings' fields.

    Empty when this tree has no such setting (then `default` is already uncached).
    """
    from versehub.settings import Settings

    env: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        if "cache" not in name:
            continue
        default = field.get_default(call_default_factory=True)
        if isinstance(default, bool):
            env[f"VERSEHUB_{name.upper()}"] = "false"
        elif isinstance(default, int | float):
            env[f"VERSEHUB_{name.upper()}"] = "0"
    return env


@contextmanager
def worktree(rev: str, workdir: Path) -> Iterator[Path]:
    """A detached git worktree of `rev` (the `before` configuration's code), removed after."""
    path = workdir / "before"
    git = ["git", "-C", str(ROOT)]
    subprocess.run(
        [*git, "worktree", "add", "--detach", str(path), rev], check=True, capture_output=True
    )
    try:
        yield path
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(path)], check=False)


# --- gunicorn --------------------------------------------------------------------------------
class Gunicorn:
    """One gunicorn master on deploy/gunicorn.conf.py, 2 workers, on a free loopback port."""

    def __init__(
        self,
        name: str,
        app: str | None,
        env: dict[str, str],
        workdir: Path,
        tree: Path = ROOT,
    ) -> None:
        self.name = name
        self.tree = tree
        self.port = free_port()
        self.log = workdir / f"gunicorn-{name}.log"
        metrics = workdir / f"metrics-{name}"  # never the shared default folder in /tmp
        self.env = {
            **os.environ,
            **env,
            "WEB_CONCURRENCY": "2",
            "VERSEHUB_THREADS": os.environ.get("VERSEHUB_THREADS", "4"),
            "VERSEHUB_BIND": f"127.0.0.1:{self.port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        }
        if tree != ROOT:  # another checkout's code ahead of the venv's editable install
            self.env["PYTHONPATH"] = str(tree / "src")
        # No control socket: gunicorn 27 puts one at a fixed path (~/.gunicorn/gunicorn.ctl)
        # that several masters on one machine would fight over.
        self.cmd = [
            str(BIN / "gunicorn"),
            "-c",
            str(tree / "deploy" / "gunicorn.conf.py"),
            "--no-control-socket",
        ]
        if app:
            self.cmd.append(app)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """http://127.0.0.1:port"""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait until /health/live answers."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.cmd,
                cwd=self.tree,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        # Generous: six servers start at once on a 2-core machine that others share.
        wait_for_port(self.port, timeout=180)
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(self.base + "/health/live", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """PIDs of the master's children (the workers)."""
        assert self.process is not None
        return children(self.process.pid)

    def stop(self) -> None:
        """SIGTERM to our master (it stops its workers), SIGKILL after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def get_json(url: str, headers: dict[str, str] | None = None, body: Any = None) -> Any:
    """GET (or POST `body` as JSON) and decode the answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


class Token:
    """A bearer access token for MEMBER, minted again when less than 3 minutes remain."""

    def __init__(self, base: str, password: str) -> None:
        self.base, self.password = base, password
        self.value, self.expires = "", 0.0

    def header(self) -> str:
        """The Authorization header line for wrk."""
        if time.monotonic() > self.expires - 180:
            answer = get_json(
                self.base + "/api/v1/auth/login", body={"login": MEMBER, "password": self.password}
            )
            self.value = answer["data"]["access_token"]
            self.expires = time.monotonic() + answer["data"]["expires_in"]
        return f"Authorization: Bearer {self.value}"


# --- wrk -------------------------------------------------------------------------------------
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    """Requests/s, p50/p75/p90/p99 (ms), request and error counts from wrk --latency output."""
    result: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "non_2xx": 0,
        "socket_errors": 0,
    }
    for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)\s*$", out, re.M):
        result[f"p{pct}_ms"] = round(_ms(value), 2)
    if "p99_ms" not in result:
        raise RuntimeError(f"wrk output without a latency distribution:\n{out}")
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        result["non_2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        result["socket_errors"] = sum(int(n) for n in match.groups())
    return result


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (all their threads)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def children(pid: int) -> list[int]:
    """Direct children of `pid` (gunicorn workers, PostgreSQL backends)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def run_wrk(
    url: str,
    headers: list[str],
    connections: int,
    duration: int,
    *,
    workers: list[int] = (),  # type: ignore[assignment]
    postmaster: int | None = None,
) -> dict[str, Any]:
    """One wrk run (1 thread: the servers need the CPU more), bounded in time.

    With `workers` (and the PostgreSQL `postmaster`), also the CPU time they used per request:
    unlike requests/s, that figure hardly moves with other load on the machine.
    """
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for header in headers:
        cmd += ["-H", header]
    started_load = load()
    backends = children(postmaster) if postmaster else []
    app_cpu, db_cpu = cpu_seconds(list(workers)), cpu_seconds(backends)
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    result = {**parse_wrk(out), "load_before": started_load}
    if workers:
        per = 1000 / max(result["requests"], 1)
        result["app_cpu_ms_per_req"] = round((cpu_seconds(list(workers)) - app_cpu) * per, 3)
        if postmaster:
            used = cpu_seconds(children(postmaster)) - db_cpu
            result["db_cpu_ms_per_req"] = round(used * per, 3)
    return result


# --- py-spy ----------------------------------------------------------------------------------
def _frame_package(frame: str) -> str:
    """`function (path:line)` → the package it belongs to (versehub is split by module)."""
    match = re.search(r"\((.*):\d+\)$", frame)
    path = match.group(1) if match else frame
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "versehub/" in path:
        parts = path.split("versehub/", 1)[1].split("/")
        return "versehub." + ".".join(p.removesuffix(".py") for p in parts[:2])
    if "/lib/python" in path:
        return "stdlib." + path.rsplit("/", 1)[-1].removesuffix(".py")
    return path


# Parts of a request (RESULTS.md's py-spy table): (part, path fragment as py-spy shortens paths,
# from the package on; function names, or empty for any). A sample counts once, in the innermost
# frame that names a part; samples in no part but in Flask or Werkzeug frames count as "Flask
# and Werkzeug", in gunicorn frames as "gunicorn".
PART_RULES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("principal SQL", "accounts/service/principals.py", frozenset()),
    ("principal SQL", "accounts/service/revocation.py", frozenset()),
    ("JWT verification", "jwt/", frozenset()),
    ("JWT verification", "accounts/service/tokens.py", frozenset({"decode"})),
    ("caller (resolvers, principal cache)", "versehub/core/auth.py", frozenset()),
    ("caller (resolvers, principal cache)", "accounts/api/resolvers.py", frozenset()),
    ("caller (resolvers, principal cache)", "accounts/web/session.py", frozenset()),
    ("request log line", "versehub/core/logging.py", frozenset()),
    ("request log line", "structlog/", frozenset()),
    ("request log line", "logging/__init__.py", frozenset()),
    ("request id", "versehub/core/requests.py", frozenset({"_assign_request_id"})),
    ("rate limiter", "flask_limiter/", frozenset()),
    ("rate limiter", "limits/", frozenset()),
    ("rate limiter", "versehub/core/limits/", frozenset()),
    (
        "security headers",
        "versehub/core/security.py",
        frozenset({"add_security_headers", "csp_nonce", "content_security_policy"}),
    ),
    ("security headers", "versehub/core/cors.py", frozenset()),
    ("session cookie", "versehub/core/security.py", frozenset()),
    ("session cookie", "flask/sessions.py", frozenset()),
    ("session cookie", "itsdangerous/", frozenset()),
    ("session and context teardown", "versehub/core/outages.py", frozenset({"remove_session"})),
    ("session and context teardown", "flask_sqlalchemy/", frozenset({"_teardown_session"})),
    ("JSON envelope", "versehub/core/envelope.py", frozenset()),
    ("JSON envelope", "versehub/core/validation.py", frozenset({"response"})),
    ("JSON envelope", "flask/json/", frozenset()),
    ("JSON envelope", "json/encoder.py", frozenset()),
    ("response cache lookup", "knowledge/api/cache.py", frozenset()),
    ("response cache lookup", "flask_caching/", frozenset()),
    ("response cache lookup", "cachelib/", frozenset()),
    ("Prometheus metrics", "prometheus_client/", frozenset()),
    ("Prometheus metrics", "versehub/core/metrics.py", frozenset()),
    ("query validation", "versehub/core/api.py", frozenset()),
    ("query validation", "versehub/core/validation.py", frozenset({"parse_query"})),
    ("page query (cache miss)", "knowledge/service/", frozenset()),
    ("CSRF, module access, API version", "versehub/core/csrf.py", frozenset()),
    ("CSRF, module access, API version", "versehub/core/module_access.py", frozenset()),
    ("CSRF, module access, API version", "versehub/core/versioning.py", frozenset()),
    ("CSRF, module access, API version", "flask_wtf/", frozenset()),
    ("Flask-Login", "flask_login/", frozenset()),
)


def frame_part(frame: str) -> str | None:
    """The part one py-spy frame (`function (path:line)`) belongs to, if any."""
    function, _, where = frame.partition(" (")
    where = "/" + where
    for part, fragment, functions in PART_RULES:
        if "/" + fragment in where and (not functions or function.rsplit(".", 1)[-1] in functions):
            return part
    return None


def sample_part(frames: list[str]) -> str:
    """The innermost part of a stack (outermost frame first)."""
    for frame in reversed(frames):
        part = frame_part(frame)
        if part is not None:
            return part
    if any(
        "(flask/" in f or "(werkzeug/" in f or "/flask/" in f or "/werkzeug/" in f for f in frames
    ):
        return "Flask and Werkzeug (routing, contexts, response, hooks)"
    if any("gunicorn/" in f for f in frames):
        return "gunicorn HTTP parsing and writing"
    return "other"


def summarise_profile(raw: Path, top: int = 60) -> dict[str, Any]:
    """Samples of request threads per part (innermost part, each sample once), self samples per
    package and inclusive samples per function."""
    self_by_package: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    by_part: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if "(" in f]
        if not any("handle_request" in f for f in frames):
            continue  # the gthread accept loop, the master, idle bookkeeping
        n = int(count)
        total += n
        by_part[sample_part(frames)] += n
        self_by_package[_frame_package(frames[-1])] += n
        for name in {re.sub(r":\d+\)$", ")", f) for f in frames}:
            inclusive[name] += n

    def pct(counter: collections.Counter[str], limit: int) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(limit)]

    return {
        "request_samples": total,
        "by_part_pct": pct(by_part, len(by_part)),
        "self_by_package_pct": pct(self_by_package, 20),
        "inclusive_by_function_pct": pct(inclusive, top),
    }


def profile(server: Gunicorn, url: str, headers: list[str], args: argparse.Namespace) -> Any:
    """py-spy both workers during wrk runs: `--gil` (who holds the GIL: where the CPU goes),
    then without it (every thread not idle: shows waits on the database, and GIL waits)."""
    results: dict[str, Any] = {}
    for mode, flags in (("gil", ["--gil"]), ("wall", [])):
        out = Path(f"{args.profile_out}-{mode}.txt").resolve()
        spies = []
        for pid in server.worker_pids():
            target = out.with_name(f"{out.stem}-{pid}.txt")
            cmd = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw"]
            cmd += ["--rate", "200", "--duration", str(args.duration), "--output", str(target)]
            spy = subprocess.Popen(
                [*cmd, "--nonblocking", *flags],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            spies.append((target, spy))
        time.sleep(1)  # let py-spy attach
        run = run_wrk(url, headers, args.connections, args.duration)
        for _, spy in spies:
            spy.wait(timeout=args.duration + 60)
        out.write_text("".join(t.read_text() for t, _ in spies if t.exists()))
        for target, _ in spies:
            target.unlink(missing_ok=True)
        results[mode] = {"wrk_while_profiling": run, "raw": str(out), **summarise_profile(out)}
    return results


# --- the run ---------------------------------------------------------------------------------
@contextmanager
def servers(args: argparse.Namespace, workdir: Path) -> Iterator[dict[str, Any]]:
    """PostgreSQL (+ Redis when asked), the migrated demo database and one gunicorn per config."""
    with ExitStack() as stack:
        bindir = postgres_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
        pg = PostgresServer(bindir)
        pg.start()
        stack.callback(pg.stop)
        url = create_database(pg, "versehub_bench")
        env = production_env(url, workdir / "instance")
        password = "Bench-" + secrets.token_urlsafe(18)
        prepare_database(url, env, password)
        off = cache_off_env()
        variants: dict[str, dict[str, str] | None] = {
            "bare": None,
            "default": env,
            "nocache": {**env, **off} if off else None,
            "nolimits": {**env, "VERSEHUB_RATE_LIMITS_ENABLED": "false"},
            "page": env,
            "barepage": None,
        }
        if "redis" in args.configs:
            binary = shutil.which("redis-server")
            if binary is None:
                raise SystemExit("redis-server not found")
            redis = RedisServer(binary)
            redis.start()
            stack.callback(redis.stop)
            variants["redis"] = {**env, "REDIS_URL": redis.url(0)}
        trees = dict.fromkeys(args.configs, ROOT)
        if "before" in args.configs:
            # Same database and settings (the schema must not have changed since `--before`).
            variants["before"] = env
            trees["before"] = stack.enter_context(worktree(args.before, workdir))
        started: dict[str, Gunicorn] = {}
        for name in args.configs:
            if name not in BARE_APPS and variants.get(name) is None:
                continue  # `nocache` without a cache setting: `default` is uncached already
            server = Gunicorn(
                name,
                BARE_APPS.get(name, "bench.page_app:app" if name == "page" else None),
                variants[name] or {},
                workdir,
                trees[name],
            )
            stack.callback(server.stop)
            server.start()
            started[name] = server
        yield {
            "servers": started,
            "password": password,
            "bindir": bindir,
            "cache_off_env": off,
            "postmaster": int((pg.datadir / "postmaster.pid").read_text().split()[0]),
        }


def page_paths(started: dict[str, Gunicorn]) -> dict[str, str]:
    """The path each configuration is loaded on: the API list, or an entry page."""
    paths = dict.fromkeys(started, PATH)
    if not any(name in started for name in PAGE_CONFIGS):
        return paths
    source = started.get("page") or next(s for n, s in started.items() if n not in BARE_APPS)
    slug = get_json(source.base + "/api/v1/entries?per_page=1")["data"]["items"][0]["slug"]
    page = f"/entries/{slug}"
    if "page" in started:
        try:
            with urllib.request.urlopen(started["page"].base + page, timeout=10) as answer:
                cached = "X-Page-Cache" in answer.headers
        except OSError:
            cached = False
        paths["page"] = page if cached else f"/bench/entries/{slug}"
    if "barepage" in started:
        paths["barepage"] = page
    return paths


def check_page(name: str, server: Gunicorn, path: str) -> dict[str, Any]:
    """An HTML page answers 200 (before any load); X-Page-Cache of two calls."""
    seen: dict[str, Any] = {"path": path}
    for attempt in ("first", "second"):
        with urllib.request.urlopen(server.base + path, timeout=10) as response:
            body = response.read()
            if response.status != 200 or "text/html" not in response.headers["Content-Type"]:
                raise RuntimeError(f"{name}: unexpected answer {body[:300]!r}")
            seen[f"x_page_cache_{attempt}"] = response.headers.get("X-Page-Cache")
            seen["bytes"] = len(body)
    return seen


def check_answer(name: str, server: Gunicorn, header: str) -> dict[str, Any]:
    """The endpoint answers 200 with 20 items (before any load); X-Cache of a second call."""
    key, _, value = header.partition(": ")
    seen: dict[str, Any] = {}
    for attempt in ("first", "second"):
        request = urllib.request.Request(server.base + PATH, headers={key: value})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
            seen[f"x_cache_{attempt}"] = response.headers.get("X-Cache")
            seen["bytes"] = int(response.headers.get("Content-Length") or 0)
    data = answer["data"]
    items = data["items"] if isinstance(data, dict) else data
    if not answer["success"] or (name != "bare" and len(items) != 20):
        raise RuntimeError(f"{name}: unexpected answer {str(answer)[:300]}")
    return {"items": len(items), **seen}


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one figure over the rounds (0 when the runs lack it)."""
    values = [run[key] for run in runs if key in run]
    return round(statistics.median(values), 2) if values else 0.0


def summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per configuration: medians over the rounds and the throughput ratio to `bare`."""
    bare_rps = statistics.median(r["rps"] for r in runs["bare"])
    out = {
        name: {
            "connections": rs[0]["connections"],
            "rps": median_of(rs, "rps"),
            "p50_ms": median_of(rs, "p50_ms"),
            "p99_ms": median_of(rs, "p99_ms"),
            "ratio_to_bare": round(statistics.median(r["rps"] for r in rs) / bare_rps, 3),
            "app_cpu_ms_per_req": median_of(rs, "app_cpu_ms_per_req"),
            "db_cpu_ms_per_req": median_of(rs, "db_cpu_ms_per_req"),
            "errors": sum(r["non_2xx"] + r["socket_errors"] for r in rs),
        }
        for name, rs in runs.items()
    }
    if "page" in runs and "barepage" in runs:
        bare_page = statistics.median(r["rps"] for r in runs["barepage"])
        page = statistics.median(r["rps"] for r in runs["page"])
        out["page"]["ratio_to_barepage"] = round(page / bare_page, 3)
    return out


def measure(
    args: argparse.Namespace, running: dict[str, Any], headers: Callable[[str], list[str]]
) -> dict[str, Any]:
    """Warm every server up, then round after round one run per configuration (and level)."""
    started: dict[str, Gunicorn] = running["servers"]
    paths: dict[str, str] = running["paths"]
    for name, server in started.items():  # warm-up: imports, pools, caches
        run_wrk(server.base + paths[name], headers(name), args.connections, args.warmup)
    levels = [(args.connections, args.duration)]
    if args.low_connections:
        levels.append((args.low_connections, max(args.duration // 2, 2)))
    runs: dict[int, dict[str, list[dict[str, Any]]]] = {
        c: {name: [] for name in started} for c, _ in levels
    }
    for _ in range(args.rounds):
        for name, server in started.items():
            for connections, seconds in levels:
                run = run_wrk(
                    server.base + paths[name],
                    headers(name),
                    connections,
                    seconds,
                    workers=server.worker_pids(),
                    postmaster=None if name in BARE_APPS else running["postmaster"],
                )
                runs[connections][name].append({"connections": connections, **run})
                print(name, connections, json.dumps(run), file=sys.stderr, flush=True)
    return {
        "median": summary(runs[args.connections]),
        **(
            {"median_low_connections": summary(runs[args.low_connections])}
            if args.low_connections
            else {}
        ),
        "runs": {str(c): by_name for c, by_name in runs.items()},
    }


def parse_args() -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of unmeasured load first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--low-connections",
        type=int,
        default=1,
        help="also a run this concurrent per config and round (unloaded latency; 0: none)",
    )
    parser.add_argument("--configs", default="bare,default,nocache", help=", ".join(CONFIGS))
    parser.add_argument("--profile", default="", help="configuration to profile with py-spy")
    parser.add_argument(
        "--before", default="", help="git revision served as configuration `before` (default)"
    )
    parser.add_argument("--profile-out", default="/tmp/versehub-bench-api-profile")
    args = parser.parse_args()
    args.configs = [c for c in args.configs.split(",") if c]
    if unknown := set(args.configs) - set(CONFIGS):
        parser.error(f"unknown configurations: {', '.join(sorted(unknown))}")
    if "bare" not in args.configs or len(args.configs) < 2:
        parser.error("--configs needs bare and at least one VerseHub configuration")
    if ("before" in args.configs) != bool(args.before):
        parser.error("configuration `before` and --before REV go together")
    if args.profile and args.profile not in args.configs:
        parser.error("--profile must name one of --configs")
    if args.profile and not (BIN / "py-spy").exists():
        parser.error("py-spy is not in the venv (uv pip install --python .venv/bin/python py-spy)")
    return args


def main() -> None:
    """Serve every configuration, load each in turn for `--rounds` rounds, print a JSON report."""
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vh-bench-api-"))
    report: dict[str, Any] = {}
    try:
        with servers(args, workdir) as running:
            started: dict[str, Gunicorn] = running["servers"]
            first = next(server for name, server in started.items() if name not in BARE_APPS)
            token = Token(first.base, running["password"])
            report["machine"] = describe(running["bindir"])
            report["settings"] = {
                "env": "production",
                "gunicorn": "deploy/gunicorn.conf.py, WEB_CONCURRENCY=2, gthread, "
                f"VERSEHUB_THREADS={first.env['VERSEHUB_THREADS']}",
                "rate_limit_default": RAISED_LIMIT,
                "cache_off_env": running["cache_off_env"] or "no cache setting found",
                "caller": f"{MEMBER} (member), bearer access token",
                "wrk": f"-t1 -c{args.connections} -d{args.duration}s --latency",
            }

            def headers(name: str) -> list[str]:
                anonymous = name in BARE_APPS or name in PAGE_CONFIGS
                return [] if anonymous else [token.header()]

            running["paths"] = paths = page_paths(started)
            report["answers"] = {
                name: check_page(name, server, paths[name])
                if name in PAGE_CONFIGS
                else check_answer(name, server, (headers(name) or ["X-Bench: 1"])[0])
                for name, server in started.items()
            }
            report.update(measure(args, running, headers))
            if args.profile:
                server = started[args.profile]
                report["profile"] = {
                    "config": args.profile,
                    **profile(
                        server, server.base + paths[args.profile], headers(args.profile), args
                    ),
                }
            report["load_at_end"] = load()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

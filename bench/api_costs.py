"""Where the time of one `GET /api/v1/entries?per_page=20` goes, stage by stage, in one process.

Run: .venv/bin/python -m bench.api_costs [--runs 300] [--parts-only]

The companion of bench_api (which measures the whole server): on a throw-away PostgreSQL with
the demo hub, one thread times each stage alone — SQL statements, wall and CPU time per call —
and times what the stages would cost with leaner loading, using only the loader options that
`search.fetch` already accepts, so no source change is needed to measure it.

Then, with production settings (JSON log lines at INFO, to /dev/null here), the whole request
through `app.wsgi_app` (CPU µs, cache hit and cache off) and its parts (`bench/request_parts.py`:
log line, rate limiter, security headers, JSON envelope, hooks, teardown, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

from tests.servers import PostgresServer, postgres_bindir
from werkzeug.test import EnvironBuilder

from bench.bench_api import create_database
from bench.machine import describe

PATH = "/api/v1/entries?per_page=20"


def measure(run: Callable[[], Any], runs: int, counter: list[int]) -> dict[str, float]:
    """Median wall and CPU ms of `run` and the SQL statements it sends (after 20 warm-ups)."""
    for _ in range(20):
        run()
    walls, cpus = [], []
    before = counter[0]
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.thread_time()
        run()
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return {
        "wall_ms": round(statistics.median(walls), 2),
        "cpu_ms": round(statistics.median(cpus), 2),
        "statements": round((counter[0] - before) / runs, 1),
    }


def main() -> None:  # noqa: PLR0915 - one linear script: set-up, then one line per stage
    """Set up PostgreSQL and the demo hub, time each stage, print a JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument(
        "--parts-only", action="store_true", help="skip the stages, time the request's parts"
    )
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import event, text
    from sqlalchemy.orm import defaultload, defer

    from versehub import create_app
    from versehub.extensions import db
    from versehub.modules.accounts.api.resolvers import bearer_principal
    from versehub.modules.accounts.models import User
    from versehub.modules.knowledge import demo
    from versehub.modules.knowledge.models import Entry
    from versehub.modules.knowledge.schemas import EntrySummary, ListQuery
    from versehub.modules.knowledge.service import search

    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found")
    server = PostgresServer(bindir)
    server.start()
    instance = Path(tempfile.mkdtemp(prefix="vh-bench-costs-"))
    report: dict[str, Any] = {"machine": describe(bindir)}
    try:
        url = create_database(server, "versehub_costs")
        password = "Bench-" + secrets.token_urlsafe(18)
        settings = {
            "env": "testing",  # in-process; the production difference (JSON logs) is not timed
            "instance_path": instance,
            "database_url": url,
            "secret_key": secrets.token_urlsafe(48),
            "jwt_secret_key": secrets.token_urlsafe(48),
            "log_level": "WARNING",
            "embedded_worker": False,
            "rate_limit_default": "10000000/minute",
        }
        app = create_app({**settings, "api_cache_timeout": 0})
        cached_app = create_app(settings)
        with app.app_context():
            upgrade()
            demo.seed(password=lambda: password)
            db.session.remove()
        client, cached_client = app.test_client(), cached_app.test_client()
        login = {"login": "demo-amara", "password": password}
        token = client.post("/api/v1/auth/login", json=login).get_json()["data"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        counter = [0]

        def count(*_: Any) -> None:
            counter[0] += 1

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        with cached_app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        query = ListQuery(per_page=20)
        lean = (
            defaultload(Entry.author).noload(User.role_rows),
            defaultload(Entry.author).noload(User.module_rows),
            defer(Entry.content),
            defer(Entry.content_html),
            defer(Entry.plain_language),
            defer(Entry.plain_language_html),
        )

        def in_request(work: Callable[[], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with app.test_request_context(PATH, headers=headers):
                    work()
                    db.session.remove()

            return run

        def viewer() -> Any:
            return bearer_principal()

        def list_default() -> Any:
            return search.list_(query=query, viewer=bearer_principal())

        def list_lean() -> Any:
            page = search.fetch(query=query, viewer=bearer_principal(), options=lean)
            return [EntrySummary.model_validate(hit.entry) for hit in page.hits]

        stages = {
            "one round trip (SELECT 1)": in_request(lambda: db.session.execute(text("SELECT 1"))),
            "auth: bearer token -> principal": in_request(viewer),
            "auth + search.list_ (default loading)": in_request(list_default),
            "auth + fetch with lean loader options": in_request(list_lean),
            "whole request, cache off (test client)": lambda: client.get(PATH, headers=headers),
            "whole request, anonymous, cache off": lambda: client.get(PATH),
            "whole request, cache on (hits)": lambda: cached_client.get(PATH, headers=headers),
        }
        report["runs"] = args.runs
        if not args.parts_only:
            report["stages"] = {
                name: measure(run, args.runs, counter) for name, run in stages.items()
            }
        report["parts"] = production_parts(settings, token, args.runs, counter)
        for flask_app in (app, cached_app):
            with flask_app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(instance, ignore_errors=True)
    print(json.dumps(report, indent=2))


def production_parts(
    settings: dict[str, Any], token: str, runs: int, counter: list[int]
) -> dict[str, Any]:
    """The whole request and its parts on production settings, cache hit and cache off."""
    from cryptography.fernet import Fernet
    from sqlalchemy import event

    from bench import request_parts
    from versehub import create_app
    from versehub.extensions import db

    production = {
        **settings,
        "env": "production",
        "log_level": "INFO",
        "log_json": True,
        "totp_encryption_keys": Fernet.generate_key().decode(),
    }
    headers = {"Authorization": f"Bearer {token}"}
    from bench.bare_app import app as bare

    out: dict[str, Any] = {}
    bare_environ = EnvironBuilder(path=PATH).get_environ()
    out["bare Flask"] = {
        "whole_request_cpu_us": request_parts.whole(bare, bare_environ, runs)["cpu_us"]
    }
    with open(os.devnull, "w") as sink, redirect_stderr(sink):
        for name, overrides in (("cache hit", {}), ("cache off", {"api_cache_timeout": 0})):
            app = create_app({**production, **overrides})
            with app.app_context():
                event.listen(
                    db.engine,
                    "before_cursor_execute",
                    lambda *_: counter.__setitem__(0, counter[0] + 1),
                )
            environ = EnvironBuilder(path=PATH, headers=headers).get_environ()
            before = counter[0]
            whole = request_parts.whole(app, environ, runs)
            statements = (counter[0] - before) / (runs + 50)
            out[name] = {
                "whole_request_cpu_us": whole["cpu_us"],
                "whole_request_process_cpu_us": whole["process_cpu_us"],
                "whole_request_wall_us": whole["wall_us"],
                "statements": round(statements, 1),
                **request_parts.parts(app, environ, runs),
            }
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return out


if __name__ == "__main__":
    main()

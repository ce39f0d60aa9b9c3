"""Liveness, readiness (database, cache, broker, every module) and their checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import structlog
from flask import Flask, Response, current_app, jsonify
from sqlalchemy import text

from versehub.core.modules import Health, get_registry
from versehub.extensions import cache, db

log = structlog.get_logger(__name__)

Check = Callable[[], Health]


def check_database() -> Health:
    """Run `SELECT 1` on the app's database."""
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return Health("ok", {"backend": db.engine.dialect.name})


def check_cache() -> Health:
    """Write and read back a key in the cache; an unreachable Redis cache is only `degraded`."""
    key = "versehub:health:probe"
    backend = current_app.config.get("CACHE_TYPE", "")
    try:
        cache.set(key, "1", timeout=10)
        value = cache.get(key)
    except Exception as exc:
        if backend != "RedisCache":
            raise
        # Every cache user falls back to computing the answer: slower, not unable to serve.
        return Health(
            "degraded",
            {"backend": backend, "error": f"Redis unreachable ({type(exc).__name__}): bypassed"},
        )
    if value != "1":
        return Health("degraded", {"backend": backend, "error": "value written was not read back"})
    return Health("ok", {"backend": backend})


def register_check(app: Flask, name: str, check: Check) -> None:
    """Add a readiness check (core parts such as the job broker register theirs)."""
    app.extensions.setdefault("versehub.health_checks", {})[name] = check


def _timed(check: Check, timeout: float) -> dict[str, Any]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> Health:
        with app.app_context():
            return check()

    started = time.perf_counter()
    # A hung dependency must not hang the probe: each check gets its own deadline.
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(run)
    try:
        result = future.result(timeout=timeout)
    except FutureTimeout:
        result = Health("fail", {"error": f"no answer within {timeout:g}s"})
    except Exception as exc:  # report, do not raise: the probe itself must answer
        log.warning("health_check_failed", exc_info=True)
        result = Health("fail", {"error": type(exc).__name__})
    finally:
        pool.shutdown(wait=False)
    return {
        "status": result.status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        **dict(result.details),
    }


def readiness() -> tuple[bool, dict[str, Any]]:
    """Run every check; ready unless one fails (`degraded` parts are reported, still ready).

    Ready means "send me traffic": only what stops this instance from serving requests fails
    (the database, its own broker file); a shared fallback-able dependency (Redis cache, rate
    limits, the Redis broker) or an idle job queue is `degraded`, since taking every instance out
    of the load balancer at once would help nobody.
    """
    timeout = current_app.extensions["versehub.settings"].health_timeout
    checks: dict[str, Check] = current_app.extensions.get("versehub.health_checks", {})
    components = {name: _timed(check, timeout) for name, check in checks.items()}
    modules = {m.name: _timed(m.check_health, timeout) for m in get_registry().enabled}
    statuses = [c["status"] for c in [*components.values(), *modules.values()]]
    ready = "fail" not in statuses
    status = "fail" if not ready else "degraded" if "degraded" in statuses else "ok"
    return ready, {"status": status, "checks": components, "modules": modules}


def live() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


def ready() -> tuple[Response, int]:
    """200 when every dependency and module is usable, 503 with details otherwise."""
    is_ready, body = readiness()
    return jsonify(body), 200 if is_ready else 503


def register_health(app: Flask) -> None:
    """Serve `/health/live` and `/health/ready` with the core checks."""
    register_check(app, "database", check_database)
    register_check(app, "cache", check_cache)
    app.add_url_rule("/health/live", "health_live", live, methods=["GET"])
    app.add_url_rule("/health/ready", "health_ready", ready, methods=["GET"])

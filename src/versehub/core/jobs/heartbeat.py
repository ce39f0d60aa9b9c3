"""Worker heartbeats where the web processes can read them: next to the broker.

Every worker (embedded or `versehub worker`) beats every quarter of `job_worker_stale_after`.
On the embedded SQLite broker a beat touches one file per worker in `worker-heartbeats/` beside
the broker file (the broker is local to the machine, so are its workers); on Redis it sets the
worker's score in one sorted set (worker name → Unix time). Readiness reads the newest beat to
tell whether anyone consumes the queue.
"""

from __future__ import annotations

import time
from pathlib import Path

import redis

from versehub.core.jobs import broker_store

REDIS_KEY = "versehub:jobs:heartbeats"
FOLDER = "worker-heartbeats"
# Beats older than this are dropped from Redis (a worker that vanished without a goodbye).
REDIS_RETENTION = 7 * 86_400


def _folder(url: str) -> Path:
    return broker_store.sqlite_path(url).parent / FOLDER


def _redis(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def _file_name(worker: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@" else "_" for c in worker)


def beat(url: str, worker: str, *, timeout: float = 2.0) -> None:
    """Record that `worker` is alive now."""
    kind = broker_store.broker_kind(url)
    now = time.time()
    if kind == "sqlite":
        folder = _folder(url)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _file_name(worker)
        path.touch()
        return
    if kind == "redis":
        client = _redis(url, timeout)
        try:
            pipe = client.pipeline()
            pipe.zadd(REDIS_KEY, {worker: now})
            pipe.zremrangebyscore(REDIS_KEY, "-inf", now - REDIS_RETENTION)
            pipe.execute()
        finally:
            client.close()


def forget(url: str, worker: str, *, timeout: float = 2.0) -> None:
    """Remove `worker`'s heartbeat (a clean stop)."""
    kind = broker_store.broker_kind(url)
    if kind == "sqlite":
        (_folder(url) / _file_name(worker)).unlink(missing_ok=True)
    elif kind == "redis":
        client = _redis(url, timeout)
        try:
            client.zrem(REDIS_KEY, worker)
        finally:
            client.close()


def last_seen(url: str, *, timeout: float) -> float | None:
    """Unix time of the newest heartbeat of any worker; None when none was ever seen.

    Raises ValueError for a broker kind without heartbeats, and the broker's errors.
    """
    kind = broker_store.broker_kind(url)
    if kind == "sqlite":
        folder = _folder(url)
        if not folder.is_dir():
            return None
        times = [p.stat().st_mtime for p in folder.iterdir() if p.is_file()]
        return max(times, default=None)
    if kind == "redis":
        client = _redis(url, timeout)
        try:
            newest = client.zrevrange(REDIS_KEY, 0, 0, withscores=True)
        finally:
            client.close()
        return float(newest[0][1]) if newest else None
    raise ValueError(f"no worker heartbeats on a {kind} broker")

"""Celery the Flask way: one Celery app per Flask app, configured from Settings."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import redis
import structlog
from celery import Celery, signals
from flask import Flask

from versehub.core.health import register_check
from versehub.core.jobs import broker_store, heartbeat, transport
from versehub.core.jobs.base import JobTask, keep_dead_letter
from versehub.core.jobs.broker_store import broker_kind
from versehub.core.jobs.deadletters import dead_letter_values
from versehub.core.modules import Health
from versehub.settings import Settings

log = structlog.get_logger(__name__)

DEFAULT_QUEUE = "versehub"
WORKER_EXTENSION = "versehub.jobs.worker"


def transport_options(url: str, *, visibility_timeout: int) -> dict[str, Any]:
    """Broker options per kind: fast polling locally, bounded connects and redelivery on Redis."""
    kind = broker_kind(url)
    if kind == "sqlite":
        return {"polling_interval": 0.1, "busy_timeout": 5.0, "recover_interval": 10.0}
    if kind == "redis":
        # A job fetched by a worker that died unacknowledged is delivered again after this.
        # Celery holds a job waiting for its retry countdown unacknowledged too, so it must
        # exceed the longest backoff (the settings check) and the longest job.
        return {"visibility_timeout": visibility_timeout, "socket_connect_timeout": 5}
    return {}


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings derived from VerseHub's settings."""
    url = settings.effective_broker_url
    return {
        "broker_url": url,
        "broker_transport_options": transport_options(
            url, visibility_timeout=settings.job_visibility_timeout
        ),
        "broker_connection_retry_on_startup": True,
        "task_default_queue": DEFAULT_QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        # Acknowledge after the task ran: a crash mid-task leaves the job to run again.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_prefetch_multiplier": 4,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "beat_schedule_filename": str(settings.instance_path.resolve() / "celerybeat-schedule"),
        "enable_utc": True,
        "timezone": "UTC",
    }


def init_jobs(app: Flask, settings: Settings) -> Celery:
    """Create the app's Celery instance: tasks run in the app context, failures become dead
    letters, and the broker joins the readiness checks."""
    transport.register_transport()
    task_cls = type(
        "AppJobTask",
        (JobTask,),
        {
            "__module__": __name__,
            "flask_app": app,
            "job_retries": settings.job_max_retries,
            "retry_backoff_max": settings.job_retry_backoff_max,
            "db_retry_for": settings.job_db_retry_for,
            "db_retry_backoff_max": settings.job_db_retry_backoff_max,
        },
    )
    celery_app = Celery(app.import_name, task_cls=task_cls)
    app.config["CELERY"] = celery_config(settings)
    celery_app.conf.update(app.config["CELERY"])
    # Worker threads and `@shared_task` proxies resolve "the current app" through these.
    celery_app.set_default()
    celery_app.set_current()
    app.extensions["celery"] = celery_app
    register_check(app, "broker", partial(check_broker, app))
    register_check(app, "jobs", partial(check_workers, app))
    signals.task_unknown.connect(_dead_letter_unknown_task, weak=False, dispatch_uid=__name__)
    return celery_app


def check_broker(app: Flask) -> Health:
    """Readiness of the broker (short timeouts) and of the embedded worker when one runs.

    An unusable embedded broker fails (it is this instance's own file); an unreachable Redis
    broker is `degraded`: every instance shares it, so taking this one out of the load balancer
    helps nobody, and requests that queue jobs answer SYS_SERVICE_UNAVAILABLE meanwhile.
    """
    settings: Settings = app.extensions["versehub.settings"]
    url = settings.effective_broker_url
    kind = broker_kind(url)
    timeout = max(0.1, settings.health_timeout / 2)
    details: dict[str, Any] = {"kind": kind}
    worker = app.extensions.get(WORKER_EXTENSION)
    if worker is not None:
        details["embedded_worker"] = "alive" if worker.alive else "dead"
    try:
        if kind == "sqlite":
            details.update(broker_store.probe(url, timeout))
        elif kind == "redis":
            client = redis.Redis.from_url(
                url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            try:
                details["queued"] = int(client.llen(DEFAULT_QUEUE))
                # Without AOF a Redis restart loses every queued and unacknowledged job.
                details["persistence"] = _redis_persistence(client)
            finally:
                client.close()
        else:
            celery_app: Celery = app.extensions["celery"]
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - the probe reports any failure; it never raises
        log.warning("broker_check_failed", kind=kind, error_type=type(exc).__name__)
        error = {**details, "error": type(exc).__name__}
        return Health("degraded", error) if kind == "redis" else Health("fail", error)
    # A dead worker thread leaves jobs queued (durably) but unprocessed: degraded, not down.
    degraded = details.get("embedded_worker") == "dead" or details.get("persistence") == "none"
    return Health("degraded" if degraded else "ok", details)


def _redis_persistence(client: redis.Redis) -> str:
    try:
        info = client.info("persistence")
    except redis.ResponseError:  # INFO disabled (some managed services): cannot tell
        return "unknown"
    return "aof" if int(info.get("aof_enabled", 0)) else "none"


def check_workers(app: Flask) -> Health:
    """Whether some job worker consumes the queue: the newest heartbeat next to the broker.

    No worker seen for `job_worker_stale_after` seconds is `degraded`, not a failure: jobs stay
    queued durably and the web requests are served; what is missing is a worker to start.
    """
    settings: Settings = app.extensions["versehub.settings"]
    url = settings.effective_broker_url
    stale_after = settings.job_worker_stale_after
    try:
        seen = heartbeat.last_seen(url, timeout=max(0.1, settings.health_timeout / 2))
    except ValueError:
        return Health("ok", {"workers": "unknown (no heartbeats on this broker)"})
    except Exception as exc:  # noqa: BLE001 - the broker check reports the broker itself
        return Health("degraded", {"error": f"heartbeats unreadable ({type(exc).__name__})"})
    if seen is None:
        return Health("degraded", {"last_seen_s": None, "error": "no worker seen"})
    age = max(0, round(time.time() - seen))
    if age > stale_after:
        return Health("degraded", {"last_seen_s": age, "error": f"no worker seen for {age} s"})
    return Health("ok", {"last_seen_s": age})


def _dead_letter_unknown_task(
    sender: Any = None,
    name: str = "",
    id: str = "",
    message: Any = None,
    exc: Any = None,
    **_: Any,
) -> None:
    # A job for a task this worker does not know (its module is off here) would be dropped by
    # Celery with a log line only: keep it as a dead letter so it can be re-queued.
    flask_app = getattr(getattr(getattr(sender, "app", None), "Task", None), "flask_app", None)
    if flask_app is None:
        return
    try:
        body = message.decode() if message is not None else None
        args, kwargs = (body[0], body[1]) if isinstance(body, list | tuple) else ([], {})
        values = dead_letter_values(
            task_id=id,
            task_name=name,
            args=list(args),
            kwargs=dict(kwargs),
            retries=0,
            error=exc if isinstance(exc, BaseException) else LookupError(str(exc)),
            traceback="",
        )
    except Exception:  # never break the consumer loop
        log.exception("dead_letter_unreadable", task_id=id, task_name=name)
        return
    keep_dead_letter(flask_app, values)

"""gunicorn settings for VerseHub; every value can be overridden from the environment."""

import os
import shutil
import tempfile
from pathlib import Path

# Metrics from every worker are merged through files in this folder (prometheus-client's
# multiprocess mode); it must be set before any worker imports prometheus_client.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / "versehub-metrics")
)

wsgi_app = "versehub.wsgi:app"
bind = os.environ.get("VERSEHUB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("VERSEHUB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("VERSEHUB_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("VERSEHUB_MAX_REQUESTS", "0"))
max_requests_jitter = 100
# Behind nginx: trust X-Forwarded-* only from the proxy on this machine.
forwarded_allow_ips = os.environ.get("VERSEHUB_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # VerseHub logs each request itself, with its request id
errorlog = "-"


def on_starting(server):  # type: ignore[no-untyped-def]
    """Start each run with an empty metrics folder (old files would add stale counts)."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """Drop a dead worker's live gauges from the merged metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

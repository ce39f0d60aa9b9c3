"""Prometheus metrics: per-endpoint request counts and latency, multiprocess-safe."""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# Metric objects are process-wide, like the registry they live in.
HTTP_REQUESTS = Counter(
    "versehub_http_requests_total",
    "HTTP requests by endpoint, method and status.",
    ["method", "endpoint", "status"],
)
HTTP_LATENCY = Histogram(
    "versehub_http_request_duration_seconds",
    "HTTP request latency by endpoint and method.",
    ["method", "endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "versehub_events_published_total", "Events published on the bus.", ["event"]
)
EVENT_SUBSCRIBER_ERRORS = Counter(
    "versehub_event_subscriber_errors_total", "Subscribers that raised.", ["event"]
)
BREAKER_STATE_CHANGES = Counter(
    "versehub_circuit_breaker_state_changes_total",
    "Circuit breaker state changes.",
    ["breaker", "state"],
)
JOBS_FINISHED = Counter(
    "versehub_jobs_total", "Jobs finished by task and outcome.", ["task", "outcome"]
)


# The labelled series of each (method, endpoint, status), found once: `labels()` validates and
# locks on every call. Bounded like the label sets themselves.
_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None:
        return response
    # The endpoint name, not the path: ids in paths would make unbounded label sets.
    key = (request.method, request.endpoint or "<unmatched>", response.status_code)
    series = _series.get(key)
    if series is None:
        method, endpoint, status = key
        series = _series.setdefault(
            key,
            (
                HTTP_REQUESTS.labels(method, endpoint, str(status)),
                HTTP_LATENCY.labels(method, endpoint),
            ),
        )
    series[0].inc()
    series[1].observe(time.perf_counter() - started)
    return response


def metrics_view() -> Response:
    """Prometheus text format; aggregates every worker under gunicorn's multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest(REGISTRY)
    # content_type, not mimetype: Flask would append a second `charset=utf-8` to a mimetype.
    return Response(payload, content_type=CONTENT_TYPE_LATEST)


def register_metrics(app: Flask) -> None:
    """Time every request and serve `/metrics`."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])

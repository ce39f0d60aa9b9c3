"""Prometheus metrics per endpoint and status."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families


def samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_requests_are_counted_by_endpoint_and_status(client: FlaskClient) -> None:
    key_ok = (
        "versehub_http_requests_total",
        (("endpoint", "system.get_info"), ("method", "GET"), ("status", "200")),
    )
    key_404 = (
        "versehub_http_requests_total",
        (("endpoint", "<unmatched>"), ("method", "GET"), ("status", "404")),
    )
    before = samples(client)
    for _ in range(3):
        client.get("/api/v1/system/info")
    client.get("/api/v1/does-not-exist/12345")
    after = samples(client)
    assert after[key_ok] - before.get(key_ok, 0) == 3
    assert after[key_404] - before.get(key_404, 0) == 1
    # Paths with ids never become labels.
    assert not any("12345" in str(labels) for _, labels in after)


def test_latency_histogram_has_buckets(client: FlaskClient) -> None:
    client.get("/health/live")
    after = samples(client)
    buckets = [
        labels
        for name, labels in after
        if name == "versehub_http_request_duration_seconds_bucket"
        and ("endpoint", "health_live") in labels
    ]
    assert len(buckets) >= 10


def test_content_type_names_the_charset_once(client: FlaskClient) -> None:
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type == CONTENT_TYPE_LATEST
    assert content_type.count("charset") == 1

"""Scaled-out web tier: gunicorn with two workers, metrics merged across processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_JWT_SECRET, TEST_SECRET
from tests.servers import free_port, missing, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[str]:
    binary = Path(sys.executable).with_name("gunicorn")
    if not binary.exists() and shutil.which("gunicorn") is None:
        missing("gunicorn is not installed in this environment")
    port = free_port()
    env = {
        **os.environ,
        "VERSEHUB_ENV": "testing",
        "VERSEHUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "VERSEHUB_SECRET_KEY": TEST_SECRET,
        "VERSEHUB_JWT_SECRET_KEY": TEST_JWT_SECRET,
        "VERSEHUB_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "VERSEHUB_LOG_LEVEL": "WARNING",
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
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def request_count(base: str, endpoint: str) -> float:
    _, body, _ = get(f"{base}/metrics")
    return sum(
        s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
        if s.name == "versehub_http_requests_total" and s.labels.get("endpoint") == endpoint
    )


def test_two_workers_serve_and_metrics_add_up(gunicorn: str) -> None:
    status, body, headers = get(f"{gunicorn}/health/ready")
    assert status == 200, body
    assert "X-Request-ID" in headers
    for _ in range(40):
        assert get(f"{gunicorn}/api/v1/system/info")[0] == 200
    # Whichever worker answers /metrics, the count covers both processes.
    assert request_count(gunicorn, "system.get_info") == 40
    assert request_count(gunicorn, "system.get_info") == 40
    status, body, _ = get(f"{gunicorn}/api/v1/nope")
    assert status == 404
    assert b"RES_NOT_FOUND" in body

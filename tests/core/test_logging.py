"""Log lines carry the request id and never secrets; JSON in production."""

from __future__ import annotations

import json

import pytest
import structlog

from tests.conftest import AppFactory
from versehub.core.logging import REDACTED, configure_logging

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


def json_lines(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_request_lines_are_json_with_request_id(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_app(log_json=True, log_level="INFO").test_client()
    capsys.readouterr()
    client.get("/api/v1/nope?token=abc", headers={"X-Request-ID": "req-42"})
    lines = json_lines(capsys.readouterr().err)
    request_line = next(line for line in lines if line["event"] == "request")
    assert request_line["request_id"] == "req-42"
    assert request_line["path"] == "/api/v1/nope"
    assert request_line["status"] == 404
    assert "token" not in json.dumps(request_line)


def test_lines_inside_a_request_share_its_id(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(log_json=True, log_level="INFO")

    @app.get("/log-twice")
    def log_twice() -> str:
        structlog.get_logger("test").info("first")
        structlog.get_logger("test").info("second")
        return "ok"

    capsys.readouterr()
    app.test_client().get("/log-twice", headers={"X-Request-ID": "same-id"})
    lines = [line for line in json_lines(capsys.readouterr().err) if line["event"] != "request"]
    assert [line["event"] for line in lines] == ["first", "second"]
    assert {line["request_id"] for line in lines} == {"same-id"}


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
def test_secrets_are_redacted(as_json: bool, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(level="INFO", json=as_json)
    log = structlog.get_logger("test")
    log.info(
        "login",
        password="hunter2-password",
        api_key="vh_live_abcdef123456",
        headers={"Authorization": f"Bearer {JWT}", "Accept": "text/html"},
        note=f"user sent {JWT} and Bearer abcdefghijklmnop",
        url="postgresql://admin:s3cr3tpw@db.example/versehub",
        refresh_token="rt-123456789",
    )
    out = capsys.readouterr().err
    for secret in (
        "hunter2-password",
        "vh_live_abcdef123456",
        JWT,
        "abcdefghijklmnop",
        "s3cr3tpw",
        "rt-123456789",
    ):
        assert secret not in out
    assert REDACTED in out
    assert "text/html" in out  # ordinary values stay readable
    if as_json:
        line = json_lines(out)[0]
        assert line["password"] == REDACTED
        assert line["headers"]["Accept"] == "text/html"
        assert line["url"] == f"postgresql://{REDACTED}@db.example/versehub"


def test_stdlib_loggers_go_through_the_same_redaction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import logging

    configure_logging(level="INFO", json=True)
    logging.getLogger("thirdparty").warning("connecting with token=%s", "tok_999999")
    out = capsys.readouterr().err
    assert "tok_999999" not in out
    assert json_lines(out)[0]["logger"] == "thirdparty"

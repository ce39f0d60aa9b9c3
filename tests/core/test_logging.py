"""Log lines carry the request id and never secrets; JSON in production."""

from __future__ import annotations

import json

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import AppFactory
from versehub.core.logging import REDACTED, SENSITIVE_VALUE, configure_logging, scrub_text

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


def test_the_access_line_has_the_fields_and_order_of_any_other_line(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(log_json=True, log_level="INFO")

    @app.get("/bind-user")
    def bind_user() -> str:
        structlog.contextvars.bind_contextvars(user_id=7)
        # The same event through structlog's whole processor chain, for comparison.
        structlog.get_logger("versehub.request").info(
            "request", method="GET", path="/bind-user", status=200, duration_ms=0.5
        )
        return "ok"

    capsys.readouterr()
    app.test_client().get("/bind-user", headers={"X-Request-ID": "req-7"})
    chained, access = json_lines(capsys.readouterr().err)
    own = ["method", "path", "status", "duration_ms", "event"]
    stamped = ["level", "logger", "timestamp"]
    # Context variables come between, in the order the context iterates them (not fixed).
    for line in (access, chained):
        keys = list(line)
        assert keys[:5] == own
        assert keys[-3:] == stamped
        assert set(keys[5:-3]) == {"request_id", "user_id"}
    assert {k: v for k, v in access.items() if k not in ("duration_ms", "timestamp")} == {
        k: v for k, v in chained.items() if k not in ("duration_ms", "timestamp")
    }
    assert access["timestamp"].endswith("Z")
    assert isinstance(access["duration_ms"], float)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
def test_the_access_line_redacts_credentials_in_the_path_and_request_id(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    client = make_app(log_json=as_json, log_level="INFO").test_client()
    capsys.readouterr()
    client.get(f"/api/v1/nope/{JWT}", headers={"X-Request-ID": JWT})
    out = capsys.readouterr().err
    assert JWT not in out
    assert "/api/v1/nope/" + REDACTED in out


def test_the_access_line_follows_the_level(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_app(log_json=True, log_level="WARNING").test_client()
    capsys.readouterr()
    client.get("/api/v1/nope")
    assert not [line for line in json_lines(capsys.readouterr().err) if line["event"] == "request"]


# Pieces of every credential pattern, so that generated text often matches one.
PIECES = [*"abeyJrBEARpswd=tkn_@:/. -\tİK", "eyJ", "bearer ", "BeArEr ", "password=", "://u:p@"]


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(PIECES), max_size=30))
def test_the_quick_test_before_the_credential_pattern_never_skips_a_match(parts: list[str]) -> None:
    text = "".join(parts)
    assert scrub_text(text) == SENSITIVE_VALUE.sub(REDACTED, text)

"""structlog set-up: JSON lines in production, readable lines elsewhere, secrets redacted."""

from __future__ import annotations

import functools
import json as stdlib_json
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson
import structlog

REDACTED = "[REDACTED]"

# Keys whose values are never logged, whatever they hold.
SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|authorization|api[_-]?key|cookie|otp|credential|private",
    re.IGNORECASE,
)
# Values that look like credentials wherever they appear inside a string.
SENSITIVE_VALUE = re.compile(
    r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"  # JWT
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"  # Authorization header value
    r"|(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"  # user:password in a URL
    r"|(?i:(?<=password=)|(?<=passwd=)|(?<=secret=)|(?<=token=)|(?<=api_key=)|(?<=apikey=))[^\s&,;'\"]+"
)


class Unredacted(str):
    """A log value shown as is. Only for development aids (a mail's sign-in link printed to the
    developer's console); build it only when `env` is development, never from request data."""


@functools.lru_cache(maxsize=4096)
def sensitive_key(key: str) -> bool:
    """Whether values under `key` are never logged (keys repeat: the answer is remembered)."""
    return SENSITIVE_KEY.search(key) is not None


def scrub_text(value: str) -> str:
    """`value` with credential-looking substrings replaced by REDACTED."""
    # Every SENSITIVE_VALUE branch needs one of these (a JWT's `eyJ`, `bearer` in any case, the
    # `@` after a URL's password, the `=` after a parameter name): most strings have none, and
    # the test costs a twentieth of the regex.
    if "=" in value or "@" in value or "eyJ" in value or "bearer" in value.lower():
        return SENSITIVE_VALUE.sub(REDACTED, value)
    return value


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, Unredacted):
        return str(value)
    if depth > 6:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and sensitive_key(k) else _scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v, depth + 1) for v in value)
    return value


def redact(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: drop secret-looking keys and credential-looking substrings."""
    for key in list(event_dict):
        if sensitive_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def dumps_line(event_dict: Any, **kwargs: Any) -> str:
    """A log line's JSON: orjson (compact, UTF-8); the standard library for what it refuses
    (integers beyond 64 bits). `default` renders values JSON has no type for (structlog's)."""
    try:
        return orjson.dumps(
            event_dict, default=kwargs.get("default"), option=orjson.OPT_NON_STR_KEYS
        ).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return stdlib_json.dumps(event_dict, **kwargs)


# The access line: one per request, so it skips structlog's processor chain and is put together
# here with the same fields in the same order, redacted and rendered the same way.
ACCESS_LOGGER = "versehub.request"
_access = logging.getLogger(ACCESS_LOGGER)
_access_json = False  # set by configure_logging
_stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
_render = structlog.processors.JSONRenderer(serializer=dumps_line)
RENDERED = "_versehub_rendered"  # LogRecord attribute: the message is the finished line


def log_request(*, method: str, path: str, status: int, duration_ms: float) -> None:
    """The access line of a request: method, path (never the query), status and duration."""
    if not _access.isEnabledFor(logging.INFO):
        return
    if not _access_json:
        structlog.get_logger(ACCESS_LOGGER).info(
            "request", method=method, path=path, status=status, duration_ms=duration_ms
        )
        return
    event: dict[str, Any] = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": duration_ms,
        "event": "request",
    }
    structlog.contextvars.merge_contextvars(None, "info", event)
    event["level"] = "info"
    event["logger"] = ACCESS_LOGGER
    _stamp(None, "info", event)
    record = _access.makeRecord(ACCESS_LOGGER, logging.INFO, __file__, 0, "", (), None)
    record.msg = _render(None, "info", redact(None, "info", event))
    setattr(record, RENDERED, True)
    _access.handle(record)


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, except for lines `log_request` has finished already."""

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, RENDERED, False):
            return str(record.msg)
        return super().format(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (test capture, daemon redirection)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(*, level: str, json: bool) -> None:
    """Route structlog and the standard library through one formatter (idempotent)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    global _access_json  # process-wide, like the root logger this configures
    _access_json = json
    # Tracebacks become text before redaction: exception messages can carry credentials.
    renderer: Any
    if json:
        renderer = _render
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    final = [structlog.processors.format_exc_info, redact, renderer]

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = _Formatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_versehub", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    handler._versehub = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's own access line would duplicate ours and carry the query string.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

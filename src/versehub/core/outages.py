"""Database outages: recognised precisely, answered 503 with Retry-After, logged once per interval.

While the database is down every request fails the same way; a traceback per request (about
1,400 a minute under load) buries everything else in the log. So a connection failure is
answered `503 SYS_SERVICE_UNAVAILABLE` with `Retry-After` and logged at most once per
`LOG_INTERVAL` per process, with the count of failures not logged since. Only failures to reach
or keep a connection count: a missing table or a bad statement is a bug and stays a 500.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from typing import Any

import psycopg
import structlog
from flask import Flask, current_app
from sqlalchemy import exc as sa_exc

from versehub.core.errors import APIError
from versehub.extensions import db

log = structlog.get_logger(__name__)

RETRY_AFTER = 5  # seconds: a restart or failover of the database usually takes a few
LOG_INTERVAL = 30.0  # seconds between two log lines about the same outage, per process

# PostgreSQL SQLSTATEs that mean "the server cannot serve you now": connection exceptions
# (class 08), shutdown in progress (57P01-57P03) and too many connections (53300).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# sqlite3 reports these as OperationalError; "no such table" and syntax errors are bugs instead.
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error", "database is locked")


def _psycopg_unavailable(error: psycopg.Error) -> bool:
    if not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    state = error.sqlstate
    # No SQLSTATE: the client could not connect, or lost the connection (the server never said).
    return state is None or state.startswith("08") or state in _UNAVAILABLE_STATES


def is_connection_failure(exc: BaseException) -> bool:
    """True when `exc` means the database cannot be reached (or kept) right now."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True  # no pooled connection freed up in time: overloaded, try again shortly
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return False
    if exc.connection_invalidated:
        return True  # SQLAlchemy's dialect recognised a disconnect
    original = exc.orig
    if isinstance(original, psycopg.Error):
        return _psycopg_unavailable(original)
    if isinstance(original, sqlite3.OperationalError):
        return str(original).lower().startswith(_SQLITE_UNAVAILABLE)
    return False


class ThrottledLog:
    """Log an event at most once per interval; later lines carry how many were held back."""

    def __init__(self, event: str, interval: float = LOG_INTERVAL) -> None:
        self.event = event
        self.interval = interval
        self._lock = threading.Lock()
        self._last: float | None = None
        self._suppressed = 0

    def report(self, **fields: Any) -> bool:
        """Log now unless a line went out within the interval; True when it was logged."""
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                self._suppressed += 1
                return False
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        log.warning(self.event, suppressed=suppressed, interval_s=self.interval, **fields)
        return True


OUTAGE_LOG = "versehub.database_outage_log"


def report_outage(exc: BaseException, *, where: str) -> None:
    """Log a database connection failure, at most once per interval for this app (process)."""
    throttled: ThrottledLog | None = current_app.extensions.get(OUTAGE_LOG)
    if throttled is None:  # an app without init_outages (never in VerseHub): log every time
        throttled = ThrottledLog("database_unavailable", interval=0)
    throttled.report(where=where, **describe(exc))


def describe(exc: BaseException) -> dict[str, Any]:
    """Loggable facts about a connection failure: types and SQLSTATE, no SQL, no parameters."""
    original = getattr(exc, "orig", None)
    return {
        "error_type": type(exc).__name__,
        "driver_error": type(original).__name__ if original is not None else None,
        "sqlstate": getattr(original, "sqlstate", None),
    }


def database_unavailable(exc: BaseException, *, where: str) -> APIError:
    """The 503 for a connection failure, logged once per interval (`where` it was met)."""
    report_outage(exc, where=where)
    return APIError(
        "SYS_SERVICE_UNAVAILABLE",
        "The database is unreachable; retry shortly",
        details={"dependency": "database"},
        retry_after=RETRY_AFTER,
    )


def remove_session(_exc: BaseException | None = None) -> None:
    """Teardown: end the request's session without letting a failed rollback replace the answer.

    Runs after the response was built, often for a write already committed (a read after the
    commit left a transaction open). If the database went away in between, the rollback that
    closing implies fails; raised here, that error would replace the committed write's answer
    with the server's bare 500. Flask-SQLAlchemy's own teardown then finds nothing left to do.
    """
    try:
        db.session.remove()
    except Exception as exc:  # the answer stands whatever closing raised
        if is_connection_failure(exc):
            report_outage(exc, where="teardown")
        else:
            log.warning("session_close_failed", exc_info=True)
        # The failed close left the session registered; closing again finds no transaction.
        with contextlib.suppress(Exception):
            db.session.remove()


def init_outages(app: Flask) -> None:
    """One outage log per app; the teardown that survives a failing rollback (after db.init_app,
    so that it runs before Flask-SQLAlchemy's own: teardowns run in reverse order)."""
    app.extensions[OUTAGE_LOG] = ThrottledLog("database_unavailable")
    app.teardown_appcontext(remove_session)

"""The database schema against the code's migrations: checked on start and by `/health/ready`.

`versehub run` outside production upgrades a database that is behind (and logs it); production
and gunicorn (`versehub.wsgi`) refuse to start instead, naming `versehub db upgrade`: several
workers must not race one migration, and a deployment migrates as its own step. A database at a
revision this code does not know (a newer release migrated it) is reported, not refused: during a
rolling deployment the old release keeps running beside the new schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import structlog
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from versehub.core.errors import StartupError
from versehub.core.health import register_check
from versehub.core.modules import Health
from versehub.extensions import db

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

SchemaStatus = Literal["ok", "missing", "behind", "ahead"]


@dataclass(frozen=True)
class SchemaState:
    """Where the database is (`current` revisions) against the code's `heads`."""

    status: SchemaStatus
    current: tuple[str, ...]
    heads: tuple[str, ...]

    def describe(self) -> str:
        """A short phrase for logs and start-up errors."""
        current = ", ".join(self.current) or "none"
        head = ", ".join(self.heads)
        return {
            "ok": f"at the code's revision {head}",
            "missing": "not migrated (no tables yet)",
            "behind": f"at revision {current}, behind the code's {head}",
            "ahead": f"at revision {current}, which this version of VerseHub does not know",
        }[self.status]


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    # Parsed once per process: the revision files do not change while it runs.
    return ScriptDirectory(str(MIGRATIONS_DIR))


def code_heads() -> tuple[str, ...]:
    """The head revisions of the migrations shipped with this code."""
    return tuple(sorted(_scripts().get_heads()))


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def schema_state(engine: Engine) -> SchemaState:
    """Compare the database's Alembic revision with the code's heads (one small query)."""
    with engine.connect() as connection:
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    heads = code_heads()
    status: SchemaStatus
    if not current:
        status = "missing"
    elif set(current) == set(heads):
        status = "ok"
    elif all(_known(revision) for revision in current):
        status = "behind"
    else:
        status = "ahead"
    return SchemaState(status, current, heads)


def ensure_schema(app: Flask, *, upgrade: bool) -> SchemaState | None:
    """On start: upgrade a database that is behind when `upgrade`, else refuse (StartupError).

    Returns the state found, or None when the database cannot be reached: the process starts
    anyway and answers 503 until it can (readiness reports both checks failing).
    """
    with app.app_context():
        try:
            state = schema_state(db.engine)
        except SQLAlchemyError as exc:
            log.warning(
                "schema_check_skipped", reason="database unreachable", error=type(exc).__name__
            )
            return None
        if state.status == "ok":
            return state
        if state.status == "ahead":
            log.warning("database_schema_unknown", current=state.current, heads=state.heads)
            return state
        if not upgrade:
            raise StartupError(
                f"the database is {state.describe()}; run `versehub db upgrade` first"
            )
        from flask_migrate import upgrade as run_upgrade

        run_upgrade()
        log.info("database_migrated", from_revision=state.current or None, to_revision=state.heads)
        return schema_state(db.engine)


def check_schema() -> Health:
    """Readiness: the schema must be at the code's revision (unknown newer ones degrade)."""
    state = schema_state(db.engine)
    details = {"state": state.status, "revision": list(state.current), "head": list(state.heads)}
    if state.status == "ok":
        return Health("ok", details)
    if state.status == "ahead":
        return Health("degraded", details)
    return Health("fail", {**details, "hint": "run `versehub db upgrade`"})


def register_schema_check(app: Flask) -> None:
    """Report the schema state at `/health/ready`."""
    register_check(app, "schema", check_schema)

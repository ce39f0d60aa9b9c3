"""The database schema against the code's migrations: its state, start-up and readiness."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import AppFactory
from versehub.core.errors import StartupError
from versehub.core.schema import SchemaState, code_heads, ensure_schema, schema_state
from versehub.extensions import db

UNKNOWN_REVISION = "feedfacecafe"


def state(app: Flask) -> SchemaState:
    with app.app_context():
        return schema_state(db.engine)


def move_to(app: Flask, where: str) -> None:
    """Put the database in a state: `base` (no tables), `behind` (one down), `ahead`."""
    with app.app_context():
        if where == "ahead":
            db.session.execute(
                text("UPDATE alembic_version SET version_num = :r"), {"r": UNKNOWN_REVISION}
            )
            db.session.commit()
        else:
            downgrade(revision="base" if where == "base" else "-1")
        db.session.remove()


def test_a_migrated_database_is_at_the_code_head(app: Flask) -> None:
    found = state(app)
    assert found.status == "ok"
    assert found.current == code_heads()


@pytest.mark.parametrize(
    ("where", "status"),
    [("base", "missing"), ("behind", "behind"), ("ahead", "ahead")],
)
def test_states(app: Flask, where: str, status: str) -> None:
    move_to(app, where)
    found = state(app)
    assert found.status == status
    if status == "ahead":
        assert found.current == (UNKNOWN_REVISION,)


@pytest.mark.parametrize("where", ["base", "behind"])
def test_start_refuses_a_database_behind_when_it_may_not_upgrade(app: Flask, where: str) -> None:
    move_to(app, where)
    with pytest.raises(StartupError, match=r"run `versehub db upgrade` first"):
        ensure_schema(app, upgrade=False)


@pytest.mark.parametrize("where", ["base", "behind"])
def test_start_upgrades_a_database_behind_when_it_may(app: Flask, where: str) -> None:
    move_to(app, where)
    found = ensure_schema(app, upgrade=True)
    assert found is not None
    assert found.status == "ok"
    assert state(app).status == "ok"


def test_start_accepts_a_newer_schema_with_a_warning(app: Flask) -> None:
    # A rolling deployment: the new release migrated, the old one still starts workers.
    move_to(app, "ahead")
    found = ensure_schema(app, upgrade=False)
    assert found is not None
    assert found.status == "ahead"


def test_ready_names_the_schema_state(make_app: AppFactory) -> None:
    app = make_app()
    client = app.test_client()
    ok = client.get("/health/ready")
    assert ok.status_code == 200
    schema = ok.get_json()["checks"]["schema"]
    assert schema["status"] == "ok"
    assert schema["state"] == "ok"
    assert schema["revision"] == schema["head"] == list(code_heads())

    move_to(app, "behind")
    behind = client.get("/health/ready")
    assert behind.status_code == 503
    schema = behind.get_json()["checks"]["schema"]
    assert (schema["status"], schema["state"]) == ("fail", "behind")
    assert "versehub db upgrade" in schema["hint"]

    with app.app_context():
        upgrade()
    move_to(app, "ahead")
    ahead = client.get("/health/ready")
    assert ahead.status_code == 200  # degraded is still ready
    schema = ahead.get_json()["checks"]["schema"]
    assert (schema["status"], schema["state"]) == ("degraded", "ahead")
    assert schema["revision"] == [UNKNOWN_REVISION]

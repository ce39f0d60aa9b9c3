"""A test-only blueprint that exercises the core request pipeline."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from versehub.core.envelope import add_warning, envelope, list_envelope
from versehub.core.errors import APIError
from versehub.core.jobs.models import DeadLetter
from versehub.core.validation import parse_body, parse_query
from versehub.extensions import db


class EchoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=1, le=10)


class PageQuery(BaseModel):
    per_page: int = Field(20, ge=1, le=100)


def make_blueprint() -> Blueprint:
    """A fresh blueprint per app (routes that write, fail, warn)."""
    bp = Blueprint("coretest", __name__, url_prefix="/api/v1/coretest")

    @bp.post("/echo")
    def echo() -> Response:
        body = parse_body(EchoIn)
        return envelope(body.model_dump(), status=201, message="created")

    @bp.get("/page")
    def page() -> Response:
        query = parse_query(PageQuery)
        return list_envelope([1, 2], {"per_page": query.per_page, "next_cursor": None})

    @bp.get("/warn")
    def warn() -> Response:
        add_warning("parameter 'x' is deprecated")
        add_warning("parameter 'x' is deprecated")
        return envelope({"ok": True})

    @bp.post("/write-then-fail")
    def write_then_fail() -> Response:
        _write_row()
        raise APIError("RES_CONFLICT", "second step refused")

    @bp.post("/write-then-crash")
    def write_then_crash() -> Response:
        _write_row()
        raise RuntimeError("SELECT secret FROM users -- database password=hunter2")

    return bp


def _write_row() -> None:
    db.session.add(
        DeadLetter(task_id="t", task_name="n", error_type="E", error_message="m", traceback="")
    )
    db.session.flush()

"""REST endpoints of the system module."""

from __future__ import annotations

from flask import Response, current_app
from flask_openapi3.models.tag import Tag

from versehub.core.api import api_blueprint, validated
from versehub.core.envelope import envelope
from versehub.core.modules import get_registry
from versehub.core.openapi import Envelope
from versehub.modules.system import service
from versehub.modules.system.schemas import SystemInfo

bp = api_blueprint(
    "system",
    __name__,
    url_prefix="/api/v1/system",
    tag=Tag(name="system", description="What this instance runs."),
)


@bp.get("/info", responses={200: Envelope[SystemInfo]})
@validated
def get_info() -> Response:
    """Version, environment and every module with its health."""
    settings = current_app.extensions["versehub.settings"]
    info = service.get_info(registry=get_registry(), environment=settings.env)
    return envelope(info.model_dump(mode="json"))

"""REST endpoints of the system module."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from versehub.core.envelope import envelope
from versehub.core.modules import get_registry
from versehub.modules.system import service

bp = Blueprint("system", __name__, url_prefix="/api/v1/system")


@bp.get("/info")
def get_info() -> Response:
    """Version, environment and every module with its health."""
    settings = current_app.extensions["versehub.settings"]
    info = service.get_info(registry=get_registry(), environment=settings.env)
    return envelope(info.model_dump(mode="json"))

"""API versions: `/api/v1` is current; a deprecated version answers with Deprecation and Sunset
headers (RFC 9745, RFC 8594), a successor link, and a warning in the envelope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Literal

from flask import Flask, Response, current_app, g, request

from versehub.core.envelope import add_warning

VERSION_IN_PATH = re.compile(r"^/api/(v\d+)(?:/|$)")
EXTENSION_KEY = "versehub.api_versions"


@dataclass(frozen=True)
class ApiVersion:
    """One version of the REST API."""

    name: str
    status: Literal["current", "deprecated"] = "current"
    deprecated_at: datetime | None = None
    sunset: datetime | None = None
    successor: str | None = None

    def warning(self) -> str:
        """The envelope warning for a deprecated version."""
        text = f"API {self.name} is deprecated"
        if self.sunset:
            text += f" and will be removed after {self.sunset.date().isoformat()}"
        if self.successor:
            text += f"; use /api/{self.successor}"
        return text


def register_version(app: Flask, version: ApiVersion) -> None:
    """Declare a version (a module registers its blueprints under /api/<name>/ itself)."""
    if version.status == "deprecated" and (version.deprecated_at is None or version.sunset is None):
        raise ValueError("a deprecated API version needs deprecated_at and sunset")
    app.extensions.setdefault(EXTENSION_KEY, {})[version.name] = version


def versions(app: Flask) -> dict[str, ApiVersion]:
    """Every declared version by name."""
    registered: dict[str, ApiVersion] = app.extensions.get(EXTENSION_KEY, {})
    return registered


def _detect_version() -> None:
    match = VERSION_IN_PATH.match(request.path)
    version = versions(current_app).get(match.group(1)) if match else None
    g.api_version = version
    if version is not None and version.status == "deprecated":
        add_warning(version.warning())


def _deprecation_headers(response: Response) -> Response:
    version: ApiVersion | None = g.get("api_version")
    if version is None or version.deprecated_at is None or version.sunset is None:
        return response  # current versions (register_version guarantees both dates otherwise)
    response.headers["Deprecation"] = f"@{int(version.deprecated_at.timestamp())}"
    response.headers["Sunset"] = format_datetime(version.sunset, usegmt=True)
    if version.successor:
        successor = request.path.replace(f"/api/{version.name}", f"/api/{version.successor}", 1)
        response.headers["Link"] = f'<{successor}>; rel="successor-version"'
    return response


def init_versioning(app: Flask) -> None:
    """Declare v1 as current and mark answers of deprecated versions."""
    register_version(app, ApiVersion("v1"))
    app.before_request(_detect_version)
    app.after_request(_deprecation_headers)

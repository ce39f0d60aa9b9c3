"""Wire shapes of the system module."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ModuleInfo(BaseModel):
    """One module as the API shows it."""

    name: str
    description: str
    requires: list[str]
    source: str
    enabled: bool
    status: str
    details: dict[str, Any]


class SystemInfo(BaseModel):
    """`GET /api/v1/system/info`."""

    name: str
    version: str
    environment: str
    python: str
    uptime_seconds: float
    modules: list[ModuleInfo]

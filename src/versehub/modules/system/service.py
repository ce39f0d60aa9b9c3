"""Facts about the running instance."""

from __future__ import annotations

import platform
import time

from versehub.core.modules import Health, ModuleRegistry
from versehub.modules.system.schemas import ModuleInfo, SystemInfo
from versehub.version import package_version

_STARTED = time.monotonic()


def health() -> Health:
    """The system module is healthy whenever the process answers; it reports its uptime."""
    return Health("ok", {"uptime_seconds": round(time.monotonic() - _STARTED, 1)})


def describe_modules(*, registry: ModuleRegistry) -> list[ModuleInfo]:
    """Every known module with its health (enabled) or why it is off (disabled, broken)."""
    infos = []
    for module in registry.enabled:
        result = module.check_health()
        infos.append(
            ModuleInfo(
                name=module.name,
                description=module.description,
                requires=list(module.requires),
                source=module.source,
                enabled=True,
                status=result.status,
                details=dict(result.details),
            )
        )
    for name, reason in sorted({**registry.disabled, **registry.broken}.items()):
        status = "broken" if name in registry.broken else "disabled"
        infos.append(
            ModuleInfo(
                name=name,
                description="",
                requires=[],
                source="",
                enabled=False,
                status=status,
                details={"reason": reason},
            )
        )
    return infos


def get_info(*, registry: ModuleRegistry, environment: str) -> SystemInfo:
    """What `GET /api/v1/system/info` answers."""
    return SystemInfo(
        name="VerseHub",
        version=package_version(),
        environment=environment,
        python=platform.python_version(),
        uptime_seconds=round(time.monotonic() - _STARTED, 1),
        modules=describe_modules(registry=registry),
    )

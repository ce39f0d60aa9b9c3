"""Every module with its state, requirements and health: the data of `/health/ready`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from versehub.core.health import readiness
from versehub.core.modules import get_registry

# Health keys shown in their own column, not among the details.
_OWN_KEYS = ("status", "latency_ms")


@dataclass(frozen=True)
class Check:
    """One readiness check (a module's health, or a platform part such as the database)."""

    name: str
    status: str
    latency_ms: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModuleRow:
    """A module as the modules page lists it."""

    name: str
    description: str
    state: str  # enabled, disabled or broken
    requires: tuple[str, ...]
    restricted: bool
    deniable: bool
    source: str
    health: Check | None  # enabled modules only
    reason: str | None  # why a module is off


@dataclass(frozen=True)
class SystemHealth:
    """The overall readiness, the platform checks and every module."""

    status: str
    ready: bool
    checks: list[Check]
    modules: list[ModuleRow]


def _check(name: str, raw: dict[str, Any]) -> Check:
    latency = raw.get("latency_ms")
    return Check(
        name=name,
        status=str(raw.get("status", "fail")),
        latency_ms=float(latency) if isinstance(latency, int | float) else None,
        details={k: v for k, v in raw.items() if k not in _OWN_KEYS},
    )


def describe_system() -> SystemHealth:
    """Run the readiness checks (as `/health/ready` does) and list every known module."""
    ready, body = readiness()
    registry = get_registry()
    rows = [
        ModuleRow(
            name=module.name,
            description=module.description,
            state="enabled",
            requires=module.requires,
            restricted=module.restricted,
            deniable=module.deniable,
            source=module.source,
            health=_check(module.name, body["modules"].get(module.name, {})),
            reason=None,
        )
        for module in registry.enabled
    ]
    for name, reason in sorted({**registry.disabled, **registry.broken}.items()):
        rows.append(
            ModuleRow(
                name=name,
                description="",
                state="broken" if name in registry.broken else "disabled",
                requires=(),
                restricted=False,
                deniable=True,
                source="",
                health=None,
                reason=reason,
            )
        )
    checks = [_check(name, raw) for name, raw in body["checks"].items()]
    return SystemHealth(status=body["status"], ready=ready, checks=checks, modules=rows)


def known_modules() -> list[str]:
    """Names an admin may grant or deny: enabled modules and those switched off by settings."""
    registry = get_registry()
    return [*registry.names, *registry.disabled]


def undeniable_modules() -> list[str]:
    """Enabled modules nobody may be denied (signing in, instance information, these pages)."""
    return [module.name for module in get_registry().enabled if not module.deniable]

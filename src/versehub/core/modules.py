"""The module contract, discovery (built-in packages and entry points) and ordered loading."""

from __future__ import annotations

import graphlib
import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Literal

import structlog
from flask import Blueprint, Flask, current_app

from versehub.core.errors import StartupError
from versehub.core.events import EventBus, Subscriber
from versehub.core.module_imports import violations
from versehub.core.openapi import register_blueprint

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "versehub.modules"
BUILTIN_PACKAGE = "versehub.modules"

HealthStatus = Literal["ok", "degraded", "fail"]

# The one shape of a module's folder (README, "Module contract"), each part present only when
# needed: these layers, each one `<name>.py` or, when one file would be too big, a `<name>/`
# package; plus `__init__.py` (the declaration) and `templates/<module>/`.
MODULE_LAYERS: tuple[str, ...] = (
    "models",
    "schemas",
    "service",
    "api",
    "web",
    "graphql",
    "tasks",
    "events",
    "cli",
)
# Folders allowed beyond the shape, each with why it is none of the layers above.
MODULE_EXTRAS: Mapping[str, str] = {
    "demo": "data files `versehub demo` seeds (YAML, Markdown) and the code that loads them",
}


@dataclass(frozen=True)
class Health:
    """A module's answer to `health()`: `ok` and `degraded` keep the app ready, `fail` not."""

    status: HealthStatus = "ok"
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Module:
    """What a module declares. Export one as `module` from the package."""

    name: str
    description: str = ""
    requires: tuple[str, ...] = ()
    blueprints: tuple[Blueprint, ...] = ()
    init: Callable[[Flask], None] | None = None
    health: Callable[[], Health] | None = None
    subscriptions: Mapping[str, Subscriber] = field(default_factory=dict)
    # Importable module holding Celery tasks (`@shared_task`), imported when the module loads.
    tasks: str | None = None
    # Strawberry types whose fields are merged into the GraphQL Query and Mutation.
    graphql_query: type | None = None
    graphql_mutation: type | None = None
    # Restricted modules are used only by admins and users granted the module.
    restricted: bool = False
    # Whether an admin may deny the module to a user. Modules everyone must reach (signing in,
    # one's own account, instance information) say False: a denial of them is refused.
    deniable: bool = True
    source: str = "builtin"

    def check_health(self) -> Health:
        """Run `health()`, turning an exception into a `fail` with its type."""
        if self.health is None:
            return Health("ok")
        try:
            return self.health()
        except Exception as exc:  # a broken health check is itself a failed health
            log.warning("module_health_failed", module=self.name, exc_info=True)
            return Health("fail", {"error": type(exc).__name__})


class ModuleLoadError(StartupError):
    """A missing dependency, a cycle, or a malformed module: start-up stops."""


@dataclass
class ModuleRegistry:
    """The outcome of loading: enabled modules in dependency order, and what was left out."""

    enabled: list[Module]
    disabled: dict[str, str]  # name -> reason
    broken: dict[str, str]  # name -> error (plug-ins that failed to import)

    def get(self, name: str) -> Module | None:
        """An enabled module by name."""
        return next((m for m in self.enabled if m.name == name), None)

    @property
    def names(self) -> list[str]:
        """Names of enabled modules, in load order."""
        return [m.name for m in self.enabled]

    def blueprint_owners(self) -> dict[str, str]:
        """Blueprint name -> name of the enabled module that registered it."""
        return {bp.name: m.name for m in self.enabled for bp in m.blueprints}


def _module_from(obj: Any, origin: str) -> Module:
    candidate = getattr(obj, "module", obj)
    if not isinstance(candidate, Module):
        raise ModuleLoadError(f"{origin} does not export a versehub Module object named 'module'")
    return candidate


def discover_builtin() -> list[Module]:
    """Modules shipped in `versehub.modules.*` (an import error here is our bug: raise)."""
    package = importlib.import_module(BUILTIN_PACKAGE)
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.ispkg:
            name = f"{BUILTIN_PACKAGE}.{info.name}"
            found.append(_module_from(importlib.import_module(name), name))
    return found


def discover_plugins() -> tuple[list[Module], dict[str, str]]:
    """Modules from the `versehub.modules` entry-point group; a broken one is reported, skipped."""
    found: list[Module] = []
    broken: dict[str, str] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            module = _module_from(ep.load(), f"entry point {ep.name!r} ({ep.value})")
        except Exception as exc:  # noqa: BLE001 - one broken plug-in must not stop the others
            broken[ep.name] = f"{type(exc).__name__}: {exc}"
            log.error("module_plugin_broken", entry_point=ep.name, error=broken[ep.name])
            continue
        found.append(Module(**{**module.__dict__, "source": f"plugin:{ep.value}"}))
    return found, broken


def _cascade_disabled(by_name: Mapping[str, Module], disabled: Iterable[str]) -> dict[str, str]:
    """Disabled modules and, transitively, every module that requires one (with a warning)."""
    off: dict[str, str] = {name: "disabled by settings" for name in disabled if name in by_name}
    changed = True
    while changed:
        changed = False
        for module in by_name.values():
            needed_off = [r for r in module.requires if r in off]
            if module.name not in off and needed_off:
                off[module.name] = f"requires disabled module(s): {', '.join(needed_off)}"
                log.warning(
                    "module_disabled_by_dependency", module=module.name, requires=needed_off
                )
                changed = True
    return off


def _missing_requirements(active: Mapping[str, Module], broken: Mapping[str, str]) -> list[str]:
    """One sentence per requirement that no enabled module satisfies."""
    problems = []
    for module in active.values():
        for req in module.requires:
            if req in active:
                continue
            why = (
                f"which failed to load ({broken[req]})"
                if req in broken
                else "which is not installed"
            )
            problems.append(f"{module.name!r} requires {req!r}, {why}")
    return sorted(problems)


def resolve(
    modules: Iterable[Module], disabled: Iterable[str] = (), broken: Mapping[str, str] | None = None
) -> ModuleRegistry:
    """Order modules by `requires`; switch off the disabled ones and everything needing them."""
    by_name: dict[str, Module] = {}
    for module in modules:
        if module.name in by_name:
            raise ModuleLoadError(f"two modules are named {module.name!r}")
        by_name[module.name] = module
    broken = dict(broken or {})
    disabled = list(disabled)
    contradictory = sorted(m.name for m in by_name.values() if m.restricted and not m.deniable)
    if contradictory:
        raise ModuleLoadError(
            "cannot start: a restricted module must be deniable: " + ", ".join(contradictory)
        )

    unknown = sorted(set(disabled) - set(by_name) - set(broken))
    if unknown:
        log.warning("modules_disabled_unknown", names=unknown)
    off = _cascade_disabled(by_name, disabled)
    active = {name: m for name, m in by_name.items() if name not in off}
    problems = _missing_requirements(active, broken)
    if problems:
        raise ModuleLoadError("cannot start: " + "; ".join(problems))

    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(active):
        sorter.add(name, *sorted(active[name].requires))
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ModuleLoadError(
            f"cannot start: modules require each other in a cycle: {cycle}"
        ) from exc
    return ModuleRegistry(enabled=[active[n] for n in order], disabled=off, broken=broken)


def plugin_package(module: Module) -> str | None:
    """The package a plug-in's entry point lives in (its own module when not in a package)."""
    if not module.source.startswith("plugin:"):
        return None
    target = module.source.removeprefix("plugin:").split(":", 1)[0].strip()
    spec = importlib.util.find_spec(target)
    if spec is not None and spec.submodule_search_locations:
        return target
    return target.rpartition(".")[0] or target


def warn_plugin_imports(module: Module) -> list[str]:
    """Warn (by name) about a plug-in's imports the module contract forbids; returns them."""
    package = plugin_package(module)
    if package is None:
        return []
    try:
        found = [str(v) for v in violations(package, own=None, requires=module.requires)]
    except (ImportError, OSError, SyntaxError, ValueError) as exc:
        log.warning("module_plugin_imports_unchecked", module=module.name, error=str(exc))
        return []
    if found:
        log.warning(
            "module_plugin_imports_private",
            module=module.name,
            package=package,
            imports=found,
            rule="import only versehub.core, itself and the service/schemas/models of the "
            "modules it requires",
        )
    return found


def load_modules(app: Flask, bus: EventBus, disabled: Iterable[str]) -> ModuleRegistry:
    """Discover, order and initialise every module for `app`."""
    plugins, broken = discover_plugins()
    registry = resolve([*discover_builtin(), *plugins], disabled, broken)
    for module in registry.enabled:
        warn_plugin_imports(module)
    for module in registry.enabled:
        if module.tasks:
            importlib.import_module(module.tasks)
        for blueprint in module.blueprints:
            register_blueprint(app, blueprint)
        for pattern, subscriber in module.subscriptions.items():
            bus.subscribe(pattern, subscriber)
        if module.init is not None:
            module.init(app)
    app.extensions["versehub.modules"] = registry
    log.debug("modules_loaded", enabled=registry.names, disabled=registry.disabled)
    return registry


def get_registry() -> ModuleRegistry:
    """The current app's module registry."""
    registry: ModuleRegistry = current_app.extensions["versehub.modules"]
    return registry


def module_available(name: str) -> bool:
    """Whether module `name` is enabled in the current app."""
    return get_registry().get(name) is not None

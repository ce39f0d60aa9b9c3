"""The import rule of the module contract, read from source with `ast` (nothing is imported).

A module imports only what is shared by all (`versehub.core`, `versehub.settings`, and the app's
extension objects and version), itself, and the public interface of the modules it `requires`:
their package root, `service`, `schemas` and `models` (the data schema, for foreign keys and
joins). Another module's `api/`, `web/`, `graphql/`, `tasks`, `cli` ... are its own business:
reaching into them couples two modules through code that changes without notice.

Built-in modules are held to this by a test; a plug-in that breaks it is named in a warning at
start-up (the app still starts).
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MODULES_PACKAGE = "versehub.modules"
# What every module may import (prefixes of dotted names).
SHARED: tuple[str, ...] = (
    "versehub.core",
    "versehub.settings",
    "versehub.extensions",
    "versehub.version",
)
# The parts of a required module another module may import, besides its package root.
PUBLIC_PARTS: frozenset[str] = frozenset({"service", "schemas", "models"})


@dataclass(frozen=True)
class ImportViolation:
    """One import that breaks the rule."""

    path: Path
    line: int
    imported: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.imported} ({self.reason})"


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _package_of(path: Path, root: Path, package: str) -> str:
    """The dotted package a file of `package` (at `root`) belongs to."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    else:
        parts = parts[:-1]
    return ".".join([package, *parts])


def _absolute(node: ast.ImportFrom, current: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_submodule(parent: str, name: str) -> bool:
    # `from versehub.modules.accounts import api` names a package; `... import module` an object.
    try:
        spec = importlib.util.find_spec(parent)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(
        (Path(location) / name).is_dir() or (Path(location) / f"{name}.py").is_file()
        for location in spec.submodule_search_locations
    )


def imports_of(path: Path, current_package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of every import in a file; `from a import b` gives `a.b`
    when `b` is a submodule, else `a`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, current_package)
            ours = _is_under(base, "versehub")
            for alias in node.names:
                if ours and alias.name != "*" and _is_submodule(base, alias.name):
                    yield node.lineno, f"{base}.{alias.name}"
                else:
                    yield node.lineno, base


def check_import(imported: str, *, own: str | None, requires: Iterable[str]) -> str | None:
    """Why module `own` (None: a plug-in outside versehub.modules) may not import `imported`,
    or None when it may."""
    if not _is_under(imported, "versehub"):
        return None
    if any(_is_under(imported, prefix) for prefix in SHARED):
        return None
    if not _is_under(imported, MODULES_PACKAGE) or imported == MODULES_PACKAGE:
        return "not part of versehub.core"
    name, _, rest = imported[len(MODULES_PACKAGE) + 1 :].partition(".")
    if name == own:
        return None
    if name not in set(requires):
        return f"the module does not require {name!r}"
    part = rest.split(".", 1)[0]
    if part and part not in PUBLIC_PARTS:
        return f"{name}.{part} is not {name}'s public interface (root, service, schemas, models)"
    return None


def source_files(package: str) -> list[tuple[Path, str]]:
    """Each Python file of an importable package (or single-file module) with the dotted
    package its relative imports start from."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise ImportError(f"no package {package!r}")
    if spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations)))
        return [(path, _package_of(path, root, package)) for path in sorted(root.rglob("*.py"))]
    if spec.origin is None or not spec.origin.endswith(".py"):
        return []
    return [(Path(spec.origin), package.rpartition(".")[0])]


def violations(package: str, *, own: str | None, requires: Iterable[str]) -> list[ImportViolation]:
    """Every import in `package` that module `own` (requiring `requires`) may not make."""
    wanted = tuple(requires)
    found: list[ImportViolation] = []
    for path, current in source_files(package):
        for line, imported in imports_of(path, current):
            reason = check_import(imported, own=own, requires=wanted)
            if reason is not None:
                found.append(ImportViolation(path, line, imported, reason))
    return sorted(found, key=lambda v: (str(v.path), v.line))

"""The import rule of the module contract: read every module's imports with `ast`."""

from __future__ import annotations

import itertools
import os
import textwrap
from pathlib import Path

import pytest

from versehub.core.module_imports import check_import, violations
from versehub.core.modules import discover_builtin

_counter = itertools.count()


def test_every_builtin_module_imports_only_core_itself_and_what_it_requires() -> None:
    modules = discover_builtin()
    assert {m.name for m in modules} >= {"accounts", "knowledge", "system"}
    found = {
        module.name: [
            str(v)
            for v in violations(
                f"versehub.modules.{module.name}", own=module.name, requires=module.requires
            )
        ]
        for module in modules
    }
    assert {name: wrong for name, wrong in found.items() if wrong} == {}


@pytest.mark.parametrize(
    "imported",
    [
        "flask",
        "sqlalchemy.orm",
        "versehub.core",
        "versehub.core.api",
        "versehub.settings",
        "versehub.extensions",
        "versehub.modules.knowledge",
        "versehub.modules.knowledge.api.common",
        "versehub.modules.knowledge.graphql",
        "versehub.modules.accounts",
        "versehub.modules.accounts.service",
        "versehub.modules.accounts.service.users",
        "versehub.modules.accounts.schemas",
        "versehub.modules.accounts.models",
    ],
)
def test_what_a_module_may_import(imported: str) -> None:
    assert check_import(imported, own="knowledge", requires=("accounts",)) is None


@pytest.mark.parametrize(
    ("imported", "reason"),
    [
        ("versehub.modules.accounts.api", "accounts.api is not accounts's public interface"),
        ("versehub.modules.accounts.api.blueprint", "accounts.api is not"),
        ("versehub.modules.accounts.web.forms", "accounts.web is not"),
        ("versehub.modules.accounts.graphql", "accounts.graphql is not"),
        ("versehub.modules.accounts.tasks", "accounts.tasks is not"),
        ("versehub.modules.accounts.cli", "accounts.cli is not"),
        ("versehub.modules.system.service", "does not require 'system'"),
        ("versehub.modules.system", "does not require 'system'"),
        ("versehub.modules", "not part of versehub.core"),
        ("versehub.app", "not part of versehub.core"),
        ("versehub.cli", "not part of versehub.core"),
    ],
)
def test_what_a_module_may_not_import(imported: str, reason: str) -> None:
    found = check_import(imported, own="knowledge", requires=("accounts",))
    assert found is not None
    assert reason in found


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """An importable package written here (found by `importlib.util.find_spec`)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"vh_boundary_{os.getpid()}_{next(_counter)}"
    (tmp_path / name / "sub").mkdir(parents=True)
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "sub" / "__init__.py").write_text("")
    return name, tmp_path / name


def test_the_walk_finds_every_forbidden_import_with_its_line(package: tuple[str, Path]) -> None:
    name, root = package
    (root / "views.py").write_text(
        textwrap.dedent(
            """\
            import flask
            from versehub.core.api import validated
            from versehub.modules.accounts import api
            from versehub.modules.accounts import module, service
            from versehub.modules.accounts.models import User
            import versehub.modules.knowledge.graphql.schema
            from . import sub

            def later():
                from versehub.modules.accounts.web import pages
            """
        )
    )
    (root / "sub" / "deep.py").write_text("from ..views import later\nfrom versehub import app\n")
    found = [
        (v.path.name, v.line, v.imported) for v in violations(name, own=None, requires=["accounts"])
    ]
    assert found == [
        ("deep.py", 2, "versehub.app"),
        ("views.py", 3, "versehub.modules.accounts.api"),
        ("views.py", 6, "versehub.modules.knowledge.graphql.schema"),
        ("views.py", 10, "versehub.modules.accounts.web"),
    ]

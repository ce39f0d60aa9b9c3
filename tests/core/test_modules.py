"""Module discovery, ordering, disabling and health, with real entry-point plug-ins."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import versehub.modules
from tests.conftest import AppFactory
from versehub.core.modules import (
    MODULE_EXTRAS,
    MODULE_LAYERS,
    Health,
    Module,
    ModuleLoadError,
    resolve,
)

_counter = itertools.count()


def mod(name: str, *requires: str) -> Module:
    return Module(name=name, requires=requires)


class PluginDir:
    """Writes plug-in packages and a dist-info with `versehub.modules` entry points."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries: dict[str, str] = {}
        self.suffix = f"{os.getpid()}_{next(_counter)}"

    def add(self, name: str, body: str) -> str:
        package = f"vh_test_plugin_{name}_{self.suffix}"
        (self.root / package).mkdir()
        (self.root / package / "__init__.py").write_text(textwrap.dedent(body))
        self.entries[name] = package
        dist = self.root / f"vh_test_plugins_{self.suffix}-1.0.dist-info"
        dist.mkdir(exist_ok=True)
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: vh-test-plugins-{self.suffix}\nVersion: 1.0\n"
        )
        lines = "\n".join(f"{n} = {p}" for n, p in self.entries.items())
        (dist / "entry_points.txt").write_text(f"[versehub.modules]\n{lines}\n")
        return package


HELLO = """
from flask import Blueprint
from versehub.core.envelope import envelope
from versehub.core.modules import Health, Module

bp = Blueprint("hello_{n}", __name__, url_prefix="/api/v1/hello")

@bp.get("/")
def hello():
    return envelope({{"hello": "world"}})

module = Module(name="hello", requires=("system",), blueprints=(bp,),
                health=lambda: Health("{status}", {{"checked": True}}))
"""


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PluginDir:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return PluginDir(root)


# --- ordering and dependency rules (no app needed) ----------------------------------------------
def test_requirements_load_first_and_order_is_stable() -> None:
    registry = resolve(
        [
            mod("media", "knowledge"),
            mod("knowledge", "accounts"),
            mod("accounts"),
            mod("dashboard", "media", "accounts"),
        ]
    )
    assert registry.names == ["accounts", "knowledge", "media", "dashboard"]
    again = resolve(
        [
            mod("dashboard", "media", "accounts"),
            mod("accounts"),
            mod("knowledge", "accounts"),
            mod("media", "knowledge"),
        ]
    )
    assert again.names == registry.names


def test_missing_dependency_names_both_modules() -> None:
    with pytest.raises(ModuleLoadError, match="'media' requires 'storage', which is not installed"):
        resolve([mod("media", "storage")])


def test_cycle_names_its_members() -> None:
    with pytest.raises(ModuleLoadError, match="cycle") as info:
        resolve([mod("a", "b"), mod("b", "c"), mod("c", "a"), mod("d")])
    for name in ("a", "b", "c"):
        assert name in str(info.value)
    assert "d" not in str(info.value).split("cycle:")[1]


def test_disabling_cascades_to_dependents(capsys: pytest.CaptureFixture[str]) -> None:
    from versehub.core.logging import configure_logging

    configure_logging(level="INFO", json=False)
    registry = resolve(
        [mod("accounts"), mod("knowledge", "accounts"), mod("media", "knowledge"), mod("system")],
        disabled=["accounts", "not-a-module"],
    )
    assert registry.names == ["system"]
    assert registry.disabled["accounts"] == "disabled by settings"
    assert "knowledge" in registry.disabled["media"]
    err = capsys.readouterr().err
    assert "module_disabled_by_dependency" in err
    assert "modules_disabled_unknown" in err


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ModuleLoadError, match="two modules are named 'x'"):
        resolve([mod("x"), mod("x")])


def test_health_exception_becomes_fail() -> None:
    def boom() -> Health:
        raise ConnectionError("down")

    assert Module(name="m", health=boom).check_health() == Health(
        "fail", {"error": "ConnectionError"}
    )


# --- discovery through entry points, end to end -------------------------------------------------
def test_plugin_is_discovered_routed_and_reported(plugins: PluginDir, make_app: AppFactory) -> None:
    package = plugins.add("hello", HELLO.format(n=plugins.suffix, status="ok"))
    plugins.add("broken", "raise ImportError('missing optional dependency')\n")
    client = make_app().test_client()

    assert client.get("/api/v1/hello/").get_json()["data"] == {"hello": "world"}
    modules = {
        m["name"]: m for m in client.get("/api/v1/system/info").get_json()["data"]["modules"]
    }
    assert modules["hello"]["source"] == f"plugin:{package}"
    assert modules["hello"]["details"] == {"checked": True}
    assert modules["broken"]["status"] == "broken"
    assert "missing optional dependency" in modules["broken"]["details"]["reason"]
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.get_json()["modules"]["hello"]["status"] == "ok"


PRYING = """
from versehub.core.modules import Module
from versehub.modules.accounts.api.blueprint import person
from versehub.modules.accounts import web

module = Module(name="prying", requires=("accounts",))
"""


def test_a_plugin_reaching_into_another_modules_api_or_web_is_named_at_start_up(
    plugins: PluginDir, make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins.add("hello", HELLO.format(n=plugins.suffix, status="ok"))
    package = plugins.add("prying", PRYING)
    app = make_app()
    assert app.test_client().get("/api/v1/system/info").status_code == 200
    assert app.extensions["versehub.modules"].names.count("prying") == 1
    warnings = [line for line in capsys.readouterr().err.splitlines() if "imports_private" in line]
    assert len(warnings) == 1, warnings
    assert "prying" in warnings[0]
    assert package in warnings[0]
    assert "versehub.modules.accounts.api.blueprint" in warnings[0]
    assert "versehub.modules.accounts.web" in warnings[0]
    assert "vh_test_plugin_hello" not in warnings[0]


def test_failing_module_health_makes_the_app_unready(
    plugins: PluginDir, make_app: AppFactory
) -> None:
    plugins.add("hello", HELLO.format(n=plugins.suffix, status="fail"))
    client = make_app().test_client()
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert body["modules"]["hello"]["status"] == "fail"
    assert body["modules"]["hello"]["checked"] is True
    assert body["checks"]["database"]["status"] == "ok"


def test_requiring_a_broken_plugin_stops_start_up(plugins: PluginDir, make_app: AppFactory) -> None:
    plugins.add("base", "raise RuntimeError('boom at import')\n")
    plugins.add(
        "child",
        "from versehub.core.modules import Module\n"
        "module = Module(name='child', requires=('base',))\n",
    )
    with pytest.raises(ModuleLoadError, match="'child' requires 'base', which failed to load"):
        make_app()


def test_disabled_module_is_gone_from_routes_and_health(make_app: AppFactory) -> None:
    client: FlaskClient = make_app(modules_disabled=["system"]).test_client()
    assert client.get("/api/v1/system/info").status_code == 404
    assert "system" not in client.get("/health/ready").get_json()["modules"]


def test_modules_command_lists_health_and_disabled(
    plugins: PluginDir, make_app: AppFactory
) -> None:
    plugins.add("hello", HELLO.format(n=plugins.suffix, status="ok"))
    app = make_app(modules_disabled=["hello"])
    result = app.test_cli_runner().invoke(args=["modules"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:3] for line in result.output.splitlines()}
    assert rows["system"] == ["enabled", "ok"]
    assert rows["hello"][0] == "disabled"
    assert list(rows)[-1] == "hello"  # disabled modules come after the enabled ones


def test_cli_start_up_error_is_one_clear_line(plugins: PluginDir, tmp_path: Path) -> None:
    plugins.add(
        "child",
        "from versehub.core.modules import Module\n"
        "module = Module(name='child', requires=('nowhere',))\n",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugins.root), *sys.path]),
        "VERSEHUB_ENV": "testing",
        "VERSEHUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "VERSEHUB_SECRET_KEY": "x" * 40,
        "VERSEHUB_JWT_SECRET_KEY": "y" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-c", "from versehub.cli import main; main()", "routes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "cannot start" in done.stderr
    assert "'child' requires 'nowhere'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_restricted_module_must_be_deniable() -> None:
    closed = Module(name="vault", restricted=True, deniable=False)
    with pytest.raises(ModuleLoadError, match="restricted module must be deniable: vault"):
        resolve([closed])


def outside_shape(folder: Path) -> list[str]:
    """The entries of a module folder that the module contract does not allow."""
    allowed_files = {"__init__.py", *(f"{layer}.py" for layer in MODULE_LAYERS)}
    allowed_dirs = {*MODULE_LAYERS, *MODULE_EXTRAS, "templates"}
    wrong: list[str] = []
    for entry in sorted(folder.iterdir()):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir() and entry.name in allowed_dirs:
            if entry.name in MODULE_LAYERS and not (entry / "__init__.py").is_file():
                wrong.append(f"{entry.name}/ (a layer package needs __init__.py)")
            elif entry.name == "templates":
                # Templates are namespaced by the module, so two modules never shadow each other.
                wrong += [
                    f"templates/{inner.name}"
                    for inner in sorted(entry.iterdir())
                    if inner.name != folder.name
                ]
            continue
        if entry.is_file() and entry.name in allowed_files:
            continue
        wrong.append(entry.name + ("/" if entry.is_dir() else ""))
    return wrong


def test_every_module_has_the_standard_shape() -> None:
    root = Path(versehub.modules.__file__).parent
    folders = [entry for entry in sorted(root.iterdir()) if (entry / "__init__.py").is_file()]
    assert {folder.name for folder in folders} >= {"accounts", "knowledge", "system"}
    wrong = {folder.name: outside_shape(folder) for folder in folders}
    assert {name: entries for name, entries in wrong.items() if entries} == {}


def test_the_shape_check_names_what_does_not_fit(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    for name in ("__init__.py", "models.py", "service/__init__.py", "templates/notes/a.html"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")
    assert outside_shape(folder) == []
    for name in ("helpers.py", "schemas_api.py", "api/x.py", "templates/other/b.html", "misc/x"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")
    assert outside_shape(folder) == [
        "api/ (a layer package needs __init__.py)",
        "helpers.py",
        "misc/",
        "schemas_api.py",
        "templates/other",
    ]

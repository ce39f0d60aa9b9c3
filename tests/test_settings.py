"""Settings sources and precedence: default < .env < env < secret files < Vault < overrides."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_settings_support import (  # noqa: F401  (fixtures register on import)
    FakeVault,
    isolated_fixture,
    use_vault_fixture,
    vault_fixture,
    write_secret,
)
from versehub.settings import Settings, SettingsError, load_settings

LAYERS = ("default", "dotenv", "env", "secrets", "vault", "init")
VALUES = {"default": 2, "dotenv": 3, "env": 4, "secrets": 5, "vault": 6, "init": 7}


@pytest.fixture
def layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Callable[[str, str, Any], dict[str, Any]]:
    """Put `field = value` into one source; returns the init overrides to pass along."""
    secrets_dir = tmp_path / "secrets"

    def put(source: str, field: str, value: Any) -> dict[str, Any]:
        if source == "dotenv":
            with (tmp_path / ".env").open("a", encoding="utf-8") as env_file:
                env_file.write(f"VERSEHUB_{field.upper()}={value}\n")
        elif source == "env":
            monkeypatch.setenv(f"VERSEHUB_{field.upper()}", str(value))
        elif source == "secrets":
            write_secret(secrets_dir, field, f"{value}\n")
            monkeypatch.setenv("VERSEHUB_SECRETS_DIR", str(secrets_dir))
        elif source == "vault":
            fake: FakeVault = request.getfixturevalue("use_vault")
            fake.secrets.setdefault("secret/versehub", {})[field] = value
        elif source == "init":
            return {field: value}
        return {}

    return put


def build(overrides: dict[str, Any]) -> Settings:
    return load_settings({"env": "testing", **overrides})


@pytest.mark.parametrize("source", LAYERS)
def test_each_source_alone(source: str, layer: Callable[..., dict[str, Any]]) -> None:
    overrides = layer(source, "worker_concurrency", VALUES[source])
    assert build(overrides).worker_concurrency == VALUES[source]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.combinations(LAYERS, 2)))
def test_higher_source_wins(lower: str, higher: str, layer: Callable[..., dict[str, Any]]) -> None:
    overrides = layer(lower, "worker_concurrency", VALUES[lower])
    overrides |= layer(higher, "worker_concurrency", VALUES[higher])
    assert build(overrides).worker_concurrency == VALUES[higher]


def test_all_sources_together(layer: Callable[..., dict[str, Any]]) -> None:
    overrides: dict[str, Any] = {}
    for source in LAYERS:
        overrides |= layer(source, "worker_concurrency", VALUES[source])
        overrides |= layer(source, "job_max_retries", VALUES[source]) if source != "init" else {}
    settings = build(overrides)
    assert settings.worker_concurrency == 7
    assert settings.job_max_retries == 6  # no override: Vault is the highest that has it


# --- where the secrets directory and Vault are, from lower sources --------------------------------
def test_secrets_dir_from_dotenv(tmp_path: Path) -> None:
    write_secret(tmp_path / "s", "log_level", "ERROR")
    (tmp_path / ".env").write_text(f"VERSEHUB_SECRETS_DIR={tmp_path / 's'}\n")
    assert build({}).log_level == "ERROR"


def test_secrets_dir_from_overrides(tmp_path: Path) -> None:
    write_secret(tmp_path / "s", "log_level", "ERROR")
    assert build({"secrets_dir": tmp_path / "s"}).log_level == "ERROR"


def test_vault_token_from_secret_file(
    vault: FakeVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.secrets["secret/versehub"] = {"log_level": "ERROR"}
    write_secret(tmp_path / "s", "VAULT_TOKEN", vault.token + "\n")
    (tmp_path / ".env").write_text(f"VAULT_ADDR={vault.url}\nVERSEHUB_SECRETS_DIR={tmp_path}/s\n")
    assert build({}).log_level == "ERROR"
    assert vault.requests == [("/v1/secret/data/versehub", vault.token)]


def test_without_vault_addr_vault_is_not_asked(vault: FakeVault) -> None:
    vault.secrets["secret/versehub"] = {"log_level": "ERROR"}
    assert build({}).log_level == "INFO"
    assert vault.requests == []


# --- secret files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("secret_key", "secret_key"),
        ("VERSEHUB_SECRET_KEY", "secret_key"),
        ("SECRET_KEY", "secret_key"),
        ("DATABASE_URL", "database_url"),
        ("VERSEHUB_DATABASE_URL", "database_url"),
        ("database_url", "database_url"),
    ],
)
def test_secret_file_names(name: str, field: str, tmp_path: Path) -> None:
    write_secret(tmp_path / "s", name, "sqlite:////x/value-from-file\n")
    value = getattr(build({"secrets_dir": tmp_path / "s"}), field)
    plain = value if isinstance(value, str) else value.get_secret_value()
    assert plain == "sqlite:////x/value-from-file"


@pytest.mark.parametrize(
    ("content", "expected"),
    [("v\n", "v"), ("v\r\n", "v"), ("v\n\n", "v\n"), ("v", "v"), (" v \n", " v ")],
)
def test_secret_file_loses_one_trailing_newline(
    content: str, expected: str, tmp_path: Path
) -> None:
    write_secret(tmp_path / "s", "broker_url", content)
    assert build({"secrets_dir": tmp_path / "s"}).broker_url == expected


def test_secret_files_other_names_ignored(tmp_path: Path) -> None:
    write_secret(tmp_path / "s", "README", "not a setting")
    write_secret(tmp_path / "s", ".log_level", "ERROR")
    (tmp_path / "s" / "nested").mkdir()
    assert build({"secrets_dir": tmp_path / "s"}).log_level == "INFO"


def test_kubernetes_volume_layout(tmp_path: Path) -> None:
    """Kubernetes mounts ..data -> ..<timestamp>/ and one symlink per key into ..data."""
    volume = tmp_path / "s"
    write_secret(volume / "..2026_01_01_00_00_00.1", "log_level", "ERROR\n")
    (volume / "..data").symlink_to("..2026_01_01_00_00_00.1")
    (volume / "log_level").symlink_to("..data/log_level")
    assert build({"secrets_dir": volume}).log_level == "ERROR"


def test_two_names_for_one_setting_must_agree(tmp_path: Path) -> None:
    write_secret(tmp_path / "s", "log_level", "ERROR")
    write_secret(tmp_path / "s", "VERSEHUB_LOG_LEVEL", "ERROR\n")
    assert build({"secrets_dir": tmp_path / "s"}).log_level == "ERROR"
    write_secret(tmp_path / "s", "VERSEHUB_LOG_LEVEL", "DEBUG")
    with pytest.raises(SettingsError, match="both set log_level"):
        build({"secrets_dir": tmp_path / "s"})


# --- parsing and derived values -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", []), ("a", ["a"]), ("a,b", ["a", "b"]), (" a , b ,, c ", ["a", "b", "c"])],
)
def test_modules_disabled_from_env(
    raw: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERSEHUB_MODULES_DISABLED", raw)
    assert build({}).modules_disabled == expected


def test_modules_disabled_from_secret_file_and_list(tmp_path: Path) -> None:
    write_secret(tmp_path / "s", "modules_disabled", "media,agents\n")
    assert build({"secrets_dir": tmp_path / "s"}).modules_disabled == ["media", "agents"]
    assert build({"modules_disabled": ["media"]}).modules_disabled == ["media"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/vh", "postgresql+psycopg://u:p@db:5432/vh"),
        ("postgresql://u@db/vh", "postgresql+psycopg://u@db/vh"),
        ("postgresql+psycopg://u@db/vh", "postgresql+psycopg://u@db/vh"),
        ("sqlite:////data/vh.db", "sqlite:////data/vh.db"),
    ],
)
def test_database_url_normalised(url: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert build({}).sqlalchemy_url == expected


def test_database_default_is_sqlite_in_instance(tmp_path: Path) -> None:
    settings = build({"instance_path": tmp_path / "inst"})
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'inst' / 'versehub.db'}"


def test_broker_and_worker_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedded = build({"instance_path": tmp_path})
    assert embedded.effective_broker_url == f"vhsqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    assert embedded.use_embedded_worker
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    scaled = build({})
    assert scaled.effective_broker_url == "redis://cache:6379/0"
    assert not scaled.use_embedded_worker
    assert build({"embedded_worker": True}).use_embedded_worker


@pytest.mark.parametrize(("env", "json_logs"), [("testing", False), ("development", False)])
def test_json_logs_default(env: str, json_logs: bool) -> None:
    assert load_settings({"env": env}).use_json_logs is json_logs


def test_invalid_value_names_the_variable_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSEHUB_DB_POOL_SIZE", "hunter2-not-a-number")
    monkeypatch.setenv("VERSEHUB_ENV", "prod")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "VERSEHUB_DB_POOL_SIZE" in message
    assert "VERSEHUB_ENV" in message
    assert "hunter2" not in message


def test_settings_alone_only_reads(tmp_path: Path) -> None:
    """`Settings()` neither generates secrets nor refuses production: load_settings does."""
    settings = Settings(env="production", instance_path=tmp_path)
    assert settings.secret_key is None
    assert not (tmp_path / "secrets.json").exists()


def test_empty_variables_count_as_unset(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_secret(isolated, "log_level", "ERROR")  # would be read if "" meant the current folder
    monkeypatch.setenv("VERSEHUB_SECRETS_DIR", "")
    monkeypatch.setenv("VERSEHUB_LOG_JSON", "")
    (isolated / ".env").write_text("VAULT_ADDR=\nVERSEHUB_WORKER_CONCURRENCY=\n")
    settings = build({})
    assert settings.secrets_dir is None
    assert settings.log_level == "INFO"
    assert settings.log_json is False  # the testing default, not a validation error
    assert settings.worker_concurrency == 2

"""Production refuses to start with missing or unsafe settings, and says why in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from tests.test_settings_support import isolated_fixture  # noqa: F401  (autouse)
from versehub.settings import SettingsError, load_settings

GOOD_KEY = "q3V9-tR2xLp8Zk4WmN7bYc1HsJd6FgA0eUo5iPvXw"
GOOD_JWT = "M8nB2vC5xZ1lK4jH7gF0dS3aQ6wE9rT2yU5iO8pLk"
GOOD_TOTP = "s8YF5vr_bkSTdj89P3p20QEIYXGedPQKXLbWzz5R5JU="
VERSEHUB = Path(sys.executable).with_name("versehub")
REDIS = "redis://cache:6379/0"


def production(**overrides: Any) -> dict[str, Any]:
    return {
        "env": "production",
        "secret_key": GOOD_KEY,
        "jwt_secret_key": GOOD_JWT,
        "totp_encryption_keys": GOOD_TOTP,
        **overrides,
    }


def test_safe_production_settings_start() -> None:
    settings = load_settings(production(database_url="postgresql://vh@db/vh"))
    assert settings.is_production
    assert settings.use_json_logs


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"secret_key": None}, "VERSEHUB_SECRET_KEY is not set"),
        ({"secret_key": ""}, "VERSEHUB_SECRET_KEY is not set"),
        ({"jwt_secret_key": None}, "VERSEHUB_JWT_SECRET_KEY is not set"),
        ({"secret_key": "changeme"}, "VERSEHUB_SECRET_KEY is a known placeholder"),
        ({"secret_key": "dev"}, "VERSEHUB_SECRET_KEY is a known placeholder"),
        ({"secret_key": "secret"}, "VERSEHUB_SECRET_KEY is a known placeholder"),
        ({"jwt_secret_key": "Change-Me"}, "VERSEHUB_JWT_SECRET_KEY is a known placeholder"),
        (
            {"secret_key": "test-secret-key-not-for-production-0123456789abcdef"},
            "VERSEHUB_SECRET_KEY is a known placeholder",
        ),
        ({"secret_key": "changeme-please-0123456789-abcdefghijk"}, "known placeholder"),
        ({"secret_key": "Zq8-short-but-random"}, "VERSEHUB_SECRET_KEY is shorter than 32"),
        ({"jwt_secret_key": "ab" * 20}, "VERSEHUB_JWT_SECRET_KEY has fewer than 8 distinct"),
        ({"jwt_secret_key": GOOD_KEY}, "VERSEHUB_SECRET_KEY and VERSEHUB_JWT_SECRET_KEY must"),
        ({"debug": True}, "VERSEHUB_DEBUG must be off"),
        ({"totp_encryption_keys": None}, "VERSEHUB_TOTP_ENCRYPTION_KEYS is not set"),
        ({"totp_encryption_keys": " "}, "VERSEHUB_TOTP_ENCRYPTION_KEYS is not set"),
    ],
)
def test_unsafe_production_refused(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(production(**overrides))
    message = str(caught.value)
    assert message.startswith("unsafe production settings: ")
    assert reason in message
    for value in overrides.values():
        if isinstance(value, str) and len(value) > 8:
            assert value not in message  # never echo a secret


def test_every_problem_listed_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "production", "secret_key": "dev", "debug": True})
    message = str(caught.value)
    assert "VERSEHUB_SECRET_KEY is a known placeholder" in message
    assert "VERSEHUB_JWT_SECRET_KEY is not set" in message
    assert "VERSEHUB_DEBUG must be off" in message


def test_production_never_uses_development_secrets(tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir()
    stored = {"secret_key": GOOD_KEY, "jwt_secret_key": GOOD_JWT}
    (tmp_path / "instance" / "secrets.json").write_text(json.dumps(stored))
    with pytest.raises(SettingsError, match="VERSEHUB_SECRET_KEY is not set"):
        load_settings({"env": "production", "instance_path": tmp_path / "instance"})


def test_secrets_from_the_secrets_dir_satisfy_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "VERSEHUB_SECRET_KEY").write_text(GOOD_KEY + "\n")
    (tmp_path / "s" / "jwt_secret_key").write_text(GOOD_JWT + "\n")
    (tmp_path / "s" / "totp_encryption_keys").write_text(GOOD_TOTP + "\n")
    monkeypatch.setenv("VERSEHUB_ENV", "production")
    monkeypatch.setenv("VERSEHUB_SECRETS_DIR", str(tmp_path / "s"))
    monkeypatch.setenv("DATABASE_URL", "postgres://vh@db/vh")
    settings = load_settings()
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == GOOD_KEY


def test_sqlite_in_production_is_allowed_with_a_warning() -> None:
    with capture_logs() as logs:
        settings = load_settings(production(redis_url=REDIS))
    assert settings.sqlalchemy_url.startswith("sqlite:///")
    assert [log["event"] for log in logs] == ["production_uses_sqlite"]
    assert logs[0]["log_level"] == "warning"
    with capture_logs() as logs:
        load_settings(production(database_url="postgresql://vh@db/vh", redis_url=REDIS))
    assert logs == []


def test_production_without_redis_is_allowed_with_a_warning() -> None:
    # Each process counts rate limits on its own (caches stay exact through the change bus).
    with capture_logs() as logs:
        settings = load_settings(production(database_url="postgresql://vh@db/vh"))
    assert settings.redis_url is None
    assert [log["event"] for log in logs] == ["production_without_redis"]
    assert logs[0]["log_level"] == "warning"
    assert "rate limits" in logs[0]["hint"]


def run_cli(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`versehub routes` in a clean environment (nothing inherited but PATH)."""
    return subprocess.run(
        [str(VERSEHUB), "routes"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_refuses_production_without_secrets(tmp_path: Path) -> None:
    result = run_cli(tmp_path, VERSEHUB_ENV="production")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "cannot start" in line]
    assert len(lines) == 1
    assert lines[0].startswith("versehub: cannot start: unsafe production settings: ")
    assert "VERSEHUB_SECRET_KEY is not set" in lines[0]
    assert "VERSEHUB_JWT_SECRET_KEY is not set" in lines[0]
    assert not (tmp_path / "instance" / "secrets.json").exists()


def test_cli_starts_production_with_secrets(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        VERSEHUB_ENV="production",
        VERSEHUB_SECRET_KEY=GOOD_KEY,
        VERSEHUB_JWT_SECRET_KEY=GOOD_JWT,
        VERSEHUB_TOTP_ENCRYPTION_KEYS=GOOD_TOTP,
        VERSEHUB_EMBEDDED_WORKER="false",
    )
    assert result.returncode == 0, result.stderr
    assert "Endpoint" in result.stdout
    assert GOOD_KEY not in result.stdout + result.stderr


def test_create_app_checks_a_ready_made_production_settings_object(tmp_path: Path) -> None:
    from versehub import create_app
    from versehub.settings import Settings

    settings = Settings(env="production", instance_path=tmp_path, secret_key="changeme")
    with pytest.raises(SettingsError, match="VERSEHUB_SECRET_KEY is a known placeholder"):
        create_app(settings)


@pytest.mark.parametrize("env", ["production", "development", "testing"])
def test_invalid_totp_keys_are_refused_without_echoing_them(env: str) -> None:
    bad = "not-a-fernet-key-but-long-enough-to-be-secret"
    with pytest.raises(SettingsError) as caught:
        load_settings(production(env=env, totp_encryption_keys=f"{GOOD_TOTP},{bad}"))
    message = str(caught.value)
    assert "VERSEHUB_TOTP_ENCRYPTION_KEYS" in message
    assert "key 2 is not a Fernet key" in message
    assert bad not in message
    assert GOOD_TOTP not in message


def test_outside_production_the_totp_key_is_derived_from_secret_key() -> None:
    first = load_settings({"env": "testing", "secret_key": GOOD_KEY})
    again = load_settings({"env": "testing", "secret_key": GOOD_KEY})
    other = load_settings({"env": "testing", "secret_key": GOOD_JWT})
    assert first.totp_encryption_keys is not None
    assert again.totp_encryption_keys is not None
    assert other.totp_encryption_keys is not None
    derived = first.totp_encryption_keys.get_secret_value()
    assert derived == again.totp_encryption_keys.get_secret_value()
    assert derived != other.totp_encryption_keys.get_secret_value()
    assert derived not in (GOOD_KEY, GOOD_JWT)
    explicit = load_settings({"env": "testing", "totp_encryption_keys": GOOD_TOTP})
    assert explicit.totp_encryption_keys is not None
    assert explicit.totp_encryption_keys.get_secret_value() == GOOD_TOTP

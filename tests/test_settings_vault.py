"""HashiCorp Vault KV v2 as a settings source, against a fake Vault on 127.0.0.1."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from tests.test_settings_support import (  # noqa: F401  (fixtures register on import)
    VAULT_TOKEN,
    FakeVault,
    closed_port,
    isolated_fixture,
    use_vault_fixture,
    vault_fixture,
)
from versehub.settings import SettingsError, load_settings


def test_reads_settings_with_the_token(use_vault: FakeVault) -> None:
    use_vault.secrets["secret/versehub"] = {
        "secret_key": "k" * 8 + "from-vault-0123456789abcdefghijkl",
        "DATABASE_URL": "postgres://vh@db/vh",
        "VERSEHUB_WORKER_CONCURRENCY": 9,
        "modules_disabled": "media,agents",
        "unrelated": "ignored",
    }
    settings = load_settings({"env": "testing"})
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value().endswith("from-vault-0123456789abcdefghijkl")
    assert settings.sqlalchemy_url == "postgresql+psycopg://vh@db/vh"
    assert settings.worker_concurrency == 9
    assert settings.modules_disabled == ["media", "agents"]
    assert use_vault.requests == [("/v1/secret/data/versehub", VAULT_TOKEN)]


def test_mount_and_path_settings(use_vault: FakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSEHUB_VAULT_MOUNT", "kv")
    monkeypatch.setenv("VERSEHUB_VAULT_PATH", "apps/versehub/prod")
    use_vault.secrets["kv/apps/versehub/prod"] = {"log_level": "ERROR"}
    assert load_settings({"env": "testing"}).log_level == "ERROR"
    assert use_vault.requests[0][0] == "/v1/kv/data/apps/versehub/prod"


def test_vault_cannot_move_itself_or_the_secrets_dir(use_vault: FakeVault) -> None:
    use_vault.secrets["secret/versehub"] = {
        "vault_path": "elsewhere",
        "vault_addr": "http://evil.example",
        "secrets_dir": "/nonexistent",
        "log_level": "ERROR",
    }
    settings = load_settings({"env": "testing"})
    assert settings.log_level == "ERROR"
    assert settings.vault_path == "versehub"
    assert settings.vault_addr == use_vault.url
    assert settings.secrets_dir is None


def assert_clear_vault_error(error: SettingsError, addr: str, *phrases: str) -> None:
    message = str(error)
    assert message.startswith(f"Vault at {addr} (secret secret/versehub): ")
    for phrase in phrases:
        assert phrase in message
    assert VAULT_TOKEN not in message
    assert "wrong-token" not in message


def test_wrong_token_is_403(use_vault: FakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "wrong-token")
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing"})
    assert_clear_vault_error(caught.value, use_vault.url, "permission denied (403)")
    assert use_vault.requests == [("/v1/secret/data/versehub", "wrong-token")]


def test_missing_path_is_404(use_vault: FakeVault) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing"})
    assert_clear_vault_error(caught.value, use_vault.url, "no secret at this path (404)")


def test_sealed_vault_is_503(use_vault: FakeVault) -> None:
    use_vault.status = 503
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing"})
    assert_clear_vault_error(caught.value, use_vault.url, "sealed or unavailable (503)")


def test_not_a_kv2_answer(use_vault: FakeVault) -> None:
    use_vault.body = {"data": {"log_level": "ERROR"}}  # a KV v1 shape
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing"})
    assert_clear_vault_error(caught.value, use_vault.url, "unexpected answer")


def test_vault_down(monkeypatch: pytest.MonkeyPatch) -> None:
    addr = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("VAULT_ADDR", addr)
    monkeypatch.setenv("VAULT_TOKEN", VAULT_TOKEN)
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing"})
    assert_clear_vault_error(caught.value, addr, "cannot connect")


def test_vault_too_slow_uses_vault_timeout(use_vault: FakeVault) -> None:
    use_vault.delay = 10
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing", "vault_timeout": 0.2})
    assert_clear_vault_error(caught.value, use_vault.url, "no answer within 0.2s")


def test_credentials_in_the_address_are_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", f"http://user:pa55word@127.0.0.1:{closed_port()}")
    with pytest.raises(SettingsError) as caught:
        load_settings({"env": "testing"})
    assert "pa55word" not in str(caught.value)
    assert "Vault at http://127.0.0.1:" in str(caught.value)


@pytest.mark.parametrize("problem", ["down", "403"])
def test_fallback_starts_without_vault_and_warns(
    problem: str, vault: FakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    addr = f"http://127.0.0.1:{closed_port()}" if problem == "down" else vault.url
    monkeypatch.setenv("VAULT_ADDR", addr)
    monkeypatch.setenv("VAULT_TOKEN", VAULT_TOKEN if problem == "down" else "wrong-token")
    monkeypatch.setenv("VERSEHUB_VAULT_FALLBACK", "true")
    monkeypatch.setenv("VERSEHUB_LOG_LEVEL", "ERROR")
    with capture_logs() as logs:
        settings = load_settings({"env": "testing"})
    assert settings.log_level == "ERROR"  # the other sources still apply
    warnings = [log for log in logs if log["event"] == "vault_unavailable_continuing_without"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert warnings[0]["vault_addr"] == addr
    assert "wrong-token" not in repr(logs)
    assert VAULT_TOKEN not in repr(logs)

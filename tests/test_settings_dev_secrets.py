"""Outside production, missing secrets are generated; development keeps them across restarts."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from tests.test_settings_support import isolated_fixture  # noqa: F401  (autouse)
from versehub.settings import SettingsError, load_settings
from versehub.settings.sources import instance_secrets


def plain(value: SecretStr | None) -> str:
    assert value is not None
    return value.get_secret_value()


def test_development_generates_persists_and_reuses(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with capture_logs() as logs:
        first = load_settings({"instance_path": instance})
    second = load_settings({"instance_path": instance})
    assert first.env == "development"
    assert plain(first.secret_key) == plain(second.secret_key)
    assert plain(first.jwt_secret_key) == plain(second.jwt_secret_key)
    assert plain(first.secret_key) != plain(first.jwt_secret_key)
    assert len(plain(first.secret_key)) == 64  # token_urlsafe(48)
    path = instance / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["secret_key"] == plain(first.secret_key)
    assert sorted(p.name for p in instance.iterdir()) == ["secrets.json"]  # no temp files left
    assert [log["event"] for log in logs] == ["dev_secrets_written"]
    assert plain(first.secret_key) not in repr(logs)


def test_default_instance_folder_is_relative_to_cwd(isolated: Path) -> None:
    load_settings()
    assert (isolated / "instance" / "secrets.json").exists()


def test_given_secret_is_kept_and_only_the_missing_one_generated(tmp_path: Path) -> None:
    given = "a-development-key-given-by-the-developer"
    settings = load_settings({"instance_path": tmp_path, "secret_key": given})
    assert plain(settings.secret_key) == given
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert plain(settings.jwt_secret_key) == stored["jwt_secret_key"]
    assert stored["secret_key"] != given  # the given value is never written down


def test_testing_generates_fresh_secrets_without_writing(tmp_path: Path) -> None:
    first = load_settings({"env": "testing", "instance_path": tmp_path})
    second = load_settings({"env": "testing", "instance_path": tmp_path})
    assert plain(first.secret_key) != plain(second.secret_key)
    assert len(plain(first.jwt_secret_key)) == 64
    assert not (tmp_path / "secrets.json").exists()


def test_an_older_file_is_completed(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"secret_key": "kept-from-before"}))
    settings = load_settings({"instance_path": tmp_path})
    assert plain(settings.secret_key) == "kept-from-before"
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored == {
        "secret_key": "kept-from-before",
        "jwt_secret_key": plain(settings.jwt_secret_key),
    }


@pytest.mark.parametrize("content", ["{not json", "[]", '{"secret_key": 1}'])
def test_a_corrupt_file_stops_start_up(content: str, tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(content)
    with pytest.raises(SettingsError, match=r"secrets.json is not a JSON object.*delete it"):
        load_settings({"instance_path": tmp_path})


def test_concurrent_first_starts_agree(tmp_path: Path) -> None:
    """Web and worker processes starting together must not end up with different keys."""
    results: list[dict[str, str]] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        results.append(instance_secrets(tmp_path / "instance"))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(result == results[0] for result in results)
    stored = json.loads((tmp_path / "instance" / "secrets.json").read_text())
    assert stored == results[0]


def test_an_empty_secret_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSEHUB_SECRET_KEY", "")
    settings = load_settings({"env": "testing", "instance_path": tmp_path})
    assert len(plain(settings.secret_key)) == 64


def test_an_unwritable_instance_folder_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "instance").write_text("a file where the folder should be")
    with pytest.raises(SettingsError, match=r"instance/secrets.json cannot be (read|written)"):
        load_settings({"instance_path": tmp_path / "instance"})


def test_a_failed_write_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("versehub.settings.sources.tempfile.mkstemp", refuse)
    with pytest.raises(SettingsError, match=r"secrets.json cannot be written: Permission denied"):
        load_settings({"instance_path": tmp_path})

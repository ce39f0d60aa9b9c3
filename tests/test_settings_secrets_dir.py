"""A secrets directory that cannot be read stops start-up with a message naming the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_settings_support import isolated_fixture, write_secret  # noqa: F401
from versehub.settings import SettingsError, load_settings

NOBODY = 65534


def load(secrets_dir: Path) -> None:
    load_settings({"env": "testing", "secrets_dir": secrets_dir})


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"secrets directory .*/absent does not exist"):
        load(tmp_path / "absent")


def test_missing_directory_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSEHUB_SECRETS_DIR", "/nonexistent/versehub-secrets")
    with pytest.raises(SettingsError, match="VERSEHUB_SECRETS_DIR"):
        load_settings({"env": "testing"})


def test_a_file_instead_of_a_directory(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("x")
    with pytest.raises(SettingsError, match="is not a directory"):
        load(tmp_path / "s")


def test_a_directory_in_place_of_a_secret_file(tmp_path: Path) -> None:
    (tmp_path / "s" / "secret_key").mkdir(parents=True)
    with pytest.raises(SettingsError, match=r"secret file .*/s/secret_key cannot be read: .*dir"):
        load(tmp_path / "s")


def test_secret_file_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "jwt_secret_key").write_bytes(b"\xff\xfe-secret-bytes")
    with pytest.raises(SettingsError, match=r"jwt_secret_key cannot be read: not valid UTF-8") as e:
        load(tmp_path / "s")
    assert "secret-bytes" not in str(e.value)
    assert e.value.__cause__ is None  # the decode error, which holds the bytes, is not chained


def test_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "secret_key").symlink_to(tmp_path / "gone")
    with pytest.raises(SettingsError, match=r"secret_key cannot be read: it is a dangling link"):
        load(tmp_path / "s")


def test_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    os.mkfifo(tmp_path / "s" / "secret_key")  # reading would block start-up forever
    with pytest.raises(SettingsError, match=r"secret_key cannot be read: it is not a regular"):
        load(tmp_path / "s")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="versehub-settings-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def test_permission_denied(shared_dir: Path) -> None:
    """A file the process may not read (chmod 000); root reads anything, so start as nobody."""
    secrets_dir = shared_dir / "s"
    write_secret(secrets_dir, "secret_key", "s3cret-value").chmod(0o000)
    secrets_dir.chmod(0o755)
    if os.geteuid() != 0:
        with pytest.raises(SettingsError, match=r"secret_key cannot be read: Permission denied"):
            load(secrets_dir)
        return
    # Import as root (the interpreter lives under /root), then drop to nobody before reading.
    script = textwrap.dedent(
        f"""
        import os
        from versehub.settings import SettingsError, load_settings
        os.setgroups([])
        os.setgid({NOBODY})
        os.setuid({NOBODY})
        try:
            load_settings({{"env": "testing", "secrets_dir": {str(secrets_dir)!r}}})
        except SettingsError as exc:
            print(exc)
            raise SystemExit(3)
        """
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(shared_dir)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=shared_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert (
        f"secret file {secrets_dir}/secret_key cannot be read: Permission denied" in result.stdout
    )
    assert "s3cret-value" not in result.stdout

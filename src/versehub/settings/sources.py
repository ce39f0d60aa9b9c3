"""Settings sources beyond pydantic-settings' own: a secret files directory and HashiCorp Vault.

Both are configured by settings that come from lower sources (where the secrets directory is, the
Vault address and token), so each source resolves its own location from the sources below it before
reading anything. Also here: the development secrets kept in the instance folder.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import structlog
from pydantic import AliasChoices, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from versehub.core.errors import StartupError
from versehub.core.logging import redact

# Settings that say where the other values live; a source never sets its own location.
SECRETS_LOCATION = frozenset({"secrets_dir"})
VAULT_LOCATION = frozenset(
    {"vault_addr", "vault_token", "vault_mount", "vault_path", "vault_timeout", "vault_fallback"}
)
GENERATED_SECRETS = ("secret_key", "jwt_secret_key")
DEV_SECRETS_FILE = "secrets.json"


class SettingsError(StartupError):
    """A setting is missing, unsafe or cannot be read; start-up stops with this message."""


def settings_logger() -> Any:
    """The settings logger; before the app configures logging, plain lines on stderr."""
    if structlog.is_configured():
        return structlog.get_logger("versehub.settings")
    # Settings load before logging is configured; keep stdout for command output.
    return structlog.wrap_logger(
        structlog.PrintLogger(sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
    )


# --- names ----------------------------------------------------------------------------------------
def setting_names(settings_cls: type[BaseSettings], field: str) -> tuple[str, ...]:
    """Every name a setting answers to: the field name, then its environment names."""
    alias = settings_cls.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        extra = [choice for choice in alias.choices if isinstance(choice, str)]
    elif isinstance(alias, str):
        extra = [alias]
    else:  # pydantic-settings applies the prefix only to fields without an alias
        extra = [f"{settings_cls.model_config.get('env_prefix') or ''}{field}".upper()]
    return tuple(dict.fromkeys([field, *extra]))


def env_names(settings_cls: type[BaseSettings], field: str) -> tuple[str, ...]:
    """The environment variable names of a setting, as documented (matching ignores case)."""
    names = setting_names(settings_cls, field)[1:]
    return tuple(dict.fromkeys(name.upper() for name in names if name != field))


def name_index(settings_cls: type[BaseSettings], exclude: Iterable[str] = ()) -> dict[str, str]:
    """Lower-cased accepted name -> field name, for files and Vault keys."""
    skip = set(exclude)
    return {
        name.lower(): field
        for field in settings_cls.model_fields
        if field not in skip
        for name in setting_names(settings_cls, field)
    }


def _collect(
    settings_cls: type[BaseSettings],
    pairs: Iterable[tuple[str, Any]],
    where: str,
    skip: Iterable[str],
) -> dict[str, Any]:
    """Map (name, value) pairs onto fields; two names for one field must agree."""
    index = name_index(settings_cls, exclude=skip)
    found: dict[str, tuple[str, Any]] = {}
    for name, value in pairs:
        field = index.get(name.lower())
        if field is None:
            continue
        if field in found and found[field][1] != value:
            raise SettingsError(
                f"{where}: {found[field][0]!r} and {name!r} both set {field} to different values"
            )
        found[field] = (name, value)
    return {field: value for field, (_, value) in found.items()}


# --- resolving a location from lower sources ------------------------------------------------------
class LayeredSource(PydanticBaseSettingsSource):
    """A source that reads its own location from the sources below it (and init overrides)."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        *,
        init: PydanticBaseSettingsSource,
        lower: Sequence[PydanticBaseSettingsSource],
    ) -> None:
        super().__init__(settings_cls)
        self._layers = (init, *lower)  # highest precedence first
        self._values: dict[str, Any] | None = None

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: values come from `__call__` in one read."""
        return None, field_name, False

    def resolve(self, field: str) -> Any:
        """The validated value of `field` from overrides and lower sources, else its default."""
        info = self.settings_cls.model_fields[field]
        for layer in self._layers:
            state = layer()
            if field in state:
                try:
                    form: Any = info.annotation
                    if info.metadata:  # keep limits such as vault_timeout > 0
                        form = Annotated[form, *info.metadata]
                    return TypeAdapter(form).validate_python(state[field])
                except ValidationError as exc:
                    reason = exc.errors(include_input=False)[0]["msg"]
                    names = " / ".join(env_names(self.settings_cls, field))
                    raise SettingsError(f"invalid {names}: {reason}") from None
        return info.get_default(call_default_factory=True)

    def __call__(self) -> dict[str, Any]:
        if self._values is None:
            self._values = self.load()
        return self._values

    def load(self) -> dict[str, Any]:
        """Read this source's values (once per settings build)."""
        raise NotImplementedError


# --- secret files ---------------------------------------------------------------------------------
class SecretsDirSource(LayeredSource):
    """One file per setting (Kubernetes secret volume style) in `secrets_dir`."""

    def load(self) -> dict[str, Any]:
        """Read every file whose name is a setting; other files are ignored."""
        directory = self.resolve("secrets_dir")
        if directory is None:
            return {}
        return read_secrets_dir(self.settings_cls, Path(directory))


def read_secrets_dir(settings_cls: type[BaseSettings], directory: Path) -> dict[str, Any]:
    """Values of the files in `directory` named after settings (field or env name, any case)."""
    where = f"secrets directory {directory}"
    try:
        mode = directory.stat().st_mode
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        raise SettingsError(f"{where} does not exist (VERSEHUB_SECRETS_DIR)") from None
    except NotADirectoryError:
        raise SettingsError(f"{where} is not a directory (VERSEHUB_SECRETS_DIR)") from None
    except OSError as exc:
        raise SettingsError(f"{where} cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(mode):
        raise SettingsError(f"{where} is not a directory (VERSEHUB_SECRETS_DIR)")
    index = name_index(settings_cls, exclude=SECRETS_LOCATION)
    # Dot names are Kubernetes' own bookkeeping (..data, ..2024_01_01...) or editor files.
    wanted = [name for name in names if not name.startswith(".") and name.lower() in index]
    pairs = [(name, read_secret_file(directory / name)) for name in wanted]
    return _collect(settings_cls, pairs, where, SECRETS_LOCATION)


def read_secret_file(path: Path) -> str:
    """A secret file's text without one trailing newline; SettingsError when it cannot be read."""
    prefix = f"secret file {path} cannot be read"
    try:
        mode = path.stat().st_mode  # follows symlinks, as Kubernetes mounts use them
        if stat.S_ISDIR(mode):
            raise SettingsError(f"{prefix}: it is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise SettingsError(f"{prefix}: it is not a regular file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SettingsError(f"{prefix}: it is a dangling link") from None
    except OSError as exc:
        raise SettingsError(f"{prefix}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # `from None`: the decode error carries the raw bytes, i.e. the secret.
        raise SettingsError(f"{prefix}: not valid UTF-8 (byte {exc.start})") from None
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


# --- Vault ----------------------------------------------------------------------------------------
class VaultSource(LayeredSource):
    """HashiCorp Vault KV v2, read once when VAULT_ADDR is set; keys are setting names."""

    def load(self) -> dict[str, Any]:
        """Read the secret at `vault_mount`/`vault_path`, or nothing without VAULT_ADDR."""
        addr = self.resolve("vault_addr")
        if not addr:
            return {}
        token = self.resolve("vault_token")
        mount, path = self.resolve("vault_mount"), self.resolve("vault_path")
        try:
            data = read_vault(
                addr=addr,
                token=token.get_secret_value() if token is not None else None,
                mount=mount,
                path=path,
                timeout=self.resolve("vault_timeout"),
            )
        except SettingsError as exc:
            if not self.resolve("vault_fallback"):
                raise
            settings_logger().warning(
                "vault_unavailable_continuing_without", vault_addr=safe_url(addr), reason=str(exc)
            )
            return {}
        skip = set(VAULT_LOCATION | SECRETS_LOCATION)
        return _collect(self.settings_cls, data.items(), vault_where(addr, mount, path), skip)


def safe_url(url: str) -> str:
    """`url` without any user:password part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def vault_where(addr: str, mount: str, path: str) -> str:
    """How messages name a Vault secret (never with the token)."""
    return f"Vault at {safe_url(addr)} (secret {mount}/{path})"


def read_vault(
    *, addr: str, token: str | None, mount: str, path: str, timeout: float
) -> dict[str, Any]:
    """The key/values of a KV v2 secret; SettingsError naming Vault when it cannot be read."""
    import hvac

    # requests ships no type hints; hvac is built on it, so its errors are what we catch.
    http_errors: Any = importlib.import_module("requests.exceptions")
    where = vault_where(addr, mount, path)
    client = hvac.Client(url=addr, token=token, timeout=timeout)
    try:
        answer = client.secrets.kv.v2.read_secret_version(
            path=path, mount_point=mount, raise_on_deleted_version=True
        )
    except hvac.exceptions.Forbidden:
        reason = "permission denied (403); check VAULT_TOKEN and its policy"
    except hvac.exceptions.Unauthorized:
        reason = "the token was rejected (401)"
    except hvac.exceptions.InvalidPath:
        reason = "no secret at this path (404); check vault_mount and vault_path"
    except hvac.exceptions.VaultDown:
        reason = "Vault is sealed or unavailable (503)"
    except hvac.exceptions.VaultError as exc:
        reason = f"Vault answered with an error ({type(exc).__name__})"
    except http_errors.Timeout:
        reason = f"no answer within {timeout:g}s (vault_timeout)"
    except http_errors.ConnectionError:
        reason = "cannot connect; is Vault running and VAULT_ADDR right?"
    except (http_errors.RequestException, ValueError) as exc:
        reason = f"the request failed ({type(exc).__name__})"
    else:
        outer = answer.get("data") if isinstance(answer, Mapping) else None
        data = outer.get("data") if isinstance(outer, Mapping) else None
        if not isinstance(data, Mapping):
            raise SettingsError(f"{where}: unexpected answer (is the mount KV version 2?)")
        return dict(data)
    finally:
        client.adapter.close()
    raise SettingsError(f"{where}: {reason}")


# --- generated secrets for development ------------------------------------------------------------
def generated_secrets() -> dict[str, str]:
    """Fresh random values for every generated secret."""
    return {name: secrets.token_urlsafe(48) for name in GENERATED_SECRETS}


def instance_secrets(instance: Path) -> dict[str, str]:
    """Development secrets kept in `instance/secrets.json` (0600), created once and reused."""
    path = instance / DEV_SECRETS_FILE
    existing = _read_instance_secrets(path)
    if existing is not None and all(existing.get(name) for name in GENERATED_SECRETS):
        return existing
    values = {**generated_secrets(), **(existing or {})}
    try:
        written = _write_instance_secrets(path, values, replace=existing is not None)
    except OSError as exc:
        raise SettingsError(
            f"development secrets file {path} cannot be written: {exc.strerror or exc}"
        ) from None
    if written is values:
        settings_logger().info("dev_secrets_written", path=str(path))
    return written


def _write_instance_secrets(path: Path, values: dict[str, str], *, replace: bool) -> dict[str, str]:
    """Write atomically; when another process created the file first, return its values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, tmp_name = tempfile.mkstemp(prefix=".secrets-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as tmp:  # mkstemp creates it 0600
            json.dump(values, tmp, indent=2)
            tmp.flush()
            os.fsync(tmp.fileno())
        if replace:
            os.replace(tmp_name, path)  # completing an older file
            return values
        try:
            os.link(tmp_name, path)  # atomic, and fails if another process was first
        except FileExistsError:
            return _read_instance_secrets(path) or values
        except OSError:  # a filesystem without hard links
            os.replace(tmp_name, path)
        return values
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


def _read_instance_secrets(path: Path) -> dict[str, str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"development secrets file {path} cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise SettingsError(
            f"development secrets file {path} is not a JSON object of strings; "
            "delete it to generate new secrets (signed-in sessions end)"
        )
    return data

"""`load_settings`: the settings from every source, completed outside production, checked in it."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, ValidationError

from versehub.settings.model import Settings, is_set
from versehub.settings.production import check_production
from versehub.settings.sources import (
    GENERATED_SECRETS,
    SettingsError,
    env_names,
    generated_secrets,
    instance_secrets,
)

__all__ = ["describe_validation_error", "load_settings"]


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings from every source; `overrides` (tests, scripts) win over all.

    Outside production, missing secrets are generated (development keeps them in the instance
    folder); production refuses missing or unsafe values. Raises SettingsError with a clear message.
    """
    try:
        settings = Settings(**(overrides or {}))
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None
    if settings.is_production:
        check_production(settings)
        return settings
    return with_derived_totp_keys(with_generated_secrets(settings))


def describe_validation_error(exc: ValidationError) -> str:
    """One line per invalid setting, named as the operator writes it; never the value."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = env_names(Settings, field)[0] if field in Settings.model_fields else field
        problems.append(f"{name}: {error['msg']}")
    return "invalid settings: " + "; ".join(problems)


def with_generated_secrets(settings: Settings) -> Settings:
    """Fill missing secrets: kept in the instance folder in development, fresh when testing."""
    missing = [name for name in GENERATED_SECRETS if not is_set(getattr(settings, name))]
    if not missing:
        return settings
    if settings.env == "development":
        values = instance_secrets(settings.instance_path)
    else:
        values = generated_secrets()
    return settings.model_copy(update={name: SecretStr(values[name]) for name in missing})


def with_derived_totp_keys(settings: Settings) -> Settings:
    """Outside production, an unset TOTP key is derived from secret_key (HKDF, own label)."""
    # Development and tests keep working with no extra secret; changing secret_key there makes
    # existing 2FA secrets unreadable (disable 2FA or set the keys explicitly first).
    if is_set(settings.totp_encryption_keys) or settings.secret_key is None:
        return settings
    from versehub.core.fernet_keys import derive_key

    key = derive_key(settings.secret_key.get_secret_value())
    return settings.model_copy(update={"totp_encryption_keys": SecretStr(key)})

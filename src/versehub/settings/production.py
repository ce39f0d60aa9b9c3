"""Production refuses to start with missing, placeholder, short or shared secrets, or debug on."""

from __future__ import annotations

from pydantic import SecretStr

from versehub.settings.model import Settings, is_set
from versehub.settings.sources import GENERATED_SECRETS, SettingsError, env_names, settings_logger

__all__ = ["MIN_SECRET_LENGTH", "check_production", "secret_problem"]

MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "changethis", "dev", "development", "test", "testing", "secret", "secretkey"}
    | {"password", "default", "example", "insecure", "supersecret", "notasecret", "none", "null"}
)
PLACEHOLDER_MARKERS = ("changeme", "changethis", "notforproduction", "insecure", "placeholder")


def secret_problem(name: str, value: SecretStr | None) -> str | None:
    """Why a production secret is unsafe, or None; the message never contains the value."""
    raw = value.get_secret_value() if value is not None else ""
    if not raw.strip():
        return f"{name} is not set"
    folded = "".join(char for char in raw.lower() if char.isalnum())
    if folded in PLACEHOLDER_SECRETS or any(marker in folded for marker in PLACEHOLDER_MARKERS):
        return f"{name} is a known placeholder or development value"
    if len(raw) < MIN_SECRET_LENGTH:
        return f"{name} is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(raw)) < 8:
        return f"{name} has fewer than 8 distinct characters"
    return None


def check_production(settings: Settings) -> None:
    """Refuse to start production with unsafe settings; list every problem at once."""
    problems = [
        problem
        for name in GENERATED_SECRETS
        if (problem := secret_problem(env_names(Settings, name)[0], getattr(settings, name)))
    ]
    if not is_set(settings.totp_encryption_keys):
        problems.append(
            "VERSEHUB_TOTP_ENCRYPTION_KEYS is not set (generate one with `python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
        )
    key, jwt_key = settings.secret_key, settings.jwt_secret_key
    if key and jwt_key and key.get_secret_value() == jwt_key.get_secret_value():
        problems.append("VERSEHUB_SECRET_KEY and VERSEHUB_JWT_SECRET_KEY must differ")
    if settings.debug:
        problems.append("VERSEHUB_DEBUG must be off (debug mode exposes internals)")
    if problems:
        raise SettingsError(
            "unsafe production settings: "
            + "; ".join(problems)
            + ". Set secrets with `python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "through the environment, VERSEHUB_SECRETS_DIR or Vault."
        )
    if settings.sqlalchemy_url.startswith("sqlite"):
        # Allowed: a single-machine deployment is legitimate; several hosts need PostgreSQL.
        settings_logger().warning(
            "production_uses_sqlite",
            hint="fine for one machine; set DATABASE_URL to PostgreSQL to run several hosts",
        )
    if not settings.redis_url:
        # Allowed: the change bus keeps each process's caches exact; what is left per process
        # is rate-limit counting (and the Socket.IO fan-out and job broker of one machine).
        settings_logger().warning(
            "production_without_redis",
            hint="fine for one process; with several gunicorn workers or hosts set REDIS_URL, "
            "else each process counts rate limits on its own",
        )

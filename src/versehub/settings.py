"""Typed settings: defaults < .env < environment < secret files < Vault (optional)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["development", "testing", "production"]


def _env(name: str, *extra: str) -> Any:
    """Accept VERSEHUB_<NAME> and, where conventional, a bare name such as DATABASE_URL."""
    return AliasChoices(name, f"VERSEHUB_{name.upper()}", *extra)


class Settings(BaseSettings):
    """Every setting VerseHub reads. Field docs feed the README's configuration reference."""

    model_config = SettingsConfigDict(
        env_prefix="VERSEHUB_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    env: Environment = Field("development", description="development, testing or production.")
    debug: bool = Field(False, description="Flask debug mode; refused in production.")
    instance_path: Path = Field(
        Path("instance"), description="Data folder: SQLite files, media, generated dev secrets."
    )
    secret_key: SecretStr | None = Field(
        None, description="Signs sessions and CSRF tokens. Generated and kept in the instance "
        "folder in development; required in production."
    )
    jwt_secret_key: SecretStr | None = Field(
        None, description="Signs JWTs. Generated in development; required in production."
    )
    database_url: str | None = Field(
        None,
        validation_alias=_env("database_url", "DATABASE_URL"),
        description="SQLAlchemy URL. Default: SQLite file instance/versehub.db. "
        "postgresql:// URLs use psycopg 3.",
    )
    db_pool_size: int = Field(5, ge=1, le=100, description="PostgreSQL pool size per process.")
    db_max_overflow: int = Field(10, ge=0, le=100, description="PostgreSQL pool overflow.")
    redis_url: str | None = Field(
        None,
        validation_alias=_env("redis_url", "REDIS_URL"),
        description="Redis for cache, rate limits, Socket.IO and the job broker. "
        "Unset: everything in-process.",
    )
    broker_url: str | None = Field(
        None,
        description="Celery broker. Default: REDIS_URL when set, else a durable SQLite broker "
        "file in the instance folder.",
    )
    embedded_worker: bool | None = Field(
        None,
        description="Run a job worker inside `versehub run`. Default: on unless a Redis broker "
        "is used (then run `versehub worker`).",
    )
    worker_concurrency: int = Field(2, ge=1, le=64, description="Threads of a job worker.")
    job_max_retries: int = Field(5, ge=0, le=50, description="Retries before a dead letter.")
    job_retry_backoff_max: int = Field(
        600, ge=1, description="Upper bound of the exponential retry backoff, seconds."
    )
    modules_disabled: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated module names to turn off (and what requires them).",
    )
    max_content_length: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest request body in bytes (413 beyond)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    log_json: bool | None = Field(
        None, description="JSON log lines. Default: on in production, readable lines otherwise."
    )
    secrets_dir: Path | None = Field(
        None, description="Folder with one file per setting (Kubernetes style), e.g. secret_key."
    )
    vault_addr: str | None = Field(
        None,
        validation_alias=_env("vault_addr", "VAULT_ADDR"),
        description="HashiCorp Vault address; when set, settings are read from KV v2.",
    )
    vault_token: SecretStr | None = Field(
        None, validation_alias=_env("vault_token", "VAULT_TOKEN"), description="Vault token."
    )
    vault_mount: str = Field("secret", description="Vault KV v2 mount point.")
    vault_path: str = Field("versehub", description="Vault KV v2 secret path.")
    vault_timeout: float = Field(5.0, gt=0, description="Vault request timeout, seconds.")
    vault_fallback: bool = Field(
        False, description="Start without Vault values when Vault is unreachable (logged)."
    )
    health_timeout: float = Field(
        2.0, gt=0, description="Seconds a readiness check may take per dependency."
    )

    @field_validator("modules_disabled", mode="before")
    @classmethod
    def _split_modules(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if self.env == "testing" and self.log_json is None:
            self.log_json = False
        return self

    # Derived values -------------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        """True when running with production safeguards."""
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the driver VerseHub uses (psycopg 3 for PostgreSQL)."""
        url = self.database_url or f"sqlite:///{(self.instance_path / 'versehub.db').resolve()}"
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def effective_broker_url(self) -> str:
        """Where jobs are queued: explicit broker, else Redis, else the durable SQLite broker."""
        if self.broker_url:
            return self.broker_url
        if self.redis_url:
            return self.redis_url
        return f"vhsqla+sqlite:///{(self.instance_path / 'broker.sqlite').resolve()}"

    @property
    def use_embedded_worker(self) -> bool:
        """Whether `versehub run` starts a worker thread."""
        if self.embedded_worker is not None:
            return self.embedded_worker
        return not self.effective_broker_url.startswith(("redis://", "rediss://"))

    @property
    def use_json_logs(self) -> bool:
        """Whether log lines are JSON."""
        return self.log_json if self.log_json is not None else self.is_production


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings from every source; `overrides` (tests, scripts) win over all."""
    return Settings(**(overrides or {}))

"""The Settings model: every setting with its type, default, limits and description.

`Settings()` only reads its sources (see `sources`); `load_settings` in `load` fills in generated
secrets and applies the production checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from versehub.settings.sources import SecretsDirSource, VaultSource

__all__ = ["Environment", "Settings", "is_set"]

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
        env_ignore_empty=True,  # `VERSEHUB_SECRETS_DIR=` means unset, not the current folder
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    env: Environment = Field(
        "development",
        description="development, testing or production (production refuses unsafe values).",
    )
    debug: bool = Field(False, description="Flask debug mode; refused in production.")
    instance_path: Path = Field(
        Path("instance"),
        description="Data folder: SQLite files, media, development secrets (secrets.json).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs sessions and CSRF tokens. Required in production (at least 32 "
        "characters, no placeholder); generated when unset otherwise (see Environments).",
    )
    jwt_secret_key: SecretStr | None = Field(
        None,
        description="Signs JWTs. Required in production (same rules as secret_key, and "
        "different from it); generated when unset otherwise.",
    )
    totp_encryption_keys: SecretStr | None = Field(
        None,
        description="Comma-separated Fernet keys encrypting two-factor (TOTP) secrets at rest: "
        "the first encrypts, all decrypt (rotation: put a new key first, run `versehub users "
        "rotate-totp-key`, then drop the old one). Required in production; derived from "
        "secret_key when unset otherwise.",
    )
    database_url: str | None = Field(
        None,
        validation_alias=_env("database_url", "DATABASE_URL"),
        description="SQLAlchemy URL. Default: SQLite file instance/versehub.db. "
        "postgresql:// URLs use psycopg 3.",
    )
    auto_migrate: bool = Field(
        True,
        description="`versehub run` outside production upgrades a database whose schema is "
        "behind the code (and logs it); off: it refuses to start instead, as production and "
        "gunicorn always do (run `versehub db upgrade`).",
    )
    db_pool_size: int = Field(5, ge=1, le=100, description="PostgreSQL pool size per process.")
    db_max_overflow: int = Field(10, ge=0, le=100, description="PostgreSQL pool overflow.")
    redis_url: str | None = Field(
        None,
        validation_alias=_env("redis_url", "REDIS_URL"),
        description="Redis for cache, rate limits, Socket.IO and the job broker. "
        "Unset: everything in-process.",
    )
    api_cache_timeout: int = Field(
        300,
        ge=0,
        le=86_400,
        description="Seconds the knowledge API keeps entry list, search and detail answers "
        "cached; 0 turns this caching off. Every entry change invalidates them at once in "
        "every process (the change bus; while it is not listening, answers are not cached).",
    )
    page_cache_timeout: int = Field(
        300,
        ge=0,
        le=86_400,
        description="Seconds the HTML of pages for anonymous readers stays cached (per path, "
        "query, display settings and HTMX fragment); 0 turns this caching off. Entry changes "
        "invalidate them at once in every process, as for `api_cache_timeout`.",
    )
    change_bus: Literal["auto", "postgresql", "sqlite", "redis", "off"] = Field(
        "auto",
        description="How processes tell each other what changed, so each may cache callers "
        "and answers: `auto` is PostgreSQL LISTEN/NOTIFY or SQLite's change log, after the "
        "database; `redis` is pub/sub on REDIS_URL (where LISTEN cannot work, such as behind "
        "a transaction-pooling PgBouncer; a crash right after a commit can lose a message); "
        "`off` caches neither (every request reads its caller from the database).",
    )
    change_bus_reconnect_delay: float = Field(
        1.0,
        ge=0.05,
        le=60,
        description="Seconds between attempts to listen again after the change bus lost its "
        "connection (callers and answers are read from the database meanwhile).",
    )
    search_index: Literal["auto", "rum", "gin"] = Field(
        "auto",
        description="PostgreSQL full-text index, built by the migration and by `versehub search "
        "reindex`: rum (the RUM extension: phrases answered from the positions it stores; "
        "refused when the extension cannot be created), gin (built in), or auto (rum when the "
        "extension is available, else gin). Searches use whichever index exists; `versehub "
        "search status` and /health/ready name it. Ignored on SQLite (FTS5).",
    )
    recycle_bin_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Days a deleted knowledge entry stays in the recycle bin (restorable by its "
        "author or an editor) before the hourly purge job deletes it and its revisions for good.",
    )
    idempotency_ttl: int = Field(
        86_400,
        ge=60,
        le=30 * 86_400,
        description="Seconds an `Idempotency-Key` holds on the API's POST creates: the same key "
        "and body within this time answer the first result again; afterwards the key counts "
        "as new. The hourly purge job deletes older records.",
    )
    idempotency_abandon_after: int = Field(
        120,
        ge=5,
        le=86_400,
        description="Seconds after which a request still running under an `Idempotency-Key` "
        "is taken as abandoned (its process died), so a retry may run it again. Keep it above "
        "the longest request (gunicorn's worker timeout).",
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
    job_db_retry_for: int = Field(
        1800,
        ge=0,
        le=86_400,
        description="Seconds a job keeps retrying while the database is unreachable "
        "(connection errors), with capped exponential backoff, before it becomes a dead letter.",
    )
    job_db_retry_backoff_max: int = Field(
        60,
        ge=1,
        description="Upper bound of the backoff between retries during a database outage, "
        "seconds (how long after the database is back a waiting job may still wait).",
    )
    job_visibility_timeout: int = Field(
        900,
        ge=2,
        description="Redis broker: seconds after which a job fetched by a worker that never "
        "acknowledged it (the worker died) is delivered again. Must exceed the longest job "
        "plus the longest retry backoff (a job waiting for its retry is held unacknowledged).",
    )
    job_worker_stale_after: int = Field(
        60,
        ge=2,
        description="Seconds without a heartbeat from any job worker after which "
        "/health/ready reports `jobs: degraded` (workers beat every quarter of this).",
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
        None,
        description="Folder with one file per setting (Kubernetes secret volume); the file "
        "name is the setting or one of its environment names, e.g. secret_key.",
    )
    vault_addr: str | None = Field(
        None,
        validation_alias=_env("vault_addr", "VAULT_ADDR"),
        description="HashiCorp Vault address; when set, settings are read from a KV v2 "
        "secret whose keys are setting names.",
    )
    vault_token: SecretStr | None = Field(
        None,
        validation_alias=_env("vault_token", "VAULT_TOKEN"),
        description="Vault token; unset: hvac reads ~/.vault-token.",
    )
    vault_mount: str = Field("secret", description="Vault KV v2 mount point.")
    vault_path: str = Field("versehub", description="Vault KV v2 secret path.")
    vault_timeout: float = Field(5.0, gt=0, description="Vault request timeout, seconds.")
    vault_fallback: bool = Field(
        False,
        description="Start without Vault values when Vault cannot be read (a warning is "
        "logged) instead of refusing to start.",
    )
    health_timeout: float = Field(
        2.0, gt=0, description="Seconds a readiness check may take per dependency."
    )
    graphql_max_depth: int = Field(8, ge=2, le=50, description="Deepest GraphQL selection allowed.")
    graphql_max_aliases: int = Field(
        30, ge=1, le=1000, description="Most aliases in one GraphQL operation."
    )
    graphql_max_tokens: int = Field(
        2000, ge=100, le=100_000, description="Most tokens in one GraphQL document (checked first)."
    )
    graphql_max_cost: int = Field(
        5000,
        ge=10,
        description="Highest GraphQL operation cost: one per field, list fields multiplied by "
        "their page size.",
    )
    graphql_max_batch: int = Field(
        5, ge=1, le=50, description="Most GraphQL operations in one batched HTTP request."
    )

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (scheme://host[:port]) whose browser pages may "
        "call /api/; `*` alone allows any origin. Empty: no cross-origin access.",
    )
    cors_allow_credentials: bool = Field(
        False,
        description="Let the allowed origins send cookies to /api/ (the API takes tokens, so "
        "rarely needed); refused together with `*`.",
    )
    rate_limits_enabled: bool = Field(
        True, description="Rate limits and auto-bans; turn off only in tests that do not test them."
    )
    rate_limit_default: str = Field(
        "300/minute",
        description="Limit per endpoint and caller (API key, else user, else IP) for routes "
        "without their own; `;` joins several, e.g. `300/minute;5000/hour`.",
    )
    # Each authentication action has its own per-IP budget (API and web pages share it).
    rate_limit_login: str = Field(
        "10/minute;50/hour", description="Login attempts per client IP (API and web page)."
    )
    rate_limit_login_name: str = Field(
        "5/minute;20/hour",
        description="Login attempts per login name (email or username), from any IP.",
    )
    rate_limit_register: str = Field(
        "5/minute;20/hour", description="Registrations per client IP (API and web page)."
    )
    rate_limit_refresh: str = Field(
        "60/minute;600/hour",
        description="Token refreshes per client IP (high: many clients can share one address).",
    )
    rate_limit_two_factor: str = Field(
        "10/minute;50/hour",
        description="Two-factor set-up, confirmation, disabling and new recovery codes, "
        "together, per client IP.",
    )
    rate_limit_email_verification: str = Field(
        "10/minute;50/hour",
        description="Verification links spent (API and web page) per client IP.",
    )
    rate_limit_password_reset: str = Field(
        "10/minute;50/hour",
        description="Password reset requests and confirmations (API and web page), together, "
        "per client IP.",
    )
    rate_limit_password_reset_name: str = Field(
        "3/minute;10/hour",
        description="Password reset requests per email address, from any IP (no mail flood).",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        le=10,
        description="Reverse proxies in front of the app; the client IP is read that many hops "
        "from the right of X-Forwarded-For. 0: the header is ignored (clients can forge it).",
    )
    ban_threshold: int = Field(
        10, ge=1, description="Rate-limit violations within `ban_window` that ban a caller."
    )
    ban_window: int = Field(600, ge=1, description="Seconds over which violations are counted.")
    ban_duration: int = Field(
        3600, ge=1, description="Seconds a ban lasts (admins can lift it earlier)."
    )
    ban_cache_ttl: float = Field(
        5.0,
        ge=0,
        description="Seconds each process trusts its copy of the bans (stored in the database): "
        "a ban or lift made by another process or the CLI applies within this time.",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:5000",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="Where people reach the web app (scheme://host[:port][/path]); links in "
        "mails (verification, password reset) start with it. Unset in development: "
        "`versehub run`'s host and port.",
    )
    email_verification_max_age: int = Field(
        48 * 3600, ge=60, description="Seconds an email verification link stays valid."
    )
    require_verified_email_for_writes: bool | None = Field(
        None,
        description="Writing entries and categories and creating API keys need a verified "
        "email address (reading never does; 403 AUTH_EMAIL_UNVERIFIED). Default: on outside "
        "development.",
    )
    password_reset_max_age: int = Field(
        3600, ge=60, description="Seconds a password reset link stays valid."
    )
    password_min_score: int = Field(
        3,
        ge=0,
        le=4,
        description="Lowest zxcvbn strength score (0-4, with the username and email as known "
        "words) a new password must reach, on every path that sets one; 0 turns the check off.",
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server for outgoing mail. Unset: mails are written to "
        "instance/mail/*.eml (and, in development, logged with their links) instead of sent.",
    )
    smtp_port: int | None = Field(
        None, ge=1, le=65535, description="SMTP port. Default: 25, 587 (starttls) or 465 (ssl)."
    )
    smtp_tls: Literal["none", "starttls", "ssl"] = Field(
        "starttls",
        description="SMTP transport security: STARTTLS upgrade, implicit TLS (ssl) or none.",
    )
    smtp_username: str | None = Field(None, description="SMTP login name (unset: no login).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_timeout: float = Field(
        10.0, gt=0, description="Seconds an SMTP connection or command may take."
    )
    mail_from: str = Field(
        "VerseHub <no-reply@localhost>",
        min_length=3,
        description="From address of outgoing mail, e.g. `VerseHub <no-reply@example.org>`.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest first: overrides, Vault, secret files, environment, .env (then defaults)."""
        secret_files = SecretsDirSource(
            settings_cls, init=init_settings, lower=(env_settings, dotenv_settings)
        )
        # The Vault token may itself be a secret file, so Vault resolves after the files.
        vault = VaultSource(
            settings_cls, init=init_settings, lower=(secret_files, env_settings, dotenv_settings)
        )
        return init_settings, vault, secret_files, env_settings, dotenv_settings

    @field_validator("modules_disabled", mode="before")
    @classmethod
    def _split_modules(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        from versehub.core.cors import normalise_origins

        return normalise_origins(value)

    @field_validator("cors_allow_credentials")
    @classmethod
    def _check_cors_credentials(cls, value: bool, info: ValidationInfo) -> bool:
        # "Any origin, with the user's cookies" would let every website act as the user.
        if value and "*" in info.data.get("cors_origins", ()):
            raise ValueError("cannot be combined with VERSEHUB_CORS_ORIGINS=*: list the origins")
        return value

    @field_validator("totp_encryption_keys")
    @classmethod
    def _check_fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        # A bad key must stop start-up, not the first 2FA login. The message never has the key.
        if value is not None and value.get_secret_value().strip():
            from versehub.core.fernet_keys import parse_keys

            parse_keys(value.get_secret_value())
        return value

    @field_validator(
        "rate_limit_default",
        "rate_limit_login",
        "rate_limit_login_name",
        "rate_limit_register",
        "rate_limit_refresh",
        "rate_limit_two_factor",
        "rate_limit_email_verification",
        "rate_limit_password_reset",
        "rate_limit_password_reset_name",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        # A typo must stop start-up, not surface as an error on the first limited request.
        from limits import parse_many

        parse_many(value)
        return value

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if self.env == "testing" and self.log_json is None:
            self.log_json = False
        return self

    @model_validator(mode="after")
    def _check_visibility_timeout(self) -> Settings:
        # A job waiting (unacknowledged) for a retry longer than this would run twice.
        longest_wait = max(self.job_retry_backoff_max, self.job_db_retry_backoff_max)
        if self.job_visibility_timeout <= longest_wait:
            raise ValueError(
                f"job_visibility_timeout ({self.job_visibility_timeout}) must exceed the "
                f"longest retry backoff ({longest_wait})"
            )
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
    def verified_email_required(self) -> bool:
        """Whether writes need a verified email (`require_verified_email_for_writes`)."""
        if self.require_verified_email_for_writes is not None:
            return self.require_verified_email_for_writes
        return self.env != "development"

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


def is_set(secret: SecretStr | None) -> bool:
    """Whether a secret setting has a value; blank counts as unset."""
    # An empty value (`VERSEHUB_SECRET_KEY=` left in a .env) counts as unset, not as the key "".
    return secret is not None and bool(secret.get_secret_value().strip())

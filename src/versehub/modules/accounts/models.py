"""Tables of the accounts module: users and their grants, tokens, API keys, lockouts, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from versehub.core.db import TimestampMixin, utcnow
from versehub.extensions import db

ROLES: tuple[str, ...] = ("admin", "editor", "agent", "member")
DEFAULT_ROLE = "member"


class User(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person (or an automated agent's account) with credentials and preferences."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("visual_density BETWEEN 1 AND 5", name="visual_density_range"),
        CheckConstraint("reading_level BETWEEN 1 AND 5", name="reading_level_range"),
    )

    email: Mapped[str] = mapped_column(String(254))
    # Lookup keys: lower-cased email and NFKC+casefolded username, unique so that case and
    # compatibility variants (fullwidth "ADMIN" vs "admin") cannot register twice.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(32))
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped by "log out everywhere" (and deactivation): tokens carry the value they were
    # issued under, and any older value is refused.
    token_generation: Mapped[int] = mapped_column(default=0)
    # Two-factor (TOTP): the secret is Fernet-encrypted (never stored as base32); it exists but
    # is not in force until confirmed (`totp_enabled_at`). The last accepted time step stops a
    # code from being used twice.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(512), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)

    preferred_sign_language: Mapped[str | None] = mapped_column(String(20), default=None)
    visual_density: Mapped[int] = mapped_column(default=3)
    reading_level: Mapped[int] = mapped_column(default=3)
    reduced_motion: Mapped[bool] = mapped_column(default=False)
    high_contrast: Mapped[bool] = mapped_column(default=False)

    role_rows: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )
    module_rows: Mapped[list[UserModuleAccess]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles."""
        return frozenset(row.role for row in self.role_rows)

    @property
    def modules_granted(self) -> frozenset[str]:
        """Modules explicitly granted to this user."""
        return frozenset(row.module for row in self.module_rows if row.allowed)

    @property
    def modules_denied(self) -> frozenset[str]:
        """Modules explicitly denied to this user."""
        return frozenset(row.module for row in self.module_rows if not row.allowed)

    @property
    def email_verified(self) -> bool:
        """Whether the email address was verified."""
        return self.email_verified_at is not None

    @property
    def two_factor_enabled(self) -> bool:
        """Whether logins need a one-time code."""
        return self.totp_enabled_at is not None


class UserRole(db.Model):  # type: ignore[name-defined,misc]
    """One role of a user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class UserModuleAccess(db.Model):  # type: ignore[name-defined,misc]
    """A per-user grant (allowed) or denial (not allowed) of one module."""

    __tablename__ = "user_module_access"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    allowed: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RefreshToken(db.Model):  # type: ignore[name-defined,misc]
    """An issued refresh token, known only by the hash of its jti."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set once, atomically, when the token is exchanged; a second exchange is reuse.
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RevokedToken(db.Model):  # type: ignore[name-defined,misc]
    """A revoked jti, or a whole login family (`fam:<id>`), until the tokens would expire."""

    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Indexed: a process caching a user's principal reads all of that user's revocations.
    user_id: Mapped[int | None] = mapped_column(default=None, index=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(db.Model):  # type: ignore[name-defined,misc]
    """Failed-login counting and lockout for one account (or one unknown login name)."""

    __tablename__ = "login_throttles"

    # `user:<id>` for accounts; `login:<sha256>` for unknown names, hashed because people
    # sometimes type their password into the login field.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime | None] = mapped_column(default=None)
    lockouts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class ApiKey(db.Model):  # type: ignore[name-defined,misc]
    """A service credential: shown once, stored as a hash, found by its visible prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """One security event; no foreign keys, so the trail outlives the users it mentions."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(default=None, index=True)
    target: Mapped[str | None] = mapped_column(String(200), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(256), default=None)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """A single-use 2FA recovery code, stored as a SHA-256 digest (the codes carry 80 bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
